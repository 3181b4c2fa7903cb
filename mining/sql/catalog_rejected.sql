SELECT r.load_id, r.source_row, r.reason, r.raw
FROM rejected_rows r JOIN loads l USING (load_id)
WHERE l.log_id = $log_id AND ($load_id IS NULL OR r.load_id = $load_id)
ORDER BY r.load_id, r.source_row
