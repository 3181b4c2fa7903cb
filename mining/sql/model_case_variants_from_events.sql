-- Each selected case with its variant rebuilt from the selected events: needed when the filter
-- projects activities, because cases.variant holds the unprojected sequence.
CREATE OR REPLACE TEMP TABLE sf_model_case_variants AS
SELECT case_no, list(activity_id ORDER BY seq) AS variant
FROM sf_events
GROUP BY case_no;
