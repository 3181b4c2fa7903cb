-- The keys of the event attributes on the selected cases' first events: what was recorded when
-- a case was opened (amount, impact, product ...) is a candidate cause like a case attribute.
SELECT DISTINCT unnest(json_keys(attributes)) AS key FROM sf_events WHERE seq = 0 ORDER BY key
