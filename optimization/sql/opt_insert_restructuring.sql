-- The ranked restructuring candidates of a run, one list element per row.
INSERT INTO restructuring_candidates (
    run_id, rank, id, kind, activities, cases, score, lead_time_change_s, evidence, rationale,
    case_ids, change)
SELECT $run_id,
       unnest($rank::INTEGER[]),
       unnest($id::VARCHAR[]),
       unnest($kind::VARCHAR[]),
       unnest($activities::VARCHAR[][]),
       unnest($cases::BIGINT[]),
       unnest($score::DOUBLE[]),
       unnest($lead_time_change_s::DOUBLE[]),
       unnest($evidence::VARCHAR[]),
       unnest($rationale::VARCHAR[]),
       unnest($case_ids::VARCHAR[][]),
       unnest($change::VARCHAR[])
