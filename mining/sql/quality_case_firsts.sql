-- Each case's first row in the file and the timestamp recorded on it, from one grouping of the
-- events by case: the before-case-start check compares every event with it, and the storing step
-- numbers new cases in order of their first rows (load_case_numbers.sql).
CREATE OR REPLACE TEMP TABLE sf_case_firsts AS
SELECT case_id, min(source_row) AS first_row, arg_min(ts, source_row) AS first_ts
FROM sf_valid
GROUP BY case_id
