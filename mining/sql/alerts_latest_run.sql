-- The newest mining run of log $log_name: its id, as-of time, options and break-point summary.
SELECT run_id, as_of, options, summary
FROM mining_runs
WHERE log_name = $log_name
ORDER BY run_id DESC
LIMIT 1
