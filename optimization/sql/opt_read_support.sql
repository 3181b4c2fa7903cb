-- The executions and cases behind a run's automation ranking (too-rare ones in their order).
SELECT activity, executions, cases, confidence, too_rare
FROM automation_support WHERE run_id = $run_id ORDER BY too_rare, rank, activity
