-- The scorecard's aggregates over sf_kpi_case_facts. Medians and P90 interpolate between order
-- statistics (numpy's default quantile method).
SELECT count(*) AS cases,
       count(response_s) AS response_cases,
       median(response_s), avg(response_s), quantile_cont(response_s, 0.9),
       count(*) FILTER (WHERE resolved) AS resolved_cases,
       median(resolution_s), avg(resolution_s), quantile_cont(resolution_s, 0.9),
       median(lead_time_s), avg(lead_time_s), quantile_cont(lead_time_s, 0.9),
       count(*) FILTER (WHERE resolved AND held_before_resolution) AS fcr_basis,
       count(*) FILTER (WHERE resolved AND held_before_resolution AND handover_free) AS fcr_cases,
       count(*) FILTER (WHERE reopened) AS reopened_cases,
       count(*) FILTER (WHERE repeat_events > 0) AS repeat_cases,
       count(*) FILTER (WHERE escalation_events > 0) AS escalation_cases
FROM sf_kpi_case_facts
