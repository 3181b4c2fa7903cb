-- The compared (attribute, value, case) rows of sf_rc_candidate_rows with the case's outcome y.
CREATE OR REPLACE TEMP TABLE sf_rc_candidates AS
SELECT c.attribute, c.value, c.case_no, o.y
FROM sf_rc_candidate_rows c
JOIN sf_rc_outcome o USING (case_no)
