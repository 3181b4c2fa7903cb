-- Every selected event with the previous occurrence of the same activity in its case (NULL for
-- the first), kept as the temp table `sf_rework_occurrences` so that the per-activity figures,
-- the loop shapes and the case totals share one pass with the (case, activity) window.
CREATE OR REPLACE TEMP TABLE sf_rework_occurrences AS
SELECT case_no, activity_id, seq, ts,
       lag(seq) OVER same_activity AS prev_seq,
       lag(ts) OVER same_activity AS prev_ts
FROM sf_events
WINDOW same_activity AS (PARTITION BY case_no, activity_id ORDER BY seq)
