-- The case attribute names present in the selection, with how many cases carry each.
SELECT key, count(*) AS cases
FROM (SELECT unnest(json_keys(attributes)) AS key FROM sf_cases WHERE attributes IS NOT NULL)
GROUP BY key
ORDER BY key
