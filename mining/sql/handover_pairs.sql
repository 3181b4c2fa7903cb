-- Every hand-over pair of `sf_handovers` with its count, kept as the temp table
-- `sf_handover_pairs (source, target, count)`. Counting is one hash aggregate however many pairs
-- there are; the ranking keeps only the top pairs (handover_pair_totals.sql,
-- handover_edges.sql), and quantiles and distinct cases are left to handover_edges.sql, for
-- those pairs only.
CREATE OR REPLACE TEMP TABLE sf_handover_pairs AS
SELECT source, target, count(*) AS count
FROM sf_handovers
GROUP BY source, target
