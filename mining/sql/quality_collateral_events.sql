-- Exact duplicate events (collateral events): every copy after the first. Events are grouped by
-- a 64-bit hash of all their fields (see quality_form_based_capture.sql on collisions).
WITH copies AS MATERIALIZED (
    SELECT hash(case_id, activity, ts, start_ts, resource, team, lifecycle, attributes) AS key,
           count(*) - 1 AS extra,
           list(source_row ORDER BY source_row)[1:5] AS rows
    FROM sf_valid
    GROUP BY 1
    HAVING count(*) > 1
)
SELECT coalesce(sum(extra), 0) AS affected,
       (SELECT list({'rows': c.rows, 'case': v.case_id, 'activity': v.activity,
                     'timestamp': v.ts::VARCHAR} ORDER BY c.rows[1])
        FROM (SELECT * FROM copies ORDER BY rows[1] LIMIT 5) c
        JOIN sf_valid v ON v.source_row = c.rows[1]) AS examples
FROM copies
