-- Case attributes with few distinct values (at most $max_values), as opt_case_attributes.sql,
-- for attribute names a JSON path cannot quote (with a double quote or a backslash): every
-- case's attributes are read as a map; k is the attribute's position in $attributes.
WITH pairs AS (
    SELECT c.case_no,
           list_position($attributes, kv.key) - 1 AS k,
           kv.value ->> '$' AS value
    FROM sf_cases c, LATERAL (SELECT unnest(map_entries(json_transform(c.attributes, '"MAP(VARCHAR, JSON)"'))) AS kv)
    WHERE c.attributes IS NOT NULL
),
distinct_values AS (
    SELECT k, value, count(*) OVER (PARTITION BY k) AS n_values
    FROM pairs
    WHERE value IS NOT NULL
    GROUP BY k, value
),
coded AS (
    SELECT k,
           value,
           (row_number() OVER (PARTITION BY k ORDER BY value) - 1)::INTEGER AS code
    FROM distinct_values
    WHERE n_values BETWEEN 2 AND $max_values
)
SELECT k::INTEGER AS k, -1 AS case_no, code, value
FROM coded
UNION ALL
SELECT p.k::INTEGER AS k, p.case_no, c.code, NULL AS value
FROM pairs p
JOIN coded c ON p.k = c.k AND p.value = c.value
