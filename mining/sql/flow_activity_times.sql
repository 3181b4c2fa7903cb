-- Per activity of a log with start timestamps, kept as the temp table `sf_activity_times` (the
-- flows' activity statistics and the activity bottlenecks read it): the service time (ts -
-- start_ts, for events with a start timestamp) and the waiting time before each event (its
-- start, or its completion where it has no start and so is taken as instant, minus the previous
-- event's completion; floored at 0 where work overlaps, as pm4py floors hand-over times; none
-- for a case's first event): count, mean, median and total.
CREATE OR REPLACE TEMP TABLE sf_activity_times AS
WITH timed AS (
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
)
SELECT activity_id,
       count(service_s) AS service_n,
       avg(service_s) AS service_mean_s,
       median(service_s) AS service_median_s,
       sum(service_s) AS service_total_s,
       count(waiting_s) AS waiting_n,
       avg(waiting_s) AS waiting_mean_s,
       median(waiting_s) AS waiting_median_s,
       sum(waiting_s) AS waiting_total_s
FROM timed
GROUP BY activity_id
