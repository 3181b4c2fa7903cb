-- Per team or resource ($level = 'team' | 'resource'): events it handled and cases it touched.
-- A case touches a group in at least one run of consecutive events held by it, and every run
-- ends with an event whose successor is held by another group (or by none, or that ends the
-- case): distinct cases are counted over those run ends only, not over every event.
-- Parameters: $log_id, $level.
WITH owners AS (
    SELECT case_no,
           CASE WHEN $level = 'team' THEN team_id ELSE resource_id END AS who,
           CASE WHEN $level = 'team' THEN next_team_id ELSE next_resource_id END AS next_who
    FROM sf_events
),
events AS (
    SELECT who, count(*) AS events FROM owners WHERE who IS NOT NULL GROUP BY who
),
touched AS (
    SELECT who, count(*) AS cases
    FROM (SELECT DISTINCT who, case_no FROM owners
          WHERE who IS NOT NULL AND next_who IS DISTINCT FROM who)
    GROUP BY who
),
labels AS (
    SELECT team_id AS id, name FROM teams WHERE log_id = $log_id AND $level = 'team'
    UNION ALL
    SELECT resource_id, name FROM resources WHERE log_id = $log_id AND $level = 'resource'
)
SELECT l.name, e.events, t.cases
FROM events e
JOIN touched t USING (who)
JOIN labels l ON l.id = e.who
ORDER BY t.cases DESC, l.name
