-- The (attribute, value, case) rows compared, whatever the outcome: the kept attributes ($kept)
-- as they are, and the binned numeric ones from sf_rc_binned.
CREATE OR REPLACE TEMP TABLE sf_rc_candidate_rows AS
SELECT attribute, value, case_no FROM sf_rc_features
WHERE list_contains($kept::VARCHAR[], attribute)
UNION ALL
SELECT attribute, value, case_no FROM sf_rc_binned
