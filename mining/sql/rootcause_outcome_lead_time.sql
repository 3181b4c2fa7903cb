-- Outcome per selected case: its lead time in seconds (first to last selected event).
CREATE OR REPLACE TEMP TABLE sf_rc_outcome AS
SELECT case_no, date_diff('microsecond', min(ts), max(ts)) / 1e6 AS y
FROM sf_events
GROUP BY case_no
