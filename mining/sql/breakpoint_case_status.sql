-- Each selected case's state as of $as_of: its last event, how long it has been idle, whether it
-- ended at an end activity ($end_ids), and the idle time that is normal after its last activity.
-- Normal = the $quantile of the follow-up gaps after that activity in cases that continued
-- (needs at least $min_samples of them, else the log-wide $quantile of all follow-up gaps), or
-- the configured $idle_threshold_s for every activity. A case is stalled when it did not end at
-- an end activity and has been idle longer than normal.
-- Parameters: $as_of, $end_ids, $quantile, $min_samples, $idle_threshold_s.
CREATE OR REPLACE TEMP TABLE sf_case_status AS
WITH gaps AS (
    SELECT activity_id, date_diff('microsecond', ts, next_ts) / 1e6 AS gap_s
    FROM sf_events
    WHERE next_ts IS NOT NULL
),
per_activity AS (
    SELECT activity_id, count(*) AS n, quantile_cont(gap_s, $quantile) AS q
    FROM gaps GROUP BY activity_id
),
log_wide AS (
    SELECT quantile_cont(gap_s, $quantile) AS q FROM gaps
),
last_events AS (
    SELECT case_no, activity_id, ts FROM sf_events WHERE next_activity_id IS NULL
),
judged AS (
    SELECT c.case_no, c.case_id, c.start_ts, c.end_ts,
           l.activity_id AS last_activity_id,
           l.ts AS last_ts,
           greatest(date_diff('microsecond', l.ts, $as_of::TIMESTAMP) / 1e6, 0.0) AS idle_s,
           list_contains($end_ids::INTEGER[], l.activity_id) AS ended,
           CASE WHEN $idle_threshold_s IS NOT NULL THEN $idle_threshold_s::DOUBLE
                WHEN p.n >= $min_samples THEN p.q
                ELSE w.q END AS threshold_s,
           CASE WHEN $idle_threshold_s IS NOT NULL THEN 'configured'
                WHEN p.n >= $min_samples THEN 'learned'
                WHEN w.q IS NOT NULL THEN 'log-wide' END AS threshold_source
    FROM sf_cases c
    JOIN last_events l USING (case_no)
    LEFT JOIN per_activity p ON p.activity_id = l.activity_id
    CROSS JOIN log_wide w
)
SELECT *, coalesce(NOT ended AND idle_s > threshold_s, false) AS stalled
FROM judged
