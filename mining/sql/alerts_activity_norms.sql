-- Per activity of log $log_id: the idle time that is normal after it, learned as in the break-point
-- analysis (breakpoint_case_status.sql: the $quantile of the follow-up gaps after the activity,
-- or the log-wide $quantile where it has fewer than $min_samples follow-ups), and the team that
-- most often takes the next step (the team a waiting ticket is with).
-- Parameters: $log_id, $quantile, $min_samples.
WITH gaps AS (
    SELECT activity_id, next_team_id, date_diff('microsecond', ts, next_ts) / 1e6 AS gap_s
    FROM events
    WHERE log_id = $log_id AND next_activity_id IS NOT NULL
),
per_activity AS (
    SELECT activity_id, count(*) AS n, quantile_cont(gap_s, $quantile) AS q
    FROM gaps GROUP BY activity_id
),
log_wide AS (
    SELECT quantile_cont(gap_s, $quantile) AS q FROM gaps
),
next_teams AS (
    SELECT activity_id, arg_max(next_team_id, n) AS team_id
    FROM (
        SELECT activity_id, next_team_id, count(*) * 1e9 - next_team_id AS n
        FROM gaps WHERE next_team_id IS NOT NULL
        GROUP BY activity_id, next_team_id
    )
    GROUP BY activity_id
)
SELECT a.name AS activity,
       CASE WHEN p.n >= $min_samples THEN p.q ELSE w.q END AS threshold_s,
       CASE WHEN p.n >= $min_samples THEN 'learned' ELSE 'log-wide' END AS threshold_source,
       t.name AS next_team
FROM activities a
LEFT JOIN per_activity p USING (activity_id)
CROSS JOIN log_wide w
LEFT JOIN next_teams nt USING (activity_id)
LEFT JOIN teams t ON t.log_id = $log_id AND t.team_id = nt.team_id
WHERE a.log_id = $log_id
ORDER BY a.name
