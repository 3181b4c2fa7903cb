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
SELECT l.name, o.events, o.cases
FROM (SELECT who, count(*) AS events, count(DISTINCT case_no) AS cases
      FROM owners WHERE who IS NOT NULL GROUP BY who) o
JOIN labels l ON l.id = o.who
ORDER BY o.cases DESC, l.name
