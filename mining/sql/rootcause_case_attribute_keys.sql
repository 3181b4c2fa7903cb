-- The keys of the selected cases' attributes.
SELECT DISTINCT unnest(json_keys(attributes)) AS key FROM sf_cases ORDER BY key
