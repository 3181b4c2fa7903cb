-- Events of this load that are not stored yet.
CREATE OR REPLACE TEMP TABLE sf_new_events AS
SELECT n.* FROM sf_coded n
WHERE NOT EXISTS (
    SELECT 1 FROM events e
    WHERE e.log_id = $log_id AND e.case_no = n.case_no AND e.event_key = n.event_key
)
