-- The executions and cases behind one activity of a run's automation ranking.
INSERT INTO automation_support (run_id, activity, executions, cases, confidence, too_rare, rank)
VALUES ($run_id, $activity, $executions, $cases, $confidence, $too_rare, $rank)
