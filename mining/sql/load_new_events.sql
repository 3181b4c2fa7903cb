-- Events of this load that are not stored yet (all of them when the log has no stored events
-- in these cases).
CREATE OR REPLACE TEMP TABLE sf_new_events AS
SELECT n.* FROM sf_coded n
ANTI JOIN (
    SELECT case_no, activity_id, ts, start_ts, resource_id, team_id, lifecycle, occurrence
    FROM events
    WHERE log_id = $log_id
      AND case_no IN (SELECT case_no FROM sf_case_map WHERE NOT is_new)
) e
ON  e.case_no = n.case_no AND e.activity_id = n.activity_id AND e.ts = n.ts
AND e.start_ts IS NOT DISTINCT FROM n.start_ts
AND e.resource_id IS NOT DISTINCT FROM n.resource_id
AND e.team_id IS NOT DISTINCT FROM n.team_id
AND e.lifecycle IS NOT DISTINCT FROM n.lifecycle
AND e.occurrence = n.occurrence
