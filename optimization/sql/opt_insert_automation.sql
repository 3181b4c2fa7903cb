-- The ranked automation candidates of a run, one list element per row.
INSERT INTO automation_candidates (
    run_id, rank, id, activity, score, kind, executions_per_month, median_duration_s,
    hours_saved_per_month, lead_time_change_s, criteria, rationale, rule, change)
SELECT $run_id,
       unnest($rank::INTEGER[]),
       unnest($id::VARCHAR[]),
       unnest($activity::VARCHAR[]),
       unnest($score::DOUBLE[]),
       unnest($kind::VARCHAR[]),
       unnest($executions_per_month::DOUBLE[]),
       unnest($median_duration_s::DOUBLE[]),
       unnest($hours_saved_per_month::DOUBLE[]),
       unnest($lead_time_change_s::DOUBLE[]),
       unnest($criteria::VARCHAR[]),
       unnest($rationale::VARCHAR[]),
       unnest($rule::VARCHAR[]),
       unnest($change::VARCHAR[])
