-- A log with no stored events: every coded event is new and is written as it is, so the new and
-- merged events are views over the coded ones instead of two more copies of the load.
CREATE OR REPLACE TEMP VIEW sf_new_events AS SELECT * FROM sf_coded;
CREATE OR REPLACE TEMP VIEW sf_merged AS
SELECT case_no, activity_id, ts, start_ts, resource_id, team_id, lifecycle, attributes,
       load_id, source_row, occurrence
FROM sf_coded;
CREATE OR REPLACE TEMP TABLE sf_touched AS SELECT case_no FROM sf_case_map;
