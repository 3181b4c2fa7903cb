-- The activities of a log flagged as already automated.
SELECT activity FROM automation_flags WHERE log_id = $log_id ORDER BY activity
