-- The executions and cases behind the activities of a run's automation ranking, one list
-- element per row.
INSERT INTO automation_support (run_id, activity, executions, cases, confidence, too_rare, rank)
SELECT $run_id,
       unnest($activity::VARCHAR[]),
       unnest($executions::BIGINT[]),
       unnest($cases::BIGINT[]),
       unnest($confidence::DOUBLE[]),
       unnest($too_rare::BOOLEAN[]),
       unnest($rank::INTEGER[])
