-- Hand-overs between teams or resources ($level = 'team' | 'resource'): consecutive events of a
-- case held by different groups. Events that name no group are skipped, so X, (none), Y is a
-- hand-over X -> Y. Wait = from the completion of X's event to the start of Y's event (its
-- completion where the log has no start times); overlapping work counts as no wait.
-- Parameters: $log_id, $level.
WITH owners AS (
    SELECT case_no, seq, ts, coalesce(start_ts, ts) AS began,
           CASE WHEN $level = 'team' THEN team_id ELSE resource_id END AS who
    FROM sf_events
),
steps AS (
    SELECT case_no, who AS source, ts,
           lead(who) OVER in_case AS target,
           lead(began) OVER in_case AS next_began
    FROM owners
    WHERE who IS NOT NULL
    WINDOW in_case AS (PARTITION BY case_no ORDER BY seq)
),
handovers AS (
    SELECT case_no, source, target,
           greatest(date_diff('microsecond', ts, next_began) / 1e6, 0.0) AS wait_s
    FROM steps
    WHERE target IS NOT NULL AND target <> source
),
labels AS (
    SELECT team_id AS id, name FROM teams WHERE log_id = $log_id AND $level = 'team'
    UNION ALL
    SELECT resource_id, name FROM resources WHERE log_id = $log_id AND $level = 'resource'
),
per_pair AS (
    SELECT source, target,
           count(*) AS count,
           count(DISTINCT case_no) AS cases,
           avg(wait_s) AS mean_wait_s,
           median(wait_s) AS median_wait_s,
           quantile_cont(wait_s, 0.9) AS p90_wait_s,
           sum(wait_s) AS total_wait_s
    FROM handovers
    GROUP BY source, target
)
SELECT s.name AS source, t.name AS target,
       p.count, p.cases, p.mean_wait_s, p.median_wait_s, p.p90_wait_s, p.total_wait_s
FROM per_pair p
JOIN labels s ON s.id = p.source
JOIN labels t ON t.id = p.target
ORDER BY p.count DESC, s.name, t.name
