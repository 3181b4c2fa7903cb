-- The log's own labels of activities, teams or resources ($level), by id.
-- Parameters: $log_id, $level ('activity' | 'team' | 'resource').
SELECT activity_id AS id, name FROM activities WHERE log_id = $log_id AND $level = 'activity'
UNION ALL
SELECT team_id, name FROM teams WHERE log_id = $log_id AND $level = 'team'
UNION ALL
SELECT resource_id, name FROM resources WHERE log_id = $log_id AND $level = 'resource'
