-- The activities of a run left out as already automated.
SELECT activity, reason FROM already_automated WHERE run_id = $run_id ORDER BY rank
