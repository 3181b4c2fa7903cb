-- Events of a case that share their timestamp with another event of that case (form-based capture).
WITH groups AS (
    SELECT case_id, ts, count(*) AS n, min(source_row) AS first_row
    FROM sf_valid
    GROUP BY case_id, ts
    HAVING count(*) > 1
),
examples AS (
    SELECT g.first_row, g.case_id, g.ts,
           (SELECT list(v.activity ORDER BY v.source_row) FROM sf_valid v
            WHERE v.case_id = g.case_id AND v.ts = g.ts) AS activities
    FROM (SELECT * FROM groups ORDER BY first_row LIMIT 5) g
)
SELECT (SELECT coalesce(sum(n), 0) FROM groups) AS affected,
       (SELECT list({'row': first_row, 'case': case_id, 'timestamp': ts::VARCHAR,
                     'activities': activities} ORDER BY first_row) FROM examples) AS examples,
       (SELECT count(DISTINCT case_id) FROM groups) AS cases
