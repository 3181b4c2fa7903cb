-- Per candidate attribute: cases that have it, distinct values, cases whose value is shared by
-- at least $min_cases cases (few such cases = the values are mostly unique, an identifier), and
-- how many values read as numbers.
WITH value_sizes AS (
    SELECT attribute, value, count(*) AS n
    FROM sf_rc_features
    GROUP BY attribute, value
)
SELECT v.attribute,
       (SELECT count(DISTINCT f.case_no) FROM sf_rc_features f WHERE f.attribute = v.attribute)
           AS cases,
       count(*) AS distinct_values,
       coalesce(sum(n) FILTER (WHERE n >= $min_cases), 0) AS cases_in_common_values,
       count(TRY_CAST(value AS DOUBLE)) AS numeric_values
FROM value_sizes v
GROUP BY v.attribute
ORDER BY v.attribute
