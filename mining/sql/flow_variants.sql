-- Variants (activity-id sequences) of the filtered log with their case counts and lead times.
SELECT variant,
       count(*) AS n,
       median(lead_s) AS median_lead_s,
       avg(lead_s) AS mean_lead_s
FROM (
    SELECT variant, (epoch_us(end_ts) - epoch_us(start_ts)) / 1e6 AS lead_s
    FROM sf_flow_case_facts
)
GROUP BY variant
