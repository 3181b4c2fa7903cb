-- Per activity of the filtered log, with its label: occurrences, cases it occurs in, and how
-- many cases start and end with it (from sf_flow_activity_case_counts).
SELECT a.name AS activity,
       c.occurrences,
       c.n_cases AS cases,
       c.starts,
       c.ends
FROM sf_flow_activity_case_counts c
JOIN activities a ON a.log_id = $log_id AND a.activity_id = c.activity_id
ORDER BY c.occurrences DESC, a.name
