-- Per variant of the filtered log and activity in it: how often the activity occurs, and how
-- often directly after itself (a self-loop A-A), kept as the temp table
-- `sf_rework_variant_activities`. Every case of a variant repeats the same activities, so case
-- counts of rework are sums over the variants' case counts (sf_flow_variant_counts).
CREATE OR REPLACE TEMP TABLE sf_rework_variant_activities AS
WITH positions AS (
    SELECT variant_no, variant, unnest(range(1, len(variant) + 1)) AS pos
    FROM sf_flow_variant_counts
)
SELECT variant_no,
       variant[pos] AS activity_id,
       count(*) AS occurrences,
       count(*) FILTER (WHERE pos > 1 AND variant[pos - 1] = variant[pos]) AS self_loops
FROM positions
GROUP BY variant_no, variant[pos]
