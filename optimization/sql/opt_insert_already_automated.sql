-- One activity left out of the proposals because it is already automated.
INSERT INTO already_automated (run_id, rank, activity, reason)
VALUES ($run_id, $rank, $activity, $reason)
