-- Cases in which $target directly follows $source.
CREATE OR REPLACE TEMP TABLE sf_drill AS
SELECT DISTINCT e.case_no
FROM sf_events e
JOIN activities s ON s.log_id = e.log_id AND s.activity_id = e.activity_id
JOIN activities t ON t.log_id = e.log_id AND t.activity_id = e.next_activity_id
WHERE s.name = $source AND t.name = $target
