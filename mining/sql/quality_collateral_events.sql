-- Exact duplicate events (collateral events): every copy after the first.
WITH copies AS (
    SELECT case_id, activity, ts, count(*) - 1 AS extra, list(source_row ORDER BY source_row) AS rows
    FROM sf_valid
    GROUP BY case_id, activity, ts, start_ts, resource, team, lifecycle, attributes
    HAVING count(*) > 1
)
SELECT coalesce(sum(extra), 0) AS affected,
       list({'rows': rows[1:5], 'case': case_id, 'activity': activity, 'timestamp': ts::VARCHAR}
            ORDER BY rows[1])[1:5] AS examples
FROM copies
