-- The header of the candidate set stored with a run (no row: none stored).
SELECT log_name, weights FROM candidate_sets WHERE run_id = $run_id
