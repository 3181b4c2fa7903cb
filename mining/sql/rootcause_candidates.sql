-- The (attribute, value, case) rows compared, with the case's outcome y: the kept attributes
-- ($kept) as they are, and the binned numeric ones from sf_rc_binned.
CREATE OR REPLACE TEMP TABLE sf_rc_candidates AS
SELECT c.attribute, c.value, c.case_no, o.y
FROM (
    SELECT attribute, value, case_no FROM sf_rc_features
    WHERE list_contains($kept::VARCHAR[], attribute)
    UNION ALL
    SELECT attribute, value, case_no FROM sf_rc_binned
) c
JOIN sf_rc_outcome o USING (case_no)
