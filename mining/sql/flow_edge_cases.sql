-- In how many cases of the filtered log each directly-follows edge occurs: every case of a
-- variant contains the same edges, so it is the sum of the case counts of the variants that
-- contain the edge (once per variant, however often the edge repeats in it).
CREATE OR REPLACE TEMP VIEW sf_flow_edge_cases AS
SELECT source_id, target_id, sum(n) AS n_cases
FROM (
    SELECT DISTINCT variant, n, variant[i] AS source_id, variant[i + 1] AS target_id
    FROM (
        SELECT variant, n, unnest(range(1, len(variant))) AS i
        FROM sf_flow_variant_counts
    )
)
GROUP BY source_id, target_id
