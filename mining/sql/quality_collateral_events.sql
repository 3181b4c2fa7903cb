-- Exact duplicate events (collateral events): every copy after the first. Only events that share
-- case and timestamp with another one (sf_same_time, see quality_same_time_groups.sql) can be
-- copies; they are grouped by a 64-bit hash of all their fields.
WITH candidates AS MATERIALIZED (
    SELECT hash(v.case_id, v.activity, v.ts, v.start_ts, v.resource, v.team, v.lifecycle,
                v.attributes) AS key,
           v.source_row
    FROM sf_valid v
    SEMI JOIN sf_same_time g ON g.case_key = hash(v.case_id) AND g.ts = v.ts
),
copies AS MATERIALIZED (
    SELECT key, count(*) - 1 AS extra, list(source_row ORDER BY source_row)[1:5] AS rows
    FROM candidates
    GROUP BY key
    HAVING count(*) > 1
)
SELECT coalesce(sum(extra), 0) AS affected,
       (SELECT list({'rows': c.rows, 'case': v.case_id, 'activity': v.activity,
                     'timestamp': v.ts::VARCHAR} ORDER BY c.rows[1])
        FROM (SELECT * FROM copies ORDER BY rows[1] LIMIT 5) c
        JOIN sf_valid v ON v.source_row = c.rows[1]) AS examples
FROM copies
