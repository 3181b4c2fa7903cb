-- Rows rejected by the loads a mining run saw, by load and source row.
SELECT r.load_id, l.source_path, r.source_row, r.reason, r.raw
FROM rejected_rows r JOIN loads l USING (load_id)
WHERE l.log_id = $log_id AND r.load_id <= $last_load_id
ORDER BY r.load_id, r.source_row, r.reason
