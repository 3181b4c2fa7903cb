-- The stalled cases' own ids, longest idle first. Reads sf_case_status.
SELECT c.case_id
FROM sf_case_status s
JOIN sf_cases c USING (case_no)
WHERE s.stalled
ORDER BY s.idle_s DESC, c.case_id
