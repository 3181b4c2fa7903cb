-- One stored candidate set (the header row of a run's candidates).
INSERT INTO candidate_sets (run_id, log_name, created_at, weights, options, duration_s)
VALUES ($run_id, $log_name, $created_at, $weights, $options, $duration_s)
