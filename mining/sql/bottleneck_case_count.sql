-- Cases of the filtered log that have at least one event (each has exactly one first event).
SELECT count(*) FROM sf_events WHERE seq = 0
