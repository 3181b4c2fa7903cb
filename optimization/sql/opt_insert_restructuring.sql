-- One ranked restructuring candidate of a run.
INSERT INTO restructuring_candidates (
    run_id, rank, id, kind, activities, cases, score, lead_time_change_s, evidence, rationale,
    case_ids, change)
VALUES ($run_id, $rank, $id, $kind, $activities, $cases, $score, $lead_time_change_s, $evidence,
        $rationale, $case_ids, $change)
