-- The stalled cases' own ids, longest idle first. Reads sf_case_status.
SELECT case_id FROM sf_case_status WHERE stalled ORDER BY idle_s DESC, case_id
