-- Distinct values of each case attribute ($paths: their JSON paths; k: the position in the
-- list) among the first $cases cases read: an attribute with more than the allowed number of
-- values here has at least as many in all cases, so it need not be read in full.
SELECT k, count(DISTINCT value) AS n_values
FROM (
    SELECT unnest(range(len($paths))) AS k,
           unnest(json_extract_string(attributes, $paths)) AS value
    FROM (SELECT attributes FROM sf_cases WHERE attributes IS NOT NULL LIMIT $cases)
)
GROUP BY k
