-- Flag an activity of a log as already automated (again: no change).
INSERT INTO automation_flags (log_id, activity, flagged_at)
VALUES ($log_id, $activity, $flagged_at)
ON CONFLICT DO NOTHING
