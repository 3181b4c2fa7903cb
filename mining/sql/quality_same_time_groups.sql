-- Events of a case that share their timestamp, grouped: the rows of form-based capture, and the
-- only rows that can have exact copies (a copy has the same case and timestamp), so the
-- duplicate check looks at these rows instead of hashing every event. Cases are grouped by a
-- 64-bit hash of their id: far cheaper than grouping the strings, and a collision (odds about
-- n^2 / 2^64) could only shift a count in this report, never the data.
CREATE OR REPLACE TEMP TABLE sf_same_time AS
SELECT hash(case_id) AS case_key, ts, count(*) AS n, min(source_row) AS first_row
FROM sf_valid
GROUP BY 1, 2
HAVING count(*) > 1
