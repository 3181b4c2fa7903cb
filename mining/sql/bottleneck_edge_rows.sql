-- The edges of sf_bottleneck_edges (bottleneck_edges.sql) ranked by the delay they add, with
-- the activities' labels; case counts come from sf_flow_edge_cases.
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
FROM sf_bottleneck_edges e
JOIN sf_flow_edge_cases c ON c.source_id = e.source_id AND c.target_id = e.target_id
JOIN activities s ON s.log_id = $log_id AND s.activity_id = e.source_id
JOIN activities t ON t.log_id = $log_id AND t.activity_id = e.target_id
ORDER BY e.delay_s DESC, e.n DESC, s.name, t.name
