-- Cases with attribute $attribute = $value (any value when $attribute is NULL) whose lead time
-- exceeds $seconds: the SLA breaches of one ticket type. As in breakpoint_sla_by_type.sql, a
-- case whose last activity is one of $end_activities is measured from its first to its last
-- event, an open one up to $as_of (without $as_of, every case to its last event).
CREATE OR REPLACE TEMP TABLE sf_drill AS
SELECT c.case_no
FROM sf_cases c
LEFT JOIN events e ON e.log_id = c.log_id AND e.case_no = c.case_no AND e.seq = c.n_events - 1
LEFT JOIN activities a ON a.log_id = c.log_id AND a.activity_id = e.activity_id
WHERE ($attribute IS NULL OR (c.attributes ->> $path) = $value)
  AND CASE WHEN $as_of::TIMESTAMP IS NULL
                OR coalesce(list_contains($end_activities::VARCHAR[], a.name), false)
           THEN date_diff('microsecond', c.start_ts, c.end_ts) / 1e6
           ELSE greatest(date_diff('microsecond', c.start_ts, $as_of::TIMESTAMP) / 1e6, 0.0)
      END > $seconds
