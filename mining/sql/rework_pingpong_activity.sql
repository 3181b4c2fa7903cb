-- Activity ping-pong: three consecutive events A-B-A (A <> B) in a case. A pair {A, B} is counted
-- in both directions (A-B-A and B-A-B); `outer_lo` / `outer_hi` say how often each one was the
-- activity returned to.
WITH triples AS (
    SELECT case_no,
           lag(activity_id) OVER in_case AS a,
           activity_id AS b,
           next_activity_id AS c
    FROM sf_events
    WINDOW in_case AS (PARTITION BY case_no ORDER BY seq)
)
SELECT least(a, b) AS lo, greatest(a, b) AS hi,
       count(*) AS occurrences,
       count(DISTINCT case_no) AS cases,
       count(*) FILTER (WHERE a < b) AS outer_lo,
       count(*) FILTER (WHERE a > b) AS outer_hi
FROM triples
WHERE a = c AND a <> b
GROUP BY lo, hi
