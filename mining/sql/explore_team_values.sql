-- The teams of a log with the number of cases in which each did at least one event, the most
-- involved first: the choices of the team filter.
SELECT t.name AS team, count(DISTINCT e.case_no) AS cases
FROM events e
JOIN teams t ON t.log_id = e.log_id AND t.team_id = e.team_id
WHERE e.log_id = $log_id
GROUP BY t.name
ORDER BY cases DESC, team
LIMIT $max_values
