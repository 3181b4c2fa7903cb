-- Cases that bounce $first -> $second -> $first, between activities or between teams ($level).
CREATE OR REPLACE TEMP TABLE sf_drill AS
SELECT DISTINCT case_no
FROM (
    SELECT e.case_no, x.name AS here,
           lead(x.name, 1) OVER w AS next_1,
           lead(x.name, 2) OVER w AS next_2
    FROM sf_events e
    LEFT JOIN activities a
           ON $level = 'activity' AND a.log_id = e.log_id AND a.activity_id = e.activity_id
    LEFT JOIN teams t ON $level = 'team' AND t.log_id = e.log_id AND t.team_id = e.team_id
    CROSS JOIN LATERAL (SELECT coalesce(a.name, t.name) AS name) x
    WINDOW w AS (PARTITION BY e.case_no ORDER BY e.seq)
)
WHERE here = $first AND next_1 = $second AND next_2 = $first
