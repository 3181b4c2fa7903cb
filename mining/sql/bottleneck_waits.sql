-- Hand-over waits of a log without start timestamps: from the completion of an event to the
-- completion of its directly-follows successor, in seconds (a plain scan of the successor
-- columns).
CREATE OR REPLACE TEMP VIEW sf_bottleneck_waits AS
SELECT activity_id AS source_id,
       next_activity_id AS target_id,
       (epoch_us(next_ts) - epoch_us(ts)) / 1e6 AS wait_s
FROM sf_events
WHERE next_activity_id IS NOT NULL
