-- The tickets of log $log_id still waiting as of $as_of: their last event lies at or before
-- $as_of and is not an end activity ($end_activities). A ticket whose last event lies after
-- $as_of has moved on and is not waiting. `ticket_type` is the case attribute at $type_path.
-- Parameters: $log_id, $as_of, $end_activities, $type_path.
SELECT c.case_id AS ticket,
       a.name AS activity,
       t.name AS team,
       r.name AS resource,
       e.ts AS since,
       c.start_ts AS opened,
       c.attributes ->> $type_path AS ticket_type,
       date_diff('microsecond', e.ts, $as_of::TIMESTAMP) / 1e6 AS idle_s,
       date_diff('microsecond', c.start_ts, $as_of::TIMESTAMP) / 1e6 AS age_s
FROM events e
JOIN cases c ON c.log_id = e.log_id AND c.case_no = e.case_no
JOIN activities a ON a.log_id = e.log_id AND a.activity_id = e.activity_id
LEFT JOIN teams t ON t.log_id = e.log_id AND t.team_id = e.team_id
LEFT JOIN resources r ON r.log_id = e.log_id AND r.resource_id = e.resource_id
WHERE e.log_id = $log_id
  AND e.next_activity_id IS NULL
  AND e.ts <= $as_of::TIMESTAMP
  AND NOT list_contains($end_activities::VARCHAR[], a.name)
ORDER BY idle_s DESC, ticket
