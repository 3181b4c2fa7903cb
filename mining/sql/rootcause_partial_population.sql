-- The compared attributes that not every selected case has ($partial, among the kept ones of
-- sf_rc_features and the binned ones of sf_rc_binned): each case that has one, once, with its
-- outcomes, the average rank of its lead time among those cases (the population the
-- attribute's values are compared within; ties share the mean of their ranks) and its 0-based
-- place in their lead-time order.
CREATE OR REPLACE TEMP TABLE sf_rc_partial AS
WITH population AS (
    SELECT DISTINCT attribute, case_no
    FROM (
        SELECT attribute, case_no FROM sf_rc_features
        WHERE list_contains($partial::SMALLINT[], attribute)
        UNION ALL
        SELECT attribute, case_no FROM sf_rc_binned
        WHERE list_contains($partial::SMALLINT[], attribute)
    )
)
SELECT p.attribute, p.case_no, o.lead_time, o.rework, o.stalled,
       -- first and last rank of the tied cases, averaged
       CASE WHEN o.lead_time IS NOT NULL THEN (rank() OVER w + count(*) OVER w) / 2.0
       END AS lead_rank,
       CASE WHEN o.lead_time IS NOT NULL THEN row_number() OVER w - 1 END AS lead_pos
FROM population p
JOIN sf_rc_outcomes o USING (case_no)
WINDOW w AS (PARTITION BY p.attribute, o.lead_time IS NULL ORDER BY o.lead_time)
