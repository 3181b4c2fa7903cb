-- Ping-pong between teams or between resources ($level = 'team' | 'resource'): the case's
-- sequence of groups, with events that carry no group skipped and consecutive events of the same
-- group merged into one stay, has X-Y-X (work passed to Y and back to X).
-- Parameters: $level.
WITH owners AS (
    SELECT case_no, seq,
           CASE WHEN $level = 'team' THEN team_id ELSE resource_id END AS who
    FROM sf_events
),
changes AS (
    SELECT case_no, seq, who, lag(who) OVER in_case AS prev_who
    FROM owners
    WHERE who IS NOT NULL
    WINDOW in_case AS (PARTITION BY case_no ORDER BY seq)
),
stays AS (
    SELECT case_no, seq, who FROM changes WHERE prev_who IS DISTINCT FROM who
),
triples AS (
    SELECT case_no,
           lag(who) OVER in_case AS a,
           who AS b,
           lead(who) OVER in_case AS c
    FROM stays
    WINDOW in_case AS (PARTITION BY case_no ORDER BY seq)
)
SELECT least(a, b) AS lo, greatest(a, b) AS hi,
       count(*) AS occurrences,
       count(DISTINCT case_no) AS cases,
       count(*) FILTER (WHERE a < b) AS outer_lo,
       count(*) FILTER (WHERE a > b) AS outer_hi
FROM triples
WHERE a = c
GROUP BY lo, hi
