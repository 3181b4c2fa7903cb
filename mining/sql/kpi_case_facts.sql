-- Per selected case, the facts the service-quality scorecard is computed from.
-- - first handling: the first event of a $handling activity (any position), or, when
--   $handling_configured is false, the case's second event; its begin is its start timestamp
--   where the log has one, else its completion; response_s counts from the first event and is
--   never negative (an intake event that is itself handling responds at once);
-- - resolution: the first event of a $resolution activity;
-- - hand-overs: consecutive events held by different (non-null) holders at $level ('team' or
--   'resource'), counted up to the first resolution;
-- - reopened: a $reopen activity occurs ($reopen_configured), else work after the first
--   resolution: another resolution, or an activity the case already did before resolving;
-- - repeat contacts / escalations: events of $repeat / $escalation activities.
-- Parameters: $handling, $handling_configured, $resolution, $reopen, $reopen_configured,
-- $repeat, $escalation, $level.
CREATE OR REPLACE TEMP TABLE sf_kpi_case_facts AS
WITH marked AS (
    SELECT case_no, seq, activity_id, ts,
           coalesce(start_ts, ts) AS begun_ts,
           CASE $level WHEN 'team' THEN team_id WHEN 'resource' THEN resource_id END AS holder,
           CASE $level WHEN 'team' THEN next_team_id
                       WHEN 'resource' THEN next_resource_id END AS next_holder,
           CASE WHEN $handling_configured THEN list_contains($handling::INTEGER[], activity_id)
                ELSE seq = 1 END AS is_handling,
           list_contains($resolution::INTEGER[], activity_id) AS is_resolution,
           list_contains($reopen::INTEGER[], activity_id) AS is_reopen,
           list_contains($repeat::INTEGER[], activity_id) AS is_repeat,
           list_contains($escalation::INTEGER[], activity_id) AS is_escalation
    FROM sf_events
),
placed AS (
    SELECT *, min(seq) FILTER (WHERE is_resolution) OVER (PARTITION BY case_no) AS resolution_seq
    FROM marked
),
per_case AS (
    SELECT case_no,
           min(ts) AS first_ts,
           max(ts) AS last_ts,
           arg_min(begun_ts, seq) FILTER (WHERE is_handling) AS handling_begun_ts,
           min(ts) FILTER (WHERE is_resolution) AS resolved_ts,
           count(holder) FILTER (WHERE resolution_seq IS NULL OR seq <= resolution_seq)
               AS held_events,
           count(*) FILTER (WHERE holder IS NOT NULL AND next_holder IS NOT NULL
                              AND holder <> next_holder AND seq < resolution_seq)
               AS handovers_before_resolution,
           count(*) FILTER (WHERE is_resolution AND seq > resolution_seq) AS resolutions_after,
           list_distinct(list(activity_id) FILTER (WHERE seq < resolution_seq)) AS before_ids,
           list_distinct(list(activity_id) FILTER (WHERE seq > resolution_seq)) AS after_ids,
           count(*) FILTER (WHERE is_reopen) AS reopen_events,
           count(*) FILTER (WHERE is_repeat) AS repeat_events,
           count(*) FILTER (WHERE is_escalation) AS escalation_events
    FROM placed
    GROUP BY case_no
)
SELECT case_no, first_ts, last_ts,
       date_diff('microsecond', first_ts, last_ts) / 1e6 AS lead_time_s,
       -- greatest() skips NULLs: guard so that cases never handled stay NULL, not 0
       CASE WHEN handling_begun_ts IS NOT NULL
            THEN greatest(date_diff('microsecond', first_ts, handling_begun_ts) / 1e6, 0.0)
       END AS response_s,
       resolved_ts IS NOT NULL AS resolved,
       date_diff('microsecond', first_ts, resolved_ts) / 1e6 AS resolution_s,
       held_events,
       handovers_before_resolution,
       CASE WHEN resolved_ts IS NULL THEN NULL
            WHEN $reopen_configured THEN reopen_events > 0
            ELSE resolutions_after > 0 OR len(list_intersect(before_ids, after_ids)) > 0
       END AS reopened,
       repeat_events,
       escalation_events
FROM per_case
