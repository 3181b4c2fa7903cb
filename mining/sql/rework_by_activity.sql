-- Repeated activities: per activity, the cases that do it more than once, how often it repeats,
-- how many repetitions follow the previous occurrence directly (self-loop A-A) and the rework time.
-- Rework time of a repetition = time since the previous occurrence of the same activity: the case
-- went round the loop once more. Per case it sums to last occurrence - first occurrence.
-- Lead times (of the stored cases) compare affected cases with the comparable unaffected ones:
-- cases that did the activity exactly once.
-- Counts come from the variants (sf_rework_variant_activities), times from the repetitions
-- (sf_rework_occurrences, rework_occurrences.sql). Parameters: $log_id.
WITH counts AS (
    SELECT r.activity_id,
           sum(v.n) AS cases_with_activity,
           sum(v.n) FILTER (WHERE r.occurrences > 1) AS cases,
           sum(v.n * (r.occurrences - 1)) AS repetitions,
           sum(v.n * r.self_loops) AS self_loops
    FROM sf_rework_variant_activities r
    JOIN sf_flow_variant_counts v USING (variant_no)
    GROUP BY r.activity_id
    HAVING count(*) FILTER (WHERE r.occurrences > 1) > 0
),
per_case AS (
    -- microseconds summed as integers: the totals do not depend on the order DuckDB adds them
    SELECT case_no, activity_id, sum(date_diff('microsecond', prev_ts, ts)) AS extra_us
    FROM sf_rework_occurrences
    GROUP BY case_no, activity_id
),
repeated AS (
    SELECT p.activity_id,
           sum(p.extra_us) / 1e6 AS extra_time_s,
           median(p.extra_us / 1e6) AS median_extra_time_s,
           median(date_diff('microsecond', c.case_start_ts, c.case_end_ts) / 1e6)
               AS median_lead_time_s
    FROM per_case p
    JOIN sf_flow_cases c USING (case_no)
    GROUP BY p.activity_id
),
once AS (
    SELECT r.activity_id,
           median(date_diff('microsecond', c.case_start_ts, c.case_end_ts) / 1e6)
               AS median_lead_time_once_s
    FROM sf_flow_cases c
    JOIN sf_rework_variant_activities r ON r.variant_no = c.variant_no AND r.occurrences = 1
    WHERE r.activity_id IN (SELECT activity_id FROM counts)
    GROUP BY r.activity_id
),
total AS (SELECT count(*) AS n FROM sf_cases)
SELECT a.name AS activity,
       k.cases,
       k.cases / nullif(total.n, 0) AS share,
       k.repetitions,
       k.self_loops,
       t.extra_time_s,
       t.median_extra_time_s,
       k.cases_with_activity,
       t.median_lead_time_s,
       o.median_lead_time_once_s
FROM counts k
JOIN repeated t USING (activity_id)
LEFT JOIN once o USING (activity_id)
JOIN activities a ON a.log_id = $log_id AND a.activity_id = k.activity_id
CROSS JOIN total
ORDER BY t.extra_time_s DESC, k.cases DESC, a.name
