-- As handover_steps.sql, where every selected event names a group at this level ($level =
-- 'team' | 'resource'): then each event's stored successor (sf_events recomputes it under an
-- activity projection) is its next holder, and no window over the cases is needed.
-- Parameters: $level.
CREATE OR REPLACE TEMP TABLE sf_handovers AS
SELECT case_no, seq, source, target, wait_s
FROM (
    SELECT case_no, seq,
           CASE WHEN $level = 'team' THEN team_id ELSE resource_id END AS source,
           CASE WHEN $level = 'team' THEN next_team_id ELSE next_resource_id END AS target,
           greatest(date_diff('microsecond', ts, coalesce(next_start_ts, next_ts)) / 1e6, 0.0)
               AS wait_s
    FROM sf_events
)
WHERE target IS NOT NULL AND target <> source
