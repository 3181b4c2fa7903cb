-- Outcome per selected case: 1 when it does some activity more than once (rework), else 0.
CREATE OR REPLACE TEMP TABLE sf_rc_outcome AS
SELECT case_no, CASE WHEN count(*) > count(DISTINCT activity_id) THEN 1.0 ELSE 0.0 END AS y
FROM sf_events
GROUP BY case_no
