-- Break points: per last activity of the stalled cases, how many stalled there, which share of
-- the cases that reached the activity that is (drop-out rate), and how long they have been idle.
-- Reads sf_case_status (breakpoint_case_status) and the cases per activity of
-- sf_flow_activity_case_counts. Parameters: $log_id.
WITH total AS (SELECT count(*) AS n FROM sf_case_status)
SELECT a.name AS activity,
       count(*) FILTER (WHERE s.stalled) AS stalled_cases,
       count(*) FILTER (WHERE s.stalled) / r.n_cases AS dropout_share,
       median(s.idle_s) FILTER (WHERE s.stalled) AS median_idle_s,
       any_value(s.threshold_s) AS threshold_s,
       any_value(s.threshold_source) AS threshold_source,
       r.n_cases AS cases_reached,
       count(*) FILTER (WHERE NOT s.stalled AND NOT s.ended) AS open_cases,
       count(*) FILTER (WHERE s.stalled) / any_value(total.n) AS case_share
FROM sf_case_status s
JOIN sf_flow_activity_case_counts r ON r.activity_id = s.last_activity_id
JOIN activities a ON a.log_id = $log_id AND a.activity_id = s.last_activity_id
CROSS JOIN total
GROUP BY a.name, r.n_cases
HAVING count(*) FILTER (WHERE s.stalled) > 0
ORDER BY stalled_cases DESC, dropout_share DESC, activity
