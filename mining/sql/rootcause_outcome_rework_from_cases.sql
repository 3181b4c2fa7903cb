-- As rootcause_outcome_rework, from the stored variants (no activity projection in force, so a
-- case's variant holds all its selected events): 1 when some activity occurs twice, else 0.
CREATE OR REPLACE TEMP TABLE sf_rc_outcome AS
SELECT case_no, CASE WHEN len(list_distinct(variant)) < len(variant) THEN 1.0 ELSE 0.0 END AS y
FROM sf_cases
