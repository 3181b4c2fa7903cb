-- Hand-overs (directly-follows edges) ranked by the delay they add: the baseline is the
-- $baseline_quantile quantile of all hand-over waits of the filtered log (linear interpolation;
-- 0.5 = the log-wide median hand-over), a hand-over's excess is its wait above the baseline
-- (0 if below), an edge's delay is the sum of its hand-overs' excesses. Case counts come from
-- sf_flow_edge_cases.
WITH waits AS MATERIALIZED (
    SELECT source_id, target_id, wait_s FROM sf_bottleneck_waits
),
baseline AS (
    SELECT quantile_cont(wait_s, $baseline_quantile) AS baseline_s FROM waits
),
edge_agg AS (
    SELECT w.source_id,
           w.target_id,
           count(*) AS n,
           avg(w.wait_s) AS mean_s,
           quantile_cont(w.wait_s, [0.5, 0.9]) AS q,
           sum(w.wait_s) AS total_wait_s,
           count(*) FILTER (WHERE w.wait_s > b.baseline_s) AS n_excess,
           sum(greatest(w.wait_s - b.baseline_s, 0)) AS delay_s,
           any_value(b.baseline_s) AS baseline_s
    FROM waits w CROSS JOIN baseline b
    GROUP BY w.source_id, w.target_id
)
SELECT s.name AS source,
       t.name AS target,
       e.n AS count,
       c.n_cases AS cases,
       e.q[1] AS median_s,
       e.mean_s,
       e.q[2] AS p90_s,
       e.total_wait_s,
       e.baseline_s,
       e.n_excess,
       e.delay_s
FROM edge_agg e
JOIN sf_flow_edge_cases c ON c.source_id = e.source_id AND c.target_id = e.target_id
JOIN activities s ON s.log_id = $log_id AND s.activity_id = e.source_id
JOIN activities t ON t.log_id = $log_id AND t.activity_id = e.target_id
ORDER BY e.delay_s DESC, e.n DESC, s.name, t.name
