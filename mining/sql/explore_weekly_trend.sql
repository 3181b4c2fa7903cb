-- Cases of the filtered log (sf_cases) by the week they started: how many, their median and P90
-- lead time (first to last event, seconds).
SELECT date_trunc('week', start_ts) AS week,
       count(*) AS cases,
       median(epoch(end_ts) - epoch(start_ts)) AS median_lead_time_s,
       quantile_cont(epoch(end_ts) - epoch(start_ts), 0.9) AS p90_lead_time_s
FROM sf_cases
GROUP BY week
ORDER BY week
