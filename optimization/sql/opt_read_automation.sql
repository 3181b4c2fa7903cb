-- The automation candidates of a run, best first.
SELECT id, activity, score, kind, executions_per_month, median_duration_s, hours_saved_per_month,
       lead_time_change_s, criteria, rationale, rule, change
FROM automation_candidates WHERE run_id = $run_id ORDER BY rank
