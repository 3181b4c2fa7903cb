-- Write the touched cases' events back in (case, time) order, with position and successor.
-- Ties in time keep the order of loading and of the source file, as pm4py keeps file order.
INSERT INTO events
SELECT $log_id::INTEGER,
       case_no,
       (row_number() OVER w - 1)::INTEGER,
       activity_id, ts, start_ts, resource_id, team_id, lifecycle, attributes,
       load_id, source_row, occurrence,
       lead(activity_id) OVER w,
       lead(ts) OVER w,
       lead(team_id) OVER w,
       lead(resource_id) OVER w,
       lead(start_ts) OVER w
FROM sf_merged
WINDOW w AS (PARTITION BY case_no ORDER BY ts, load_id, source_row)
ORDER BY case_no, ts, load_id, source_row
