-- Variants (activity-id sequences) of the filtered log with their case counts and lead times.
SELECT v.variant, c.n, c.median_lead_s, c.mean_lead_s
FROM (
    SELECT variant_no,
           count(*) AS n,
           median(lead_s) AS median_lead_s,
           avg(lead_s) AS mean_lead_s
    FROM sf_flow_cases
    GROUP BY variant_no
) c
JOIN sf_flow_variant_counts v USING (variant_no)
