-- Directly-follows edges of the filtered log (sf_events): frequency and the time from the
-- completion of the source to the completion of the target, in seconds. A plain aggregate over
-- the precomputed successor columns; case counts come from sf_flow_edge_cases. median is the
-- mean of the two middle values (as pandas and numpy compute it); P90 is quantile_cont, linear
-- interpolation between order statistics (numpy's default method "linear", Hyndman-Fan type 7).
WITH edge_times AS (
    SELECT activity_id AS source_id,
           next_activity_id AS target_id,
           count(*) AS n,
           avg(d::DECIMAL(18, 6)) AS mean_s,
           quantile_cont(d, [0.5, 0.9]) AS q,
           min(d) AS min_s,
           max(d) AS max_s,
           sum(d::DECIMAL(18, 6))::DOUBLE AS total_s
    FROM (
        SELECT activity_id, next_activity_id, (epoch_us(next_ts) - epoch_us(ts)) / 1e6 AS d
        FROM sf_events
        WHERE next_activity_id IS NOT NULL
    )
    GROUP BY activity_id, next_activity_id
)
SELECT s.name AS source,
       t.name AS target,
       e.n AS count,
       c.n_cases AS cases,
       e.mean_s,
       e.q[1] AS median_s,
       e.q[2] AS p90_s,
       e.min_s,
       e.max_s,
       e.total_s
FROM edge_times e
JOIN sf_flow_edge_cases c ON c.source_id = e.source_id AND c.target_id = e.target_id
JOIN activities s ON s.log_id = $log_id AND s.activity_id = e.source_id
JOIN activities t ON t.log_id = $log_id AND t.activity_id = e.target_id
ORDER BY e.n DESC, s.name, t.name
