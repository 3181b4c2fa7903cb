-- Case attributes with few distinct values (at most $max_values: ticket type, channel,
-- priority ...), each value as a dense code per attribute (0-based, in value order), for
-- rule-based predictability and triage. Numbers only, one row per case and attribute:
-- (k, case_no, code) with k the attribute's position in $paths; plus one row per coded value
-- with case_no -1 and the value's text. $paths are the attributes' JSON paths: one extraction
-- per case; a case without an attribute gives NULL, left out like a JSON null. The codes come
-- from the small table of distinct values (a hash join), not from ranking every row.
WITH pairs AS (
    SELECT case_no,
           unnest(range(len($paths))) AS k,
           unnest(json_extract_string(attributes, $paths)) AS value
    FROM sf_cases
    WHERE attributes IS NOT NULL
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
