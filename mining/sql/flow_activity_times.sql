-- Per activity of a log with start timestamps, kept as the temp table `sf_activity_times` (the
-- flows' activity statistics and the activity bottlenecks read it): the service time (ts -
-- start_ts, for events with a start timestamp) and the waiting time before each event (its
-- start, or its completion where it has no start and so is taken as instant, minus the previous
-- event's completion; floored at 0 where work overlaps, as pm4py floors hand-over times; none
-- for a case's first event): count, mean, median and total. Every activity of the filtered
-- log has a row (sf_flow_activity_case_counts); counts are 0 and figures NULL where it has none.
CREATE OR REPLACE TEMP TABLE sf_activity_times AS
WITH service AS (
    SELECT activity_id,
           count(*) AS service_n,
           avg(service_s) AS service_mean_s,
           median(service_s) AS service_median_s,
           sum(service_s) AS service_total_s
    FROM (
        SELECT activity_id, (epoch_us(ts) - epoch_us(start_ts)) / 1e6 AS service_s
        FROM sf_events
        WHERE start_ts IS NOT NULL
    )
    GROUP BY activity_id
),
waiting AS (
    -- from each event's successor columns: the wait before the next event (no window needed)
    SELECT activity_id,
           count(*) AS waiting_n,
           avg(waiting_s) AS waiting_mean_s,
           median(waiting_s) AS waiting_median_s,
           sum(waiting_s) AS waiting_total_s
    FROM (
        SELECT next_activity_id AS activity_id,
               greatest(epoch_us(coalesce(next_start_ts, next_ts)) - epoch_us(ts), 0) / 1e6
                   AS waiting_s
        FROM sf_events
        WHERE next_activity_id IS NOT NULL
    )
    GROUP BY activity_id
)
SELECT a.activity_id,
       coalesce(s.service_n, 0) AS service_n,
       s.service_mean_s,
       s.service_median_s,
       s.service_total_s,
       coalesce(w.waiting_n, 0) AS waiting_n,
       w.waiting_mean_s,
       w.waiting_median_s,
       w.waiting_total_s
FROM sf_flow_activity_case_counts a
LEFT JOIN service s USING (activity_id)
LEFT JOIN waiting w USING (activity_id)
