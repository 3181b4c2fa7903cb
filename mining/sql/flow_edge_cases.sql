-- In how many cases of the filtered log each directly-follows edge occurs, from the variants:
-- every case of a variant contains the same edges, so it is the sum of the case counts of the
-- variants that contain the edge (once per variant, however often the edge repeats in it).
CREATE OR REPLACE TEMP VIEW sf_flow_edge_cases AS
SELECT edge.source_id, edge.target_id, sum(n) AS n_cases
FROM (
    SELECT n,
           unnest(list_distinct(list_transform(
               range(1, len(variant)),
               lambda i: {'source_id': variant[i], 'target_id': variant[i + 1]}
           ))) AS edge
    FROM sf_flow_variant_counts
)
GROUP BY edge.source_id, edge.target_id
