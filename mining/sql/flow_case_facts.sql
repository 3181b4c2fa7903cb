-- Per selected case: its variant, size and first/last timestamps, as stored (no activity
-- projection in force, so the stored case facts are those of the filtered log). case_start_ts /
-- case_end_ts are the stored case's own (the same here; see flow_case_facts_projected.sql).
CREATE OR REPLACE TEMP VIEW sf_flow_case_facts AS
SELECT case_no, case_id, variant, n_events, start_ts, end_ts,
       start_ts AS case_start_ts, end_ts AS case_end_ts
FROM sf_cases
