-- The loads of one log (or one load), oldest first.
SELECT load_id, source_path, source_sha256, source_format, source_bytes, loaded_at, rows_read,
       rows_loaded, rows_rejected, events_added, events_already_stored, cases_added,
       cases_touched, mapping, options, max_severity, duration_s
FROM loads
WHERE log_id = $log_id AND ($load_id IS NULL OR load_id = $load_id)
ORDER BY load_id
