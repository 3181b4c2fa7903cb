-- Per compared attribute, each case that has it, once, with its value (`only_value`), or for
-- the multi-valued attributes ($multi, such as the teams involved) the list of values it holds
-- (`held`); whatever the outcome (rootcause_population.sql adds it).
CREATE OR REPLACE TEMP TABLE sf_rc_population_rows AS
SELECT attribute, case_no, value AS only_value, NULL::VARCHAR[] AS held
FROM sf_rc_candidate_rows
WHERE NOT list_contains($multi::VARCHAR[], attribute)
UNION ALL
SELECT attribute, case_no, NULL AS only_value, list(value) AS held
FROM sf_rc_candidate_rows
WHERE list_contains($multi::VARCHAR[], attribute)
GROUP BY attribute, case_no
