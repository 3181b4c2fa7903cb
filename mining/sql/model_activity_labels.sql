-- The log's own activity labels by id.
SELECT activity_id, name FROM activities WHERE log_id = ? ORDER BY activity_id;
