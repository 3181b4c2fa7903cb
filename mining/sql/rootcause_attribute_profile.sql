-- Per candidate attribute (by number): cases that have it, distinct values, cases whose value
-- is shared by at least $min_cases cases (few such cases = the values are mostly unique, an
-- identifier), and how many values (and rows) read as numbers. Only the multi-valued
-- attributes ($multi, such as the teams involved) can hold a case twice; the others have one
-- row per case.
WITH value_sizes AS (
    SELECT attribute, value, count(*) AS n
    FROM sf_rc_features
    GROUP BY attribute, value
),
per_value AS (
    SELECT attribute,
           count(*) AS distinct_values,
           coalesce(sum(n) FILTER (WHERE n >= $min_cases), 0) AS cases_in_common_values,
           count(TRY_CAST(value AS DOUBLE)) AS numeric_values,
           coalesce(sum(n) FILTER (WHERE TRY_CAST(value AS DOUBLE) IS NOT NULL), 0) AS numeric_rows,
           sum(n) AS value_rows
    FROM value_sizes
    GROUP BY attribute
),
multi_cases AS (
    SELECT attribute, count(DISTINCT case_no) AS cases
    FROM sf_rc_features
    WHERE list_contains($multi::SMALLINT[], attribute)
    GROUP BY attribute
)
SELECT v.attribute, coalesce(m.cases, v.value_rows) AS cases, v.distinct_values,
       v.cases_in_common_values, v.numeric_values, v.numeric_rows
FROM per_value v
LEFT JOIN multi_cases m USING (attribute)
