-- Per activity of the filtered log: occurrences, cases it occurs in, and how many cases start
-- and end with it, summed over the variants' case counts (sf_flow_variant_counts).
WITH occurrences AS (
    SELECT activity_id, sum(n) AS occurrences
    FROM (SELECT n, unnest(variant) AS activity_id FROM sf_flow_variant_counts)
    GROUP BY activity_id
),
in_cases AS (
    SELECT activity_id, sum(n) AS n_cases
    FROM (SELECT n, unnest(list_distinct(variant)) AS activity_id FROM sf_flow_variant_counts)
    GROUP BY activity_id
),
starts AS (
    SELECT variant[1] AS activity_id, sum(n) AS starts
    FROM sf_flow_variant_counts
    GROUP BY variant[1]
),
ends AS (
    SELECT variant[len(variant)] AS activity_id, sum(n) AS ends
    FROM sf_flow_variant_counts
    GROUP BY variant[len(variant)]
)
SELECT a.name AS activity,
       o.occurrences,
       c.n_cases AS cases,
       coalesce(s.starts, 0) AS starts,
       coalesce(e.ends, 0) AS ends
FROM occurrences o
JOIN in_cases c ON c.activity_id = o.activity_id
LEFT JOIN starts s ON s.activity_id = o.activity_id
LEFT JOIN ends e ON e.activity_id = o.activity_id
JOIN activities a ON a.log_id = $log_id AND a.activity_id = o.activity_id
ORDER BY o.occurrences DESC, a.name
