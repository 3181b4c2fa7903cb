-- Cases with attribute $attribute = $value (any value when $attribute is NULL) whose lead time
-- (first to last event) exceeds $seconds: the SLA breaches of one ticket type.
CREATE OR REPLACE TEMP TABLE sf_drill AS
SELECT c.case_no
FROM sf_cases c
WHERE ($attribute IS NULL OR (c.attributes ->> $path) = $value)
  AND epoch(c.end_ts) - epoch(c.start_ts) > $seconds
