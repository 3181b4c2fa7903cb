-- Repeated activities: per activity, the cases that do it more than once, how often it repeats,
-- how many repetitions follow the previous occurrence directly (self-loop A-A) and the rework time.
-- Rework time of a repetition = time since the previous occurrence of the same activity: the case
-- went round the loop once more. Per case it sums to last occurrence - first occurrence.
-- Lead times compare affected cases with the comparable unaffected ones: cases that did the
-- activity exactly once.
-- Reads sf_rework_occurrences (rework_occurrences.sql). Parameters: $log_id.
WITH per_case AS (
    SELECT case_no, activity_id,
           count(prev_seq) AS repetitions,
           count(*) FILTER (WHERE prev_seq = seq - 1) AS self_loops,
           coalesce(sum(date_diff('microsecond', prev_ts, ts) / 1e6), 0.0) AS extra_s
    FROM sf_rework_occurrences
    GROUP BY case_no, activity_id
),
lead_times AS (
    SELECT case_no, date_diff('microsecond', start_ts, end_ts) / 1e6 AS lead_s FROM sf_cases
),
per_activity AS (
    SELECT p.activity_id,
           count(*) AS cases_with_activity,
           count(*) FILTER (WHERE p.repetitions > 0) AS cases,
           sum(p.repetitions) AS repetitions,
           sum(p.self_loops) AS self_loops,
           sum(p.extra_s) AS extra_time_s,
           median(p.extra_s) FILTER (WHERE p.repetitions > 0) AS median_extra_time_s,
           median(l.lead_s) FILTER (WHERE p.repetitions > 0) AS median_lead_time_s,
           median(l.lead_s) FILTER (WHERE p.repetitions = 0) AS median_lead_time_once_s
    FROM per_case p JOIN lead_times l USING (case_no)
    GROUP BY p.activity_id
),
total AS (SELECT count(*) AS n FROM sf_cases)
SELECT a.name AS activity,
       pa.cases,
       pa.cases / nullif(total.n, 0) AS share,
       pa.repetitions,
       pa.self_loops,
       pa.extra_time_s,
       pa.median_extra_time_s,
       pa.cases_with_activity,
       pa.median_lead_time_s,
       pa.median_lead_time_once_s
FROM per_activity pa
JOIN activities a ON a.log_id = $log_id AND a.activity_id = pa.activity_id
CROSS JOIN total
WHERE pa.cases > 0
ORDER BY pa.extra_time_s DESC, pa.cases DESC, a.name
