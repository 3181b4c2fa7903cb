-- Facts of every case of a log whose events were all written by this load (no filter on the
-- touched cases: they are all of them).
CREATE OR REPLACE TEMP TABLE sf_case_facts AS
SELECT case_no,
       count(*)::INTEGER AS n_events,
       min(ts) AS start_ts,
       max(ts) AS end_ts,
       list(activity_id ORDER BY seq) AS variant
FROM events
WHERE log_id = $log_id
GROUP BY case_no
