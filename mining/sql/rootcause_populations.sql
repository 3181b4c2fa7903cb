-- Per compared attribute and outcome, its cases with the outcome known (n), the sum of a
-- flag's 0/1 values (y_sum) and the tie term of the Mann-Whitney variance (sum of t^3 - t
-- over the groups of t tied outcomes). The attributes all selected cases have ($full) share
-- one population, sf_rc_outcomes; the others have theirs in sf_rc_partial.
-- For a flag the average ranks follow from the counts: the n - y_sum zeros share rank_of_0,
-- the y_sum ones rank_of_1 (as the ranks of rootcause_partial_population.sql would give).
CREATE OR REPLACE TEMP TABLE sf_rc_populations AS
WITH cases AS (
    SELECT NULL::SMALLINT AS attribute, lead_time, rework, stalled FROM sf_rc_outcomes
    UNION ALL
    SELECT attribute, lead_time, rework, stalled FROM sf_rc_partial
),
lead_ties AS (
    SELECT attribute, count(*)::DOUBLE AS t
    FROM cases
    WHERE lead_time IS NOT NULL
    GROUP BY attribute, lead_time
),
lead_tie_terms AS (
    SELECT attribute, sum(t * t * t - t) AS tie_term FROM lead_ties GROUP BY attribute
),
counts AS (
    SELECT attribute,
           count(lead_time)::DOUBLE AS lead_n,
           count(rework)::DOUBLE AS rework_n, sum(rework) AS rework_sum,
           count(stalled)::DOUBLE AS stalled_n, sum(stalled) AS stalled_sum
    FROM cases
    GROUP BY attribute
),
named AS (
    SELECT coalesce(f.attribute, c.attribute) AS attribute, c.* EXCLUDE (attribute),
           k.tie_term AS lead_tie_term
    FROM counts c
    LEFT JOIN lead_tie_terms k ON k.attribute IS NOT DISTINCT FROM c.attribute
    LEFT JOIN (SELECT unnest($full::SMALLINT[]) AS attribute) f ON c.attribute IS NULL
),
flags AS (
    SELECT 'rework' AS outcome, attribute, rework_n AS n, rework_sum AS y_sum,
           rework_n - rework_sum AS zeros
    FROM named
    UNION ALL
    SELECT 'stalled', attribute, stalled_n, stalled_sum, stalled_n - stalled_sum FROM named
)
SELECT 'lead_time' AS outcome, attribute, lead_n AS n, NULL::DOUBLE AS y_sum,
       coalesce(lead_tie_term, 0) AS tie_term, NULL::DOUBLE AS rank_of_0, NULL::DOUBLE AS rank_of_1
FROM named
WHERE attribute IS NOT NULL
UNION ALL
SELECT outcome, attribute, n, y_sum,
       (zeros * zeros * zeros - zeros) + (y_sum * y_sum * y_sum - y_sum) AS tie_term,
       zeros - (zeros - 1) / 2.0 AS rank_of_0,
       n - (y_sum - 1) / 2.0 AS rank_of_1
FROM flags
WHERE attribute IS NOT NULL
