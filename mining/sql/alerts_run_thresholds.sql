-- The idle thresholds a mining run stored with its break points (activities where cases stalled).
-- Parameters: $run_id.
SELECT activity, threshold_s, threshold_source
FROM run_breakpoints
WHERE run_id = $run_id
ORDER BY activity
