-- Each selected case's state as of $as_of: its last event, how long it has been idle, whether it
-- ended at an end activity ($end_ids), and the idle time that is normal after its last activity.
-- Normal = the $quantile of the follow-up gaps after that activity in cases that continued
-- (needs at least $min_samples of them, else the log-wide $quantile of all follow-up gaps), or
-- the configured $idle_threshold_s for every activity. A case is stalled when it did not end at
-- an end activity and has been idle longer than normal.
-- A case's last event is the last activity of its variant, at its last timestamp (events are in
-- time order); start_ts / end_ts are the stored case's. Reads sf_flow_cases and
-- sf_flow_variant_counts (flows.prepare_case_views).
-- Parameters: $as_of, $end_ids, $quantile, $min_samples, $idle_threshold_s.
CREATE OR REPLACE TEMP TABLE sf_case_status AS
WITH gaps AS (
    SELECT activity_id, date_diff('microsecond', ts, next_ts) / 1e6 AS gap_s
    FROM sf_events
    WHERE next_ts IS NOT NULL
),
normal AS MATERIALIZED (
    -- per activity and log-wide (grouping 1) in one pass over the gaps
    SELECT activity_id, grouping(activity_id) AS log_wide, count(*) AS n,
           quantile_cont(gap_s, $quantile) AS q
    FROM gaps
    GROUP BY GROUPING SETS ((activity_id), ())
),
per_activity AS (SELECT activity_id, n, q FROM normal WHERE log_wide = 0),
log_wide AS (SELECT q FROM normal WHERE log_wide = 1),
last_events AS (
    SELECT c.case_no, c.case_start_ts, c.case_end_ts,
           v.variant[len(v.variant)] AS activity_id,
           c.end_ts AS ts
    FROM sf_flow_cases c
    JOIN sf_flow_variant_counts v USING (variant_no)
),
judged AS (
    SELECT l.case_no, l.case_start_ts AS start_ts, l.case_end_ts AS end_ts,
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
    FROM last_events l
    LEFT JOIN per_activity p ON p.activity_id = l.activity_id
    LEFT JOIN log_wide w ON true
)
SELECT *, coalesce(NOT ended AND idle_s > threshold_s, false) AS stalled
FROM judged
