INSERT INTO resources
SELECT $log_id,
       (SELECT coalesce(max(resource_id), 0) FROM resources WHERE log_id = $log_id)
           + row_number() OVER (ORDER BY first_row),
       name
FROM (
    SELECT resource AS name, min(source_row) AS first_row
    FROM sf_valid WHERE resource IS NOT NULL GROUP BY resource
) s
WHERE NOT EXISTS (SELECT 1 FROM resources r WHERE r.log_id = $log_id AND r.name = s.name)
