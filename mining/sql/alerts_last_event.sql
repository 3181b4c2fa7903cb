-- The newest event time of log $log_id (UTC).
SELECT max(ts) FROM events WHERE log_id = $log_id
