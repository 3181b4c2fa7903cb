-- The cases with these ids (and, given $activity, only those whose last activity it is).
CREATE OR REPLACE TEMP TABLE sf_drill AS
SELECT c.case_no
FROM sf_cases c
LEFT JOIN events e ON e.log_id = c.log_id AND e.case_no = c.case_no AND e.seq = c.n_events - 1
LEFT JOIN activities a ON a.log_id = c.log_id AND a.activity_id = e.activity_id
WHERE list_contains($case_ids, c.case_id) AND ($activity IS NULL OR a.name = $activity)
