-- The cases of a log whose events were all written by this load: their facts read from those
-- events (no filter on the touched cases: they are all of them), then stored directly, with no
-- stored case rows to merge attributes with or to replace (cases and events are always written
-- together).
CREATE OR REPLACE TEMP TABLE sf_case_facts AS
SELECT case_no,
       count(*)::INTEGER AS n_events,
       min(ts) AS start_ts,
       max(ts) AS end_ts,
       list(activity_id ORDER BY seq) AS variant
FROM events
WHERE log_id = $log_id
GROUP BY case_no;
INSERT INTO cases
SELECT $log_id::INTEGER,
       f.case_no,
       m.case_id,
       a.attributes,
       f.n_events, f.start_ts, f.end_ts, f.variant,
       $load_id::INTEGER,
       $load_id::INTEGER
FROM sf_case_facts f
JOIN sf_case_map m USING (case_no)
LEFT JOIN sf_case_attributes a USING (case_id)
ORDER BY f.case_no
