-- Per case of an activity-projected log: variant, size and first/last timestamps recomputed
-- from the kept events; cases left without events drop out, as in pm4py's event filters.
-- case_start_ts / case_end_ts are the stored case's (all its events), which some figures keep.
CREATE OR REPLACE TEMP VIEW sf_flow_case_facts AS
SELECT e.case_no, c.case_id, e.variant, e.n_events, e.start_ts, e.end_ts,
       c.start_ts AS case_start_ts, c.end_ts AS case_end_ts
FROM (
    SELECT case_no,
           list(activity_id ORDER BY seq) AS variant,
           count(*)::INTEGER AS n_events,
           min(ts) AS start_ts,
           max(ts) AS end_ts
    FROM sf_events
    GROUP BY case_no
) e
JOIN sf_cases c ON c.case_no = e.case_no
