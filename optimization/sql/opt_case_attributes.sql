-- Case attributes with few distinct values (at most $max_values: ticket type, channel,
-- priority ...), one row per case and attribute, the value as a dense code per attribute
-- (0-based, in value order) beside its text, for rule-based predictability and triage.
WITH pairs AS (
    SELECT c.case_no, kv.key AS attribute, kv.value ->> '$' AS value
    FROM sf_cases c, LATERAL (SELECT unnest(map_entries(json_transform(c.attributes, '"MAP(VARCHAR, JSON)"'))) AS kv)
    WHERE c.attributes IS NOT NULL
),
kept AS (
    SELECT attribute FROM pairs GROUP BY attribute
    HAVING count(DISTINCT value) BETWEEN 2 AND $max_values
)
SELECT p.attribute,
       p.case_no,
       (dense_rank() OVER (PARTITION BY p.attribute ORDER BY p.value) - 1)::INTEGER AS code,
       p.value
FROM pairs p SEMI JOIN kept k ON p.attribute = k.attribute
WHERE p.value IS NOT NULL
ORDER BY p.attribute, p.case_no
