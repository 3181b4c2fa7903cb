-- The case numbers of the cases mining run $run_id found stalled, ascending.
SELECT DISTINCT c.case_no
FROM run_stalled_cases s
JOIN cases c ON c.log_id = $log_id AND c.case_id = s.case_id
WHERE s.run_id = $run_id
ORDER BY c.case_no
