-- The events of one case in order, with their labels.
SELECT e.seq, a.name AS activity, e.ts, e.start_ts, r.name AS resource, t.name AS team,
       e.lifecycle
FROM events e
JOIN cases c ON c.log_id = e.log_id AND c.case_no = e.case_no
JOIN activities a ON a.log_id = e.log_id AND a.activity_id = e.activity_id
LEFT JOIN resources r ON r.log_id = e.log_id AND r.resource_id = e.resource_id
LEFT JOIN teams t ON t.log_id = e.log_id AND t.team_id = e.team_id
WHERE e.log_id = $log_id AND c.case_id = $case_id
ORDER BY e.seq
