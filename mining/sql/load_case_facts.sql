-- Current facts of the touched cases, from their stored events.
CREATE OR REPLACE TEMP TABLE sf_case_facts AS
SELECT case_no,
       count(*)::INTEGER AS n_events,
       min(ts) AS start_ts,
       max(ts) AS end_ts,
       list(activity_id ORDER BY seq) AS variant
FROM events
WHERE log_id = $log_id AND case_no IN (SELECT case_no FROM sf_touched)
GROUP BY case_no
