-- Outcome per selected case: 1 when its id is in $case_ids, else 0. Used for outcomes judged
-- elsewhere, such as stalled cases.
CREATE OR REPLACE TEMP TABLE sf_rc_outcome AS
SELECT c.case_no, CASE WHEN f.case_id IS NULL THEN 0.0 ELSE 1.0 END AS y
FROM sf_cases c
LEFT JOIN (SELECT DISTINCT unnest($case_ids::VARCHAR[]) AS case_id) f ON f.case_id = c.case_id
