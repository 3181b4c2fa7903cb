-- One ranked automation candidate of a run.
INSERT INTO automation_candidates (
    run_id, rank, id, activity, score, kind, executions_per_month, median_duration_s,
    hours_saved_per_month, lead_time_change_s, criteria, rationale, rule, change)
VALUES ($run_id, $rank, $id, $activity, $score, $kind, $executions_per_month, $median_duration_s,
        $hours_saved_per_month, $lead_time_change_s, $criteria, $rationale, $rule, $change)
