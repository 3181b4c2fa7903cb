-- This load's events, integer-coded. An event is identified by what it is (case, activity,
-- times, resource, team, lifecycle) plus its occurrence among identical events of its file:
-- an exact duplicate inside one export is kept, and the same event in a later, overlapping
-- export is recognised even if its other attributes were edited or the export gained columns.
CREATE OR REPLACE TEMP TABLE sf_coded AS
SELECT m.case_no,
       a.activity_id,
       v.ts,
       v.start_ts,
       r.resource_id,
       t.team_id,
       v.lifecycle,
       v.attributes,
       $load_id::INTEGER AS load_id,
       v.source_row,
       (row_number() OVER (
           PARTITION BY m.case_no, a.activity_id, v.ts, v.start_ts, r.resource_id, t.team_id,
                        v.lifecycle
           ORDER BY v.source_row))::INTEGER AS occurrence
FROM sf_valid v
JOIN sf_case_map m USING (case_id)
JOIN activities a ON a.log_id = $log_id AND a.name = v.activity
LEFT JOIN resources r ON r.log_id = $log_id AND r.name = v.resource
LEFT JOIN teams t ON t.log_id = $log_id AND t.name = v.team
