-- Every stored log with its size, time span and loads.
SELECT l.name,
       l.log_id,
       (SELECT count(*) FROM cases c WHERE c.log_id = l.log_id) AS cases,
       (SELECT coalesce(sum(n_events), 0) FROM cases c WHERE c.log_id = l.log_id) AS events,
       (SELECT count(*) FROM activities a WHERE a.log_id = l.log_id) AS activities,
       (SELECT min(start_ts) FROM cases c WHERE c.log_id = l.log_id) AS first_event,
       (SELECT max(end_ts) FROM cases c WHERE c.log_id = l.log_id) AS last_event,
       (SELECT count(*) FROM loads d WHERE d.log_id = l.log_id) AS loads,
       (SELECT max(loaded_at) FROM loads d WHERE d.log_id = l.log_id) AS last_loaded_at,
       l.created_at
FROM logs l
ORDER BY l.name
