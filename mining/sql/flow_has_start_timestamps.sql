-- Whether any event of the filtered log carries a start timestamp.
SELECT EXISTS (SELECT 1 FROM sf_events WHERE start_ts IS NOT NULL) AS has_start
