-- Cases in the selection, and how many of them repeat at least one activity.
-- Reads sf_rework_occurrences (rework_occurrences.sql: repetitions only).
SELECT (SELECT count(*) FROM sf_cases) AS cases,
       (SELECT count(DISTINCT case_no) FROM sf_rework_occurrences) AS cases_with_rework
