-- Give integer ids to activity labels this log has not seen before (ids continue per log).
INSERT INTO activities
SELECT $log_id,
       (SELECT coalesce(max(activity_id), 0) FROM activities WHERE log_id = $log_id)
           + row_number() OVER (ORDER BY first_row),
       name
FROM (
    SELECT activity AS name, min(source_row) AS first_row FROM sf_valid GROUP BY activity
) s
WHERE NOT EXISTS (SELECT 1 FROM activities a WHERE a.log_id = $log_id AND a.name = s.name)
