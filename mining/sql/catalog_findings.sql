SELECT load_id, code, pattern, severity, affected, share, message, examples
FROM quality_findings
WHERE log_id = $log_id AND ($load_id IS NULL OR load_id = $load_id)
ORDER BY load_id, CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, code
