-- How many selected cases carry attribute $path (a quoted JSONPath such as '$."channel"') as a
-- case attribute, and how many selected events carry it as an event attribute (non-null values).
SELECT (SELECT count(*) FROM sf_cases WHERE attributes ->> $path IS NOT NULL) AS on_cases,
       (SELECT count(*) FROM sf_events WHERE attributes ->> $path IS NOT NULL) AS on_events
