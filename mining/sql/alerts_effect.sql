-- Effect of the idle rules of log $log_name ($log_id): for each rule with delivered reminders,
-- the time from a wait's first delivered reminder to the ticket's next event ("alerted"),
-- against the waits at the same activity that passed the same limit, unalerted, before the
-- rule's first reminder ("baseline", measured from the moment the limit passed). Waits without
-- a next event have not progressed yet: they count in `*_waits` but not in the medians.
WITH alerted AS (
    SELECT rule, ticket, since,
           any_value(activity) AS activity,
           min(threshold_s) AS threshold_s,
           min(as_of) AS alerted_at
    FROM sent_alerts
    WHERE log_name = $log_name AND outcome = 'sent' AND level = 'remind' AND rule LIKE 'idle:%'
    GROUP BY rule, ticket, since
),
rules AS (
    SELECT rule, any_value(activity) AS activity, median(threshold_s) AS threshold_s,
           min(alerted_at) AS first_alert
    FROM alerted GROUP BY rule
),
waits AS (
    SELECT c.case_id AS ticket, a.name AS activity, e.ts, e.next_ts
    FROM events e
    JOIN cases c ON c.log_id = e.log_id AND c.case_no = e.case_no
    JOIN activities a ON a.log_id = e.log_id AND a.activity_id = e.activity_id
    WHERE e.log_id = $log_id AND a.name IN (SELECT activity FROM rules)
),
alerted_response AS (
    SELECT al.rule,
           -- greatest() skips NULLs: a wait without a next event keeps NULL (not progressed)
           CASE WHEN w.next_ts IS NOT NULL
                THEN greatest(date_diff('microsecond', al.alerted_at, w.next_ts) / 1e6, 0.0)
           END AS response_s
    FROM alerted al
    JOIN waits w ON w.ticket = al.ticket AND w.ts = al.since AND w.activity = al.activity
),
baseline_response AS (
    SELECT r.rule,
           date_diff('microsecond', w.ts, w.next_ts) / 1e6 - r.threshold_s AS response_s
    FROM rules r
    JOIN waits w ON w.activity = r.activity
    WHERE w.ts + to_microseconds(CAST(r.threshold_s * 1e6 AS BIGINT)) < r.first_alert
      AND (w.next_ts IS NULL OR date_diff('microsecond', w.ts, w.next_ts) / 1e6 > r.threshold_s)
      AND NOT EXISTS (
          SELECT 1 FROM alerted al
          WHERE al.rule = r.rule AND al.ticket = w.ticket AND al.since = w.ts
      )
),
alerted_stats AS (
    SELECT rule, count(*) AS waits, count(response_s) AS progressed,
           median(response_s) AS median_s
    FROM alerted_response GROUP BY rule
),
baseline_stats AS (
    SELECT rule, count(*) AS waits, count(response_s) AS progressed,
           median(response_s) AS median_s
    FROM baseline_response GROUP BY rule
)
SELECT r.rule, r.activity, r.threshold_s, r.first_alert,
       coalesce(a.waits, 0), coalesce(a.progressed, 0), a.median_s,
       coalesce(b.waits, 0), coalesce(b.progressed, 0), b.median_s
FROM rules r
LEFT JOIN alerted_stats a USING (rule)
LEFT JOIN baseline_stats b USING (rule)
ORDER BY r.rule
