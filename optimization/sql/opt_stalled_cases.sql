-- The cases mining run $run_id found stalled.
SELECT DISTINCT case_id
FROM run_stalled_cases
WHERE run_id = $run_id
