-- The activity labels of one log, by id.
SELECT activity_id, name FROM activities WHERE log_id = $log_id
