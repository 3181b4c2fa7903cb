-- SLA breaches per ticket type: lead time (start to last event for cases that ended at an end
-- activity; start to $as_of for open ones) against the target of the case's type
-- ($types[i] -> $targets_s[i], else $default_target_s). The type is the case attribute $attribute.
-- Reads sf_case_status. Parameters: $attribute, $types, $targets_s, $default_target_s, $as_of.
WITH typed AS (
    SELECT s.ended,
           c.attributes ->> $attribute AS ticket_type,
           CASE WHEN s.ended THEN date_diff('microsecond', s.start_ts, s.end_ts) / 1e6
                ELSE greatest(date_diff('microsecond', s.start_ts, $as_of::TIMESTAMP) / 1e6, 0.0)
           END AS lead_s
    FROM sf_case_status s JOIN sf_cases c USING (case_no)
),
targeted AS (
    SELECT *,
           coalesce(list_extract($targets_s::DOUBLE[], list_position($types::VARCHAR[], ticket_type)),
                    $default_target_s::DOUBLE) AS target_s
    FROM typed
)
SELECT ticket_type,
       any_value(target_s) AS target_s,
       count(*) AS cases,
       count(*) FILTER (WHERE lead_s > target_s) AS breached,
       count(*) FILTER (WHERE NOT ended) AS open_cases,
       count(*) FILTER (WHERE NOT ended AND lead_s > target_s) AS open_breached,
       median(lead_s) AS median_lead_time_s,
       quantile_cont(lead_s, 0.9) AS p90_lead_time_s
FROM targeted
GROUP BY ticket_type
ORDER BY ticket_type NULLS LAST
