-- Stored events of the touched cases plus the new ones, ready to be written back in case order.
CREATE OR REPLACE TEMP TABLE sf_merged AS
SELECT case_no, activity_id, ts, start_ts, resource_id, team_id, lifecycle, attributes,
       load_id, source_row, occurrence
FROM events
WHERE log_id = $log_id AND case_no IN (SELECT case_no FROM sf_touched)
UNION ALL
SELECT case_no, activity_id, ts, start_ts, resource_id, team_id, lifecycle, attributes,
       load_id, source_row, occurrence
FROM sf_new_events
