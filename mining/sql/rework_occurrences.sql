-- Every repetition of an activity within a case (an occurrence after its first) with the
-- previous occurrence of the same activity, kept as the temp table `sf_rework_occurrences` so
-- that the per-activity figures, the loop shapes and the case totals share one pass. Only the
-- events of activities that their case repeats (from the variants,
-- sf_rework_variant_activities) enter the (case, activity) window.
CREATE OR REPLACE TEMP TABLE sf_rework_occurrences AS
WITH repeated AS (
    SELECT c.case_no, r.activity_id
    FROM sf_flow_cases c
    JOIN sf_rework_variant_activities r ON r.variant_no = c.variant_no AND r.occurrences > 1
),
occurrences AS (
    SELECT e.case_no, e.activity_id, e.seq, e.ts,
           lag(e.seq) OVER same_activity AS prev_seq,
           lag(e.ts) OVER same_activity AS prev_ts
    FROM sf_events e
    SEMI JOIN repeated r ON r.case_no = e.case_no AND r.activity_id = e.activity_id
    WINDOW same_activity AS (PARTITION BY e.case_no, e.activity_id ORDER BY e.seq)
)
SELECT * FROM occurrences WHERE prev_seq IS NOT NULL
