-- Cases in which $activity occurs more than once (rework).
CREATE OR REPLACE TEMP TABLE sf_drill AS
SELECT e.case_no
FROM sf_events e
JOIN activities a ON a.log_id = e.log_id AND a.activity_id = e.activity_id
WHERE a.name = $activity
GROUP BY e.case_no
HAVING count(*) > 1
