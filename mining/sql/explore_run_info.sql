-- The mining runs of a log, newest first, and whether loads arrived after each.
SELECT r.run_id, r.started_at, r.as_of, r.cases, r.events,
       EXISTS (SELECT 1 FROM loads l WHERE l.log_id = r.log_id AND l.load_id > r.last_load_id)
           AS stale
FROM mining_runs r
WHERE r.log_id = $log_id
ORDER BY r.run_id DESC
