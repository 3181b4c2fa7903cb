-- The service-quality scorecard of the selected cases that have events, in one row. Per case,
-- the positions of its variant (sf_kpi_variants, kpi_variant_facts.sql) and the events at them:
-- - response: from the case's first event to the begin of its first handling event (its start
--   timestamp where the log has one, else its completion), never negative (an intake event
--   that is itself handling responds at once);
-- - resolution: from the first event to the first resolution event (resolved cases);
-- - lead time: from the first to the last event;
-- - first-contact resolution: of the resolved cases with a holder at $level ('team' or
--   'resource') on some event up to the first resolution, those without a hand-over (two
--   consecutive events held by different, non-null holders) before it. $holders_complete:
--   every event has a holder at $level (then only the hand-overs need reading);
-- - reopened, repeat contacts, escalations: from the variants.
-- Medians and P90 interpolate between order statistics (numpy's default quantile method).
-- Parameters: $handling, $handling_configured, $resolution, $level, $holders_complete.
WITH per_case AS (
    SELECT c.case_no, c.start_ts AS first_ts, k.handling_seq, k.resolution_seq
    FROM sf_flow_cases c
    JOIN sf_kpi_variants k USING (variant_no)
),
picked AS (
    -- the events at the handling and resolution positions (only events that can be one are
    -- looked up: the second event or a handling activity, and resolution activities)
    SELECT e.seq = c.handling_seq AS is_handling,
           e.seq = c.resolution_seq AS is_resolution,
           greatest(date_diff('microsecond', c.first_ts, coalesce(e.start_ts, e.ts)) / 1e6, 0.0)
               AS response_s,
           date_diff('microsecond', c.first_ts, e.ts) / 1e6 AS resolution_s
    FROM sf_events e
    JOIN per_case c
      ON c.case_no = e.case_no AND (e.seq = c.handling_seq OR e.seq = c.resolution_seq)
    WHERE (e.seq = 1 AND NOT $handling_configured)
       OR list_contains($handling::INTEGER[], e.activity_id)
       OR list_contains($resolution::INTEGER[], e.activity_id)
),
times AS (
    SELECT count(*) FILTER (WHERE is_handling) AS response_cases,
           median(response_s) FILTER (WHERE is_handling) AS response_median,
           avg(response_s::DECIMAL(18, 6)) FILTER (WHERE is_handling) AS response_mean,
           quantile_cont(response_s, 0.9) FILTER (WHERE is_handling) AS response_p90,
           median(resolution_s) FILTER (WHERE is_resolution) AS resolution_median,
           avg(resolution_s::DECIMAL(18, 6)) FILTER (WHERE is_resolution) AS resolution_mean,
           quantile_cont(resolution_s, 0.9) FILTER (WHERE is_resolution) AS resolution_p90
    FROM picked
),
leads AS (
    SELECT count(*) AS cases,
           median(lead_s) AS lead_median,
           avg(lead_s::DECIMAL(18, 6)) AS lead_mean,
           quantile_cont(lead_s, 0.9) AS lead_p90
    FROM sf_flow_cases
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
),
first_contact AS (
    SELECT count(*) FILTER (WHERE held) AS fcr_basis,
           count(*) FILTER (WHERE held AND handover_free) AS fcr_cases
    FROM (
        SELECT coalesce($holders_complete OR o.first_held_seq <= c.resolution_seq, false)
                   AS held,
               coalesce(o.first_handover_seq IS NULL OR o.first_handover_seq >= c.resolution_seq,
                        true) AS handover_free
        FROM per_case c
        LEFT JOIN holders o USING (case_no)
        WHERE c.resolution_seq IS NOT NULL
    )
),
by_variant AS (
    SELECT coalesce(sum(v.n) FILTER (WHERE k.resolution_seq IS NOT NULL), 0) AS resolved_cases,
           coalesce(sum(v.n) FILTER (WHERE k.reopened), 0) AS reopened_cases,
           coalesce(sum(v.n) FILTER (WHERE k.repeat_events > 0), 0) AS repeat_cases,
           coalesce(sum(v.n) FILTER (WHERE k.escalation_events > 0), 0) AS escalation_cases
    FROM sf_kpi_variants k
    JOIN sf_flow_variant_counts v USING (variant_no)
)
SELECT l.cases,
       t.response_cases, t.response_median, t.response_mean, t.response_p90,
       b.resolved_cases, t.resolution_median, t.resolution_mean, t.resolution_p90,
       l.lead_median, l.lead_mean, l.lead_p90,
       f.fcr_basis, f.fcr_cases,
       b.reopened_cases, b.repeat_cases, b.escalation_cases
FROM leads l, times t, first_contact f, by_variant b
