-- Values of every case attribute of a log with their case counts, the most frequent first:
-- the choices of attribute filters. Attributes with more than $max_distinct values (ids,
-- free text) are left out, and at most $max_values values are kept per attribute.
WITH pairs AS (
    SELECT j.key AS attribute, j.value ->> '$' AS value
    FROM cases c, json_each(c.attributes) j
    WHERE c.log_id = $log_id AND j.value ->> '$' IS NOT NULL
),
counted AS (
    SELECT attribute, value, count(*) AS cases,
           count(*) OVER (PARTITION BY attribute) AS distinct_values,
           row_number() OVER (PARTITION BY attribute ORDER BY count(*) DESC, value) AS pos
    FROM pairs
    GROUP BY attribute, value
)
SELECT attribute, value, cases
FROM counted
WHERE distinct_values <= $max_distinct AND pos <= $max_values
ORDER BY attribute, pos
