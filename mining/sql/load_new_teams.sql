INSERT INTO teams
SELECT $log_id,
       (SELECT coalesce(max(team_id), 0) FROM teams WHERE log_id = $log_id)
           + row_number() OVER (ORDER BY first_row),
       name
FROM (
    SELECT team AS name, min(source_row) AS first_row
    FROM sf_valid WHERE team IS NOT NULL GROUP BY team
) s
WHERE NOT EXISTS (SELECT 1 FROM teams t WHERE t.log_id = $log_id AND t.name = s.name)
