-- The outcomes of each selected case, one column each (NULL when not asked for: $lead_time,
-- $rework, $stalled false), from the stored case facts (no activity projection in force):
-- lead_time, seconds from the first to the last event; rework, 1 when some activity occurs
-- twice in the case's variant, else 0; stalled, 1 when its id is in $case_ids (judged by the
-- break-point module), else 0.
-- lead_rank: the average rank of the case's lead time among all selected cases (tied cases
-- share the mean of their ranks), the Mann-Whitney rank of every attribute all cases have;
-- lead_pos: its 0-based place in lead-time order (ties in any order), to find medians by.
CREATE OR REPLACE TEMP TABLE sf_rc_outcomes AS
WITH variants AS MATERIALIZED (
    -- rework judged once per variant, which the cases share (found by the variant's hash; a
    -- hash two variants share is judged per case)
    SELECT h, one_variant,
           CASE WHEN len(list_distinct(variant)) < len(variant) THEN 1.0 ELSE 0.0 END AS rework
    FROM (
        SELECT hash(variant) AS h, min(variant) = max(variant) AS one_variant,
               any_value(variant) AS variant
        FROM sf_cases
        GROUP BY h
    )
),
outcomes AS (
    SELECT c.case_no,
           CASE WHEN $lead_time THEN date_diff('microsecond', c.start_ts, c.end_ts) / 1e6
           END AS lead_time,
           CASE WHEN NOT $rework THEN NULL
                WHEN v.one_variant THEN v.rework
                WHEN len(list_distinct(c.variant)) < len(c.variant) THEN 1.0
                ELSE 0.0
           END AS rework,
           CASE WHEN $stalled THEN CASE WHEN f.case_id IS NULL THEN 0.0 ELSE 1.0 END END AS stalled
    FROM sf_cases c
    JOIN variants v ON v.h = hash(c.variant)
    LEFT JOIN (SELECT DISTINCT unnest($case_ids::VARCHAR[]) AS case_id) f ON f.case_id = c.case_id
)
SELECT case_no, lead_time, rework, stalled,
       -- first and last rank of the tied cases, averaged
       CASE WHEN lead_time IS NOT NULL THEN (rank() OVER w + count(*) OVER w) / 2.0
       END AS lead_rank,
       CASE WHEN lead_time IS NOT NULL THEN row_number() OVER w - 1 END AS lead_pos
FROM outcomes
WINDOW w AS (PARTITION BY lead_time IS NULL ORDER BY lead_time)
