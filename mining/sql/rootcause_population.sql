-- Per compared attribute, each case that has it, once, with its outcome y and its value
-- (`only_value`), or for the multi-valued attributes ($multi, such as the teams involved) the
-- list of values it holds (`held`).
CREATE OR REPLACE TEMP TABLE sf_rc_population AS
SELECT attribute, case_no, y, value AS only_value, NULL::VARCHAR[] AS held
FROM sf_rc_candidates
WHERE NOT list_contains($multi::VARCHAR[], attribute)
UNION ALL
SELECT attribute, case_no, any_value(y) AS y, NULL AS only_value, list(value) AS held
FROM sf_rc_candidates
WHERE list_contains($multi::VARCHAR[], attribute)
GROUP BY attribute, case_no
