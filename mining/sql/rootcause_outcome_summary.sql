-- Over sf_rc_outcomes, per outcome: the cases it is known for, the cases with it (flags: sum
-- of the 0/1 values) and the overall figure (lead time: the median; a flag: its rate); and
-- the number of selected cases.
SELECT count(lead_time) AS lead_cases, median(lead_time) AS lead_overall,
       count(rework) AS rework_cases, sum(rework) AS rework_outcome_cases,
       avg(rework) AS rework_overall,
       count(stalled) AS stalled_cases, sum(stalled) AS stalled_outcome_cases,
       avg(stalled) AS stalled_overall,
       count(*) AS selected_cases
FROM sf_rc_outcomes
