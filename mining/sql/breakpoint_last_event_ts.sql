-- The log's last event (the default "as of" time), over the whole stored log: a filter narrows
-- what is analysed, not when the data was taken. Parameters: $log_id.
SELECT max(end_ts) FROM cases WHERE log_id = $log_id
