-- Per activity of a log with start timestamps: service time (ts - start_ts, where the event
-- has a start) against the waiting time before it (its start, or its completion where it has no
-- start, minus the previous event's completion, floored at 0; none for a case's first event),
-- and the delay its waiting adds over the baseline hand-over wait (as in bottleneck_edges.sql).
WITH timed AS MATERIALIZED (
    -- service time from each event itself, waiting time from its predecessor's successor
    -- columns (no window function needed)
    SELECT activity_id,
           CASE WHEN start_ts IS NOT NULL
                THEN (epoch_us(ts) - epoch_us(start_ts)) / 1e6 END AS service_s,
           NULL::DOUBLE AS waiting_s
    FROM sf_events
    UNION ALL
    SELECT next_activity_id,
           NULL::DOUBLE,
           greatest(epoch_us(coalesce(next_start_ts, next_ts)) - epoch_us(ts), 0) / 1e6
    FROM sf_events
    WHERE next_activity_id IS NOT NULL
),
baseline AS (
    SELECT quantile_cont(waiting_s, $baseline_quantile) AS baseline_s FROM timed
),
activity_agg AS (
    SELECT t.activity_id,
           count(t.service_s) AS service_n,
           avg(t.service_s) AS service_mean_s,
           median(t.service_s) AS service_median_s,
           sum(t.service_s) AS service_total_s,
           count(t.waiting_s) AS waiting_n,
           avg(t.waiting_s) AS waiting_mean_s,
           median(t.waiting_s) AS waiting_median_s,
           sum(t.waiting_s) AS waiting_total_s,
           coalesce(sum(greatest(t.waiting_s - b.baseline_s, 0)), 0) AS delay_s,
           any_value(b.baseline_s) AS baseline_s
    FROM timed t CROSS JOIN baseline b
    GROUP BY t.activity_id
)
SELECT a.name AS activity,
       g.service_n,
       g.service_mean_s,
       g.service_median_s,
       g.service_total_s,
       g.waiting_n,
       g.waiting_mean_s,
       g.waiting_median_s,
       g.waiting_total_s,
       g.baseline_s,
       g.delay_s
FROM activity_agg g
JOIN activities a ON a.log_id = $log_id AND a.activity_id = g.activity_id
ORDER BY g.delay_s DESC, a.name
