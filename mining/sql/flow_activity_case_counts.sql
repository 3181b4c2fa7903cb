-- Per activity of the filtered log, from the variants: occurrences, cases it occurs in, and
-- cases that start and end with it (sums of the variants' case counts).
CREATE OR REPLACE TEMP VIEW sf_flow_activity_case_counts AS
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
SELECT o.activity_id,
       o.occurrences,
       c.n_cases,
       coalesce(s.starts, 0) AS starts,
       coalesce(e.ends, 0) AS ends
FROM occurrences o
JOIN in_cases c ON c.activity_id = o.activity_id
LEFT JOIN starts s ON s.activity_id = o.activity_id
LEFT JOIN ends e ON e.activity_id = o.activity_id
