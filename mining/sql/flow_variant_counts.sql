-- Cases per variant of the filtered log, each variant numbered (variant_no, an arbitrary
-- internal number). Case counts per edge and per activity are summed over these rows (a log
-- has far fewer variants than events) instead of counting distinct cases over the events.
CREATE OR REPLACE TEMP TABLE sf_flow_variant_counts AS
SELECT (row_number() OVER ())::INTEGER AS variant_no, variant, n
FROM (SELECT variant, count(*) AS n FROM sf_flow_case_facts GROUP BY variant)
