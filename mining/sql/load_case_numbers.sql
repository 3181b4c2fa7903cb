-- Case numbers for this load's cases: stored ones keep theirs, new ones continue the sequence
-- in order of first appearance in the file (each case's first row: sf_case_firsts, built by the
-- data-quality checks, see quality_case_firsts.sql).
CREATE OR REPLACE TEMP TABLE sf_case_map AS
WITH load_cases AS (SELECT case_id, first_row FROM sf_case_firsts),
known AS (
    SELECT l.case_id, c.case_no
    FROM load_cases l JOIN cases c ON c.log_id = $log_id AND c.case_id = l.case_id
)
SELECT l.case_id,
       coalesce(k.case_no,
                (SELECT coalesce(max(case_no), 0) FROM cases WHERE log_id = $log_id)
                + row_number() OVER (PARTITION BY k.case_no IS NULL ORDER BY l.first_row))::INTEGER
           AS case_no,
       k.case_no IS NULL AS is_new
FROM load_cases l LEFT JOIN known k USING (case_id)
