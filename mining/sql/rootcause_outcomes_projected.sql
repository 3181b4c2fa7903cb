-- As rootcause_outcomes.sql under an activity projection: lead time and rework are recomputed
-- from the kept events (first to last kept event; some kept activity done more than once), and
-- are NULL for a case left without events; stalled is judged on the whole case.
CREATE OR REPLACE TEMP TABLE sf_rc_outcomes AS
WITH kept AS (
    SELECT case_no,
           date_diff('microsecond', min(ts), max(ts)) / 1e6 AS lead_time,
           CASE WHEN count(*) > count(DISTINCT activity_id) THEN 1.0 ELSE 0.0 END AS rework
    FROM sf_events
    GROUP BY case_no
),
outcomes AS (
    SELECT c.case_no,
           CASE WHEN $lead_time THEN k.lead_time END AS lead_time,
           CASE WHEN $rework THEN k.rework END AS rework,
           CASE WHEN $stalled THEN CASE WHEN f.case_id IS NULL THEN 0.0 ELSE 1.0 END END AS stalled
    FROM sf_cases c
    LEFT JOIN kept k ON k.case_no = c.case_no
    LEFT JOIN (SELECT DISTINCT unnest($case_ids::VARCHAR[]) AS case_id) f ON f.case_id = c.case_id
)
SELECT case_no, lead_time, rework, stalled,
       -- first and last rank of the tied cases, averaged
       CASE WHEN lead_time IS NOT NULL THEN (rank() OVER w + count(*) OVER w) / 2.0
       END AS lead_rank,
       CASE WHEN lead_time IS NOT NULL THEN row_number() OVER w - 1 END AS lead_pos
FROM outcomes
WINDOW w AS (PARTITION BY lead_time IS NULL ORDER BY lead_time)
