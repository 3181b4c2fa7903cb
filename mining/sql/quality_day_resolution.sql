-- Share of events whose timestamp is exactly midnight (date-only timestamps).
SELECT count(*) FILTER (WHERE ts = date_trunc('day', ts)) AS midnight, count(*) AS events
FROM sf_valid
