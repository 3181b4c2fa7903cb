-- The case attribute names of the run's cases (sf_cases), in name order.
SELECT DISTINCT unnest(json_keys(attributes)) AS attribute
FROM sf_cases
WHERE attributes IS NOT NULL
ORDER BY attribute
