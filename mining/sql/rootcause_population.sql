-- The compared cases per attribute (sf_rc_population_rows) with their outcome y.
CREATE OR REPLACE TEMP TABLE sf_rc_population AS
SELECT p.attribute, p.case_no, o.y, p.only_value, p.held
FROM sf_rc_population_rows p
JOIN sf_rc_outcome o USING (case_no)
