-- The selection's cases in case-number order (sf_cases: the filter's cases).
SELECT case_no,
       case_id
FROM sf_cases
ORDER BY case_no
