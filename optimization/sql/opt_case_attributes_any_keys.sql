-- Case attributes with few distinct values (at most $max_values), as opt_case_attributes.sql,
-- for attribute names a JSON path cannot quote (with a double quote or a backslash): every
-- case's attributes are read as a map.
WITH pairs AS (
    SELECT c.case_no, kv.key AS attribute, kv.value ->> '$' AS value
    FROM sf_cases c, LATERAL (SELECT unnest(map_entries(json_transform(c.attributes, '"MAP(VARCHAR, JSON)"'))) AS kv)
    WHERE c.attributes IS NOT NULL
),
distinct_values AS (
    SELECT attribute, value, count(*) OVER (PARTITION BY attribute) AS n_values
    FROM pairs
    WHERE value IS NOT NULL
    GROUP BY attribute, value
),
coded AS (
    SELECT attribute,
           value,
           (row_number() OVER (PARTITION BY attribute ORDER BY value) - 1)::INTEGER AS code
    FROM distinct_values
    WHERE n_values BETWEEN 2 AND $max_values
)
SELECT p.attribute, p.case_no, c.code, p.value
FROM pairs p
JOIN coded c ON p.attribute = c.attribute AND p.value = c.value
ORDER BY p.attribute, p.case_no
