-- Per selected case, the facts the service-quality scorecard is computed from: its variant's
-- positions (sf_kpi_variants, kpi_variant_facts.sql) and the events at them.
-- - response_s: from the first event to the begin of the first handling event (its start
--   timestamp where the log has one, else its completion), never negative (an intake event that
--   is itself handling responds at once);
-- - resolution_s: from the first event to the first resolution event;
-- - hand-overs: consecutive events held by different (non-null) holders at $level ('team' or
--   'resource'); held_before_resolution: some event up to the first resolution has a holder;
--   handover_free: no hand-over before the first resolution. $holders_complete: every event
--   has a holder at $level (then the first one has).
-- Parameters: $level, $holders_complete.
CREATE OR REPLACE TEMP TABLE sf_kpi_case_facts AS
WITH per_case AS (
    SELECT c.case_no, c.start_ts AS first_ts, c.lead_s,
           k.handling_seq, k.resolution_seq, k.reopened, k.repeat_events, k.escalation_events
    FROM sf_flow_cases c
    JOIN sf_kpi_variants k USING (variant_no)
),
wanted AS (
    SELECT case_no, handling_seq AS seq FROM per_case WHERE handling_seq IS NOT NULL
    UNION ALL
    SELECT case_no, resolution_seq FROM per_case WHERE resolution_seq IS NOT NULL
),
picked AS (
    SELECT e.case_no, e.seq, e.ts, coalesce(e.start_ts, e.ts) AS begun_ts
    FROM sf_events e
    SEMI JOIN wanted w ON w.case_no = e.case_no AND w.seq = e.seq
),
held AS (
    SELECT case_no, seq,
           CASE $level WHEN 'team' THEN team_id WHEN 'resource' THEN resource_id END AS holder,
           CASE $level WHEN 'team' THEN next_team_id
                       WHEN 'resource' THEN next_resource_id END AS next_holder
    FROM sf_events
),
holders AS (
    -- the first held event and the first hand-over of each case (where every event is held,
    -- only the hand-overs are read)
    SELECT case_no,
           min(seq) AS first_held_seq,
           min(seq) FILTER (WHERE holder <> next_holder) AS first_handover_seq
    FROM held
    WHERE holder IS NOT NULL AND (NOT $holders_complete OR holder <> next_holder)
    GROUP BY case_no
)
SELECT c.case_no,
       c.lead_s AS lead_time_s,
       -- greatest() skips NULLs: guard so that cases never handled stay NULL, not 0
       CASE WHEN h.begun_ts IS NOT NULL
            THEN greatest(date_diff('microsecond', c.first_ts, h.begun_ts) / 1e6, 0.0)
       END AS response_s,
       c.resolution_seq IS NOT NULL AS resolved,
       date_diff('microsecond', c.first_ts, r.ts) / 1e6 AS resolution_s,
       coalesce($holders_complete OR o.first_held_seq <= c.resolution_seq, false)
           AS held_before_resolution,
       coalesce(o.first_handover_seq IS NULL OR o.first_handover_seq >= c.resolution_seq, true)
           AS handover_free,
       c.reopened,
       c.repeat_events,
       c.escalation_events
FROM per_case c
LEFT JOIN picked h ON h.case_no = c.case_no AND h.seq = c.handling_seq
LEFT JOIN picked r ON r.case_no = c.case_no AND r.seq = c.resolution_seq
LEFT JOIN holders o ON o.case_no = c.case_no
