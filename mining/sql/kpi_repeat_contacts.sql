-- Repeat contacts by customer, over sf_kpi_attribute (value = the customer): a case is a repeat
-- contact when the same customer opened another case at most $window_s seconds before it.
-- Returns the cases with a customer and how many of them are repeat contacts.
WITH ordered AS (
    SELECT value AS customer, start_ts,
           lag(start_ts) OVER (PARTITION BY value ORDER BY start_ts, case_no) AS previous_start
    FROM sf_kpi_attribute
    WHERE value IS NOT NULL
)
SELECT count(*) AS with_customer,
       count(*) FILTER (WHERE date_diff('microsecond', previous_start, start_ts) / 1e6
                              <= $window_s) AS repeat_cases
FROM ordered
