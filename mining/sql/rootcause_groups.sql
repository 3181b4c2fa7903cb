-- Per compared value (sf_rc_buckets) and outcome: the cases with the outcome known (n1), the
-- sum of a flag's 0/1 values (y_sum) and the sum of the lead-time ranks (rank_sum; a flag's
-- follows from n1 and y_sum, see rootcause_effects.sql).
CREATE OR REPLACE TEMP TABLE sf_rc_groups AS
WITH per_value AS (
    SELECT attribute, value,
           sum(lead_n)::DOUBLE AS lead_n, sum(lead_rank_sum) AS lead_rank_sum,
           sum(rework_n)::DOUBLE AS rework_n, sum(rework_sum) AS rework_sum,
           sum(stalled_n)::DOUBLE AS stalled_n, sum(stalled_sum) AS stalled_sum
    FROM sf_rc_buckets
    GROUP BY attribute, value
)
SELECT 'lead_time' AS outcome, attribute, value, lead_n AS n1, NULL::DOUBLE AS y_sum,
       lead_rank_sum AS rank_sum
FROM per_value
UNION ALL
SELECT 'rework', attribute, value, rework_n, rework_sum, NULL FROM per_value
UNION ALL
SELECT 'stalled', attribute, value, stalled_n, stalled_sum, NULL FROM per_value
