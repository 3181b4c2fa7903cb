-- Per selected case, attribute $path (a quoted JSONPath): `value` is the case attribute where
-- the case has it, else the value on the case's last event that carries it; `flagged` is true
-- when the case attribute or any event value reads as yes (1, true, yes, y, t, 是, or a number
-- above 0), for flag attributes such as an escalation marker.
CREATE OR REPLACE TEMP TABLE sf_kpi_attribute AS
WITH on_events AS (
    SELECT case_no,
           arg_max(attributes ->> $path, seq) AS last_value,
           bool_or(lower(trim(attributes ->> $path)) IN ('1', 'true', 'yes', 'y', 't', '是')
                   OR coalesce(TRY_CAST(attributes ->> $path AS DOUBLE) > 0, false)) AS any_yes
    FROM sf_events
    WHERE attributes ->> $path IS NOT NULL
    GROUP BY case_no
),
on_cases AS (
    SELECT case_no, start_ts, attributes ->> $path AS case_value FROM sf_cases
)
SELECT c.case_no, c.start_ts,
       coalesce(c.case_value, e.last_value) AS value,
       coalesce(lower(trim(c.case_value)) IN ('1', 'true', 'yes', 'y', 't', '是')
                OR coalesce(TRY_CAST(c.case_value AS DOUBLE) > 0, false), false)
           OR coalesce(e.any_yes, false) AS flagged
FROM on_cases c
LEFT JOIN on_events e USING (case_no)
