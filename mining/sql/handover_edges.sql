-- The $top hand-over pairs of `sf_handover_pairs` ranked first (by count, ties by the ids), in
-- full detail: count, distinct cases, mean, median, P90 and total wait (exact), with the
-- groups' names.
-- Parameters: $log_id, $level, $top.
WITH labels AS (
    SELECT team_id AS id, name FROM teams WHERE log_id = $log_id AND $level = 'team'
    UNION ALL
    SELECT resource_id, name FROM resources WHERE log_id = $log_id AND $level = 'resource'
),
top_pairs AS (
    SELECT source, target FROM sf_handover_pairs ORDER BY count DESC, source, target LIMIT $top
),
per_pair AS (
    SELECT h.source, h.target,
           count(*) AS count,
           count(DISTINCT h.case_no) AS cases,
           avg(h.wait_s::DECIMAL(18, 6)) AS mean_wait_s,
           median(h.wait_s) AS median_wait_s,
           quantile_cont(h.wait_s, 0.9) AS p90_wait_s,
           sum(h.wait_s::DECIMAL(18, 6))::DOUBLE AS total_wait_s
    FROM sf_handovers h
    SEMI JOIN top_pairs p ON p.source = h.source AND p.target = h.target
    GROUP BY h.source, h.target
)
SELECT s.name AS source, t.name AS target,
       p.count, p.cases, p.mean_wait_s, p.median_wait_s, p.p90_wait_s, p.total_wait_s
FROM per_pair p
JOIN labels s ON s.id = p.source
JOIN labels t ON t.id = p.target
ORDER BY p.count DESC, s.name, t.name
