-- Per activity of a log with start timestamps: service time (ts - start_ts, where the event
-- has a start) against the waiting time before it (sf_activity_times, flow_activity_times.sql),
-- and the delay its waiting adds over the baseline hand-over wait: the waits before an
-- activity are the hand-overs into it, so its delay is the sum of the delays of the edges that
-- end at it (sf_bottleneck_edges, bottleneck_edges.sql, with start-based waits).
WITH into_activity AS (
    SELECT target_id AS activity_id, sum(delay_s::DECIMAL(18, 7))::DOUBLE AS delay_s
    FROM sf_bottleneck_edges
    GROUP BY target_id
),
baseline AS (SELECT any_value(baseline_s) AS baseline_s FROM sf_bottleneck_edges)
SELECT a.name AS activity,
       t.service_n,
       t.service_mean_s,
       t.service_median_s,
       t.service_total_s,
       t.waiting_n,
       t.waiting_mean_s,
       t.waiting_median_s,
       t.waiting_total_s,
       b.baseline_s,
       coalesce(d.delay_s, 0) AS delay_s
FROM sf_activity_times t
JOIN activities a ON a.log_id = $log_id AND a.activity_id = t.activity_id
LEFT JOIN into_activity d ON d.activity_id = t.activity_id
CROSS JOIN baseline b
ORDER BY delay_s DESC, a.name
