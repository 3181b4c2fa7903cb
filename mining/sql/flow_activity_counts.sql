-- Per activity of the filtered log: occurrences, cases it occurs in, and how many cases start
-- and end with it (seq and next_* are those of the filtered, possibly projected, log).
SELECT a.name AS activity,
       c.occurrences,
       c.n_cases AS cases,
       c.starts,
       c.ends
FROM (
    SELECT activity_id,
           count(*) AS occurrences,
           count(DISTINCT case_no) AS n_cases,
           count(*) FILTER (WHERE seq = 0) AS starts,
           count(*) FILTER (WHERE next_activity_id IS NULL) AS ends
    FROM sf_events
    GROUP BY activity_id
) c
JOIN activities a ON a.log_id = $log_id AND a.activity_id = c.activity_id
ORDER BY c.occurrences DESC, a.name
