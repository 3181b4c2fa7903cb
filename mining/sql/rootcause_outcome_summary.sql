-- Over sf_rc_outcome: cases, cases with the outcome (sum of a 0/1 flag), and the overall
-- figure: the rate for a flag ($flag true), else the median.
SELECT count(*) AS cases, sum(y) AS outcome_cases,
       CASE WHEN $flag THEN avg(y) ELSE median(y) END AS overall
FROM sf_rc_outcome
