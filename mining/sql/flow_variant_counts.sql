-- Cases per variant of the filtered log. Case counts per edge and per activity are summed over
-- these rows (a log has far fewer variants than events) instead of counting distinct cases
-- over the events.
CREATE OR REPLACE TEMP TABLE sf_flow_variant_counts AS
SELECT variant, count(*) AS n
FROM sf_flow_case_facts
GROUP BY variant
