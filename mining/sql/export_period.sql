-- The time span of the selected cases (the filtered view sf_cases, see mining/filters.py).
SELECT min(start_ts) AS first_event, max(end_ts) AS last_event, count(*) AS cases
FROM sf_cases
