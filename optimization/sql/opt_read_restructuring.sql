-- The restructuring candidates of a run, best first.
SELECT id, kind, activities, cases, score, lead_time_change_s, evidence, rationale, case_ids,
       change
FROM restructuring_candidates WHERE run_id = $run_id ORDER BY rank
