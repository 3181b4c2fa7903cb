-- Lead time (last minus first timestamp) over the cases of the filtered log, in seconds.
-- median and P90 as in flow_dfg_edges.sql (linear interpolation).
SELECT count(*) AS cases,
       coalesce(sum(n_events), 0) AS events,
       avg(lead_s) AS mean_s,
       quantile_cont(lead_s, [0.5, 0.9]) AS q,
       min(lead_s) AS min_s,
       max(lead_s) AS max_s
FROM sf_flow_cases
