-- Events of a case that share their timestamp with another event of that case (form-based capture).
-- Cases are grouped by a 64-bit hash of their id: far cheaper than grouping the strings, and a
-- collision (odds about n^2 / 2^64) could only shift a count in this report, never the data.
WITH groups AS MATERIALIZED (
    SELECT hash(case_id) AS case_key, ts, count(*) AS n, min(source_row) AS first_row
    FROM sf_valid
    GROUP BY 1, 2
    HAVING count(*) > 1
),
examples AS MATERIALIZED (
    SELECT g.first_row, v.case_id, g.ts
    FROM (SELECT * FROM groups ORDER BY first_row LIMIT 5) g
    JOIN sf_valid v ON v.source_row = g.first_row
),
example_activities AS (
    SELECT e.first_row, any_value(e.case_id) AS case_id, any_value(e.ts) AS ts,
           list(w.activity ORDER BY w.source_row) AS activities
    FROM examples e JOIN sf_valid w ON w.case_id = e.case_id AND w.ts = e.ts
    GROUP BY e.first_row
)
SELECT (SELECT coalesce(sum(n), 0) FROM groups) AS affected,
       (SELECT list({'row': first_row, 'case': case_id, 'timestamp': ts::VARCHAR,
                     'activities': activities} ORDER BY first_row)
        FROM example_activities) AS examples,
       (SELECT count(DISTINCT case_key) FROM groups) AS cases
