-- The mining runs of one log, newest first, with what an export needs to choose and describe one.
SELECT run_id, started_at, as_of, last_load_id, cases, events, filter, options, summary,
       servflow_version
FROM mining_runs
WHERE log_id = $log_id
ORDER BY run_id DESC
