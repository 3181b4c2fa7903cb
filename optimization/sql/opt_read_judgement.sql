-- The steps of a run listed as judgement work, in their order (most executions first).
SELECT activity, executions, cases, signals, reason
FROM judgement_work WHERE run_id = $run_id ORDER BY rank
