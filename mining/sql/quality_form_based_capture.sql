-- Events of a case that share their timestamp with another event of the same case (form-based
-- capture), from the groups of quality_same_time_groups.sql.
WITH examples AS MATERIALIZED (
    SELECT g.first_row, v.case_id, g.ts
    FROM (SELECT * FROM sf_same_time ORDER BY first_row LIMIT 5) g
    JOIN sf_valid v ON v.source_row = g.first_row
),
example_activities AS (
    SELECT e.first_row, any_value(e.case_id) AS case_id, any_value(e.ts) AS ts,
           list(w.activity ORDER BY w.source_row) AS activities
    FROM examples e JOIN sf_valid w ON w.case_id = e.case_id AND w.ts = e.ts
    GROUP BY e.first_row
)
SELECT (SELECT coalesce(sum(n), 0) FROM sf_same_time) AS affected,
       (SELECT list({'row': first_row, 'case': case_id, 'timestamp': ts::VARCHAR,
                     'activities': activities} ORDER BY first_row)
        FROM example_activities) AS examples,
       (SELECT count(DISTINCT case_key) FROM sf_same_time) AS cases
