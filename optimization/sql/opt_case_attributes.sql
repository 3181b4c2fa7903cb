-- Case attributes with few distinct values (at most $max_values: ticket type, channel,
-- priority ...), one row per case and attribute, the value as a dense code per attribute
-- (0-based, in value order) beside its text, for rule-based predictability and triage.
-- $attributes are the attribute names, $paths their JSON paths: one extraction per case; a
-- case without an attribute gives NULL, left out like a JSON null. The codes come from the
-- small table of distinct values (a hash join), not from ranking every row.
WITH pairs AS (
    SELECT case_no,
           unnest($attributes) AS attribute,
           unnest(json_extract_string(attributes, $paths)) AS value
    FROM sf_cases
    WHERE attributes IS NOT NULL
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
