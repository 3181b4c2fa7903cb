-- Every hand-over pair of `sf_handovers` with its count, ranked by count (ties by the ids), kept
-- as the temp table `sf_handover_pairs (source, target, count, pair_rank)`. Counting is one
-- hash aggregate however many pairs there are; quantiles and distinct cases are left to
-- handover_edges.sql, for the top-ranked pairs only.
CREATE OR REPLACE TEMP TABLE sf_handover_pairs AS
SELECT source, target, count(*) AS count,
       row_number() OVER (ORDER BY count(*) DESC, source, target) AS pair_rank
FROM sf_handovers
GROUP BY source, target
