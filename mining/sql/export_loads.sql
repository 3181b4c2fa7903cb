-- The loads a mining run saw (every load of the log up to the run's last load), oldest first.
SELECT load_id, source_path, source_sha256, source_format, source_bytes, loaded_at, rows_read,
       rows_loaded, rows_rejected, events_added, events_already_stored, cases_added,
       max_severity
FROM loads
WHERE log_id = $log_id AND load_id <= $last_load_id
ORDER BY load_id
