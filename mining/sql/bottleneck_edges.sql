-- Hand-overs (directly-follows edges) with the delay they add, kept as the temp table
-- `sf_bottleneck_edges` (the activity bottlenecks sum it per target): the baseline is the
-- $baseline_quantile quantile of all hand-over waits of the filtered log (linear interpolation;
-- 0.5 = the log-wide median hand-over), a hand-over's excess is its wait above the baseline
-- (0 if below), an edge's delay is the sum of its hand-overs' excesses.
CREATE OR REPLACE TEMP TABLE sf_bottleneck_edges AS
WITH baseline AS (
    SELECT quantile_cont(wait_s, $baseline_quantile) AS baseline_s FROM sf_bottleneck_waits
)
SELECT w.source_id,
       w.target_id,
       count(*) AS n,
       avg(w.wait_s::DECIMAL(18, 6)) AS mean_s,
       quantile_cont(w.wait_s, [0.5, 0.9]) AS q,
       sum(w.wait_s::DECIMAL(18, 6))::DOUBLE AS total_wait_s,
       count(*) FILTER (WHERE w.wait_s > b.baseline_s) AS n_excess,
       sum(greatest(w.wait_s - b.baseline_s, 0)::DECIMAL(18, 7))::DOUBLE AS delay_s,
       any_value(b.baseline_s) AS baseline_s
FROM sf_bottleneck_waits w CROSS JOIN baseline b
GROUP BY w.source_id, w.target_id
