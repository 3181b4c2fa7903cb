-- Whether some case of log $log_id has the case attribute at JSON path $path.
SELECT 1 FROM cases WHERE log_id = $log_id AND attributes ->> $path IS NOT NULL LIMIT 1
