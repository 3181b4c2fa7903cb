-- Data-quality findings of the loads a mining run saw, worst first within each load.
SELECT f.load_id, l.source_path, f.severity, f.code, f.pattern, f.affected, f.share, f.message,
       f.examples
FROM quality_findings f JOIN loads l USING (load_id)
WHERE f.log_id = $log_id AND f.load_id <= $last_load_id
ORDER BY f.load_id, CASE f.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, f.code,
         f.message
