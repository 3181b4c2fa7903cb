-- The steps of a run whose evidence says judgement work (listed, not proposed), one list
-- element per row.
INSERT INTO judgement_work (run_id, rank, activity, executions, cases, signals, reason)
SELECT $run_id,
       unnest($rank::INTEGER[]),
       unnest($activity::VARCHAR[]),
       unnest($executions::BIGINT[]),
       unnest($cases::BIGINT[]),
       unnest($signals::VARCHAR[][]),
       unnest($reason::VARCHAR[])
