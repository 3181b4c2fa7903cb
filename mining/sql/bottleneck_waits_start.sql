-- Hand-over waits of a log with start timestamps: from the completion of an event to the start
-- of its directly-follows successor (to its completion where the successor has no start
-- timestamp, i.e. is taken as instant), in seconds, floored at 0 where the successor started
-- before the event completed (as pm4py floors it).
CREATE OR REPLACE TEMP VIEW sf_bottleneck_waits AS
SELECT activity_id AS source_id,
       next_activity_id AS target_id,
       greatest(epoch_us(coalesce(next_start_ts, next_ts)) - epoch_us(ts), 0) / 1e6 AS wait_s
FROM sf_events
WHERE next_activity_id IS NOT NULL
