-- This load's events, integer-coded, with their identity key. The key hashes what identifies an
-- event (case, activity, times, resource, team, lifecycle) plus its occurrence number among
-- identical events of the file, so an exact duplicate inside one export is kept, and the same
-- event in a later, overlapping export is recognised even if its other attributes were edited
-- or the export gained columns.
CREATE OR REPLACE TEMP TABLE sf_coded AS
WITH keyed AS (
    SELECT v.*,
           md5_number_lower(concat_ws(chr(31),
               v.case_id, v.activity, epoch_us(v.ts)::VARCHAR,
               coalesce(epoch_us(v.start_ts)::VARCHAR, chr(30)),
               coalesce(v.resource, chr(30)), coalesce(v.team, chr(30)),
               coalesce(v.lifecycle, chr(30))))
               AS content_key
    FROM sf_valid v
)
SELECT m.case_no,
       a.activity_id,
       k.ts,
       k.start_ts,
       r.resource_id,
       t.team_id,
       k.lifecycle,
       k.attributes,
       $load_id::INTEGER AS load_id,
       k.source_row,
       md5_number_lower(k.content_key::VARCHAR || chr(31) ||
           (row_number() OVER (PARTITION BY k.content_key ORDER BY k.source_row))::VARCHAR)
           AS event_key
FROM keyed k
JOIN sf_case_map m USING (case_id)
JOIN activities a ON a.log_id = $log_id AND a.name = k.activity
LEFT JOIN resources r ON r.log_id = $log_id AND r.name = k.resource
LEFT JOIN teams t ON t.log_id = $log_id AND t.name = k.team
