-- The run's cases in case-number order, with whether the run found them stalled.
SELECT c.case_no,
       c.case_id,
       s.case_id IS NOT NULL AS stalled
FROM sf_cases c
LEFT JOIN (SELECT DISTINCT case_id FROM run_stalled_cases WHERE run_id = $run_id) s
       ON s.case_id = c.case_id
ORDER BY c.case_no
