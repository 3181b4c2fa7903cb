-- Ping-pong between teams or between resources: the case's sequence of groups, with events that
-- carry no group skipped and consecutive events of the same group merged into one stay, has
-- X-Y-X (work passed to Y and back to X). The hand-overs between stays are in sf_handovers
-- (handover_steps*.sql, at the level asked): X-Y-X is a hand-over X -> Y whose next hand-over
-- in the case goes back to X.
WITH triples AS (
    SELECT case_no,
           source AS a,
           target AS b,
           lead(target) OVER (PARTITION BY case_no ORDER BY seq) AS c
    FROM sf_handovers
)
SELECT least(a, b) AS lo, greatest(a, b) AS hi,
       count(*) AS occurrences,
       count(DISTINCT case_no) AS cases,
       count(*) FILTER (WHERE a < b) AS outer_lo,
       count(*) FILTER (WHERE a > b) AS outer_hi
FROM triples
WHERE a = c
GROUP BY lo, hi
