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
       1::INTEGER AS occurrence
FROM sf_valid v
JOIN sf_case_map m USING (case_id)
JOIN sf_activity_map a ON a.name = v.activity
LEFT JOIN sf_resource_map r ON r.name = v.resource
LEFT JOIN sf_team_map t ON t.name = v.team;
-- Identical events are rare, and they share case and timestamp: only the events in the groups of
-- events sharing both (sf_same_time, built by the data-quality checks, see
-- quality_same_time_groups.sql) are numbered exactly (in file order), every other event is the
-- first of its kind. A collision of the groups' 64-bit case hashes only brings more events into
-- the exact numbering below, which still tells them apart.
CREATE OR REPLACE TEMP TABLE sf_repeats AS
SELECT source_row,
       (row_number() OVER (
           PARTITION BY case_no, activity_id, ts, start_ts, resource_id, team_id, lifecycle
           ORDER BY source_row))::INTEGER AS occurrence
FROM sf_coded
WHERE source_row IN (
    SELECT v.source_row
    FROM sf_valid v
    SEMI JOIN sf_same_time g ON g.case_key = hash(v.case_id) AND g.ts = v.ts
);
UPDATE sf_coded SET occurrence = r.occurrence
FROM sf_repeats r
WHERE r.occurrence > 1 AND sf_coded.source_row = r.source_row
