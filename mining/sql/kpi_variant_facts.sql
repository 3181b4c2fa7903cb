-- Per variant of the filtered log (sf_flow_variant_counts), the positions and counts the
-- scorecard needs, the same for every case of the variant (seq: 0-based position):
-- - handling_seq: the first event of a $handling activity (any position), or, when
--   $handling_configured is false, the case's second event;
-- - resolution_seq: the first event of a $resolution activity;
-- - reopened (resolved variants only): a $reopen activity occurs ($reopen_configured), else work
--   after the first resolution: another resolution, or an activity the case already did before
--   resolving;
-- - repeat contacts / escalations: events of $repeat / $escalation activities.
-- Parameters: $handling, $handling_configured, $resolution, $reopen, $reopen_configured,
-- $repeat, $escalation.
CREATE OR REPLACE TEMP TABLE sf_kpi_variants AS
WITH positions AS (
    SELECT variant_no, unnest(range(len(variant))) AS seq, unnest(variant) AS activity_id
    FROM sf_flow_variant_counts
),
marked AS (
    SELECT variant_no, seq, activity_id,
           CASE WHEN $handling_configured THEN list_contains($handling::INTEGER[], activity_id)
                ELSE seq = 1 END AS is_handling,
           list_contains($resolution::INTEGER[], activity_id) AS is_resolution,
           list_contains($reopen::INTEGER[], activity_id) AS is_reopen,
           list_contains($repeat::INTEGER[], activity_id) AS is_repeat,
           list_contains($escalation::INTEGER[], activity_id) AS is_escalation
    FROM positions
),
placed AS (
    SELECT *, min(seq) FILTER (WHERE is_resolution) OVER (PARTITION BY variant_no) AS resolution_seq
    FROM marked
),
per_variant AS (
    SELECT variant_no,
           min(seq) FILTER (WHERE is_handling) AS handling_seq,
           any_value(resolution_seq) AS resolution_seq,
           count(*) FILTER (WHERE is_resolution AND seq > resolution_seq) AS resolutions_after,
           list_distinct(list(activity_id) FILTER (WHERE seq < resolution_seq)) AS before_ids,
           list_distinct(list(activity_id) FILTER (WHERE seq > resolution_seq)) AS after_ids,
           count(*) FILTER (WHERE is_reopen) AS reopen_events,
           count(*) FILTER (WHERE is_repeat) AS repeat_events,
           count(*) FILTER (WHERE is_escalation) AS escalation_events
    FROM placed
    GROUP BY variant_no
)
SELECT variant_no, handling_seq, resolution_seq,
       CASE WHEN resolution_seq IS NULL THEN NULL
            WHEN $reopen_configured THEN reopen_events > 0
            ELSE resolutions_after > 0 OR len(list_intersect(before_ids, after_ids)) > 0
       END AS reopened,
       repeat_events,
       escalation_events
FROM per_variant
