-- The log's activity ids by label, to turn configured activity labels into ids.
-- Parameters: $log_id.
SELECT name, activity_id FROM activities WHERE log_id = $log_id
