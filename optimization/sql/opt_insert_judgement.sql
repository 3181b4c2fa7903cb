-- One step of a run whose evidence says judgement work: listed, not proposed.
INSERT INTO judgement_work (run_id, rank, activity, executions, cases, signals, reason)
VALUES ($run_id, $rank, $activity, $executions, $cases, $signals, $reason)
