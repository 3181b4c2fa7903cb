-- Per team or resource ($level = 'team' | 'resource'): events it handled and cases it touched.
-- Parameters: $log_id, $level.
WITH owners AS (
    SELECT case_no, CASE WHEN $level = 'team' THEN team_id ELSE resource_id END AS who
    FROM sf_events
),
labels AS (
    SELECT team_id AS id, name FROM teams WHERE log_id = $log_id AND $level = 'team'
    UNION ALL
    SELECT resource_id, name FROM resources WHERE log_id = $log_id AND $level = 'resource'
)
SELECT l.name, count(*) AS events, count(DISTINCT o.case_no) AS cases
FROM owners o JOIN labels l ON l.id = o.who
GROUP BY l.name
ORDER BY cases DESC, l.name
