-- The selected cases (sf_drill: case_no) of the filtered log with their facts: where each one
-- is now (its last activity) and since when, longest lead time first.
SELECT c.case_id, c.n_events, c.start_ts, c.end_ts,
       epoch(c.end_ts) - epoch(c.start_ts) AS lead_time_s,
       a.name AS last_activity
FROM sf_cases c
SEMI JOIN sf_drill d ON d.case_no = c.case_no
LEFT JOIN events e
       ON e.log_id = c.log_id AND e.case_no = c.case_no AND e.seq = c.n_events - 1
LEFT JOIN activities a ON a.log_id = c.log_id AND a.activity_id = e.activity_id
ORDER BY lead_time_s DESC, c.case_id
LIMIT $limit
