-- The hand-overs of the selected events at one level ($level = 'team' | 'resource'), kept as the
-- temp table `sf_handovers (case_no, seq, source, target, wait_s)` for the per-pair aggregates
-- and the ping-pong between groups. A hand-over is a pair of consecutive events of a case held
-- by different groups (seq: the first one's). Events that name no group are skipped, so X,
-- (none), Y is a hand-over X -> Y. Wait = from the completion of X's event to the start of Y's
-- event (its completion where the log has no start times); overlapping work counts as no wait.
-- Parameters: $level.
CREATE OR REPLACE TEMP TABLE sf_handovers AS
WITH owners AS (
    SELECT case_no, seq, ts, coalesce(start_ts, ts) AS began,
           CASE WHEN $level = 'team' THEN team_id ELSE resource_id END AS who
    FROM sf_events
),
steps AS (
    SELECT case_no, seq, who AS source, ts,
           lead(who) OVER in_case AS target,
           lead(began) OVER in_case AS next_began
    FROM owners
    WHERE who IS NOT NULL
    WINDOW in_case AS (PARTITION BY case_no ORDER BY seq)
)
SELECT case_no, seq, source, target,
       greatest(date_diff('microsecond', ts, next_began) / 1e6, 0.0) AS wait_s
FROM steps
WHERE target IS NOT NULL AND target <> source
