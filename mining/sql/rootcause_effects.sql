-- Effect of each value of the kept attributes ($kept; numeric ones come binned from
-- sf_rc_binned) on the outcome sf_rc_outcome(case_no, y), against the rest of the cases that
-- have the attribute. Ranks are taken within each attribute's cases (ties get their average
-- rank), so Cliff's delta = 2 U / (n1 n2) - 1 with U the Mann-Whitney statistic of the group,
-- and z its normal approximation with tie correction. Values with fewer than $min_cases cases,
-- or with fewer than $min_cases other cases, are left out.
WITH features AS (
    SELECT attribute, value, case_no FROM sf_rc_features WHERE list_contains($kept::VARCHAR[], attribute)
    UNION ALL
    SELECT attribute, value, case_no FROM sf_rc_binned
),
population AS (
    SELECT DISTINCT f.attribute, f.case_no, o.y
    FROM features f
    JOIN sf_rc_outcome o USING (case_no)
),
ranked AS (
    SELECT attribute, case_no, y,
           rank() OVER (PARTITION BY attribute ORDER BY y)
               + (count(*) OVER (PARTITION BY attribute, y) - 1) / 2.0 AS r
    FROM population
),
ties AS (
    SELECT attribute, sum(t * t * t - t) AS tie_term
    FROM (SELECT attribute, y, count(*)::DOUBLE AS t FROM population GROUP BY attribute, y)
    GROUP BY attribute
),
totals AS (
    SELECT attribute, count(*)::DOUBLE AS n, sum(y) AS y_sum, median(y) AS y_median
    FROM population
    GROUP BY attribute
),
groups AS (
    SELECT f.attribute, f.value, count(*)::DOUBLE AS n1, sum(r.r) AS rank_sum,
           sum(r.y) AS y_sum, median(r.y) AS y_median
    FROM features f
    JOIN ranked r ON r.attribute = f.attribute AND r.case_no = f.case_no
    GROUP BY f.attribute, f.value
),
measured AS (
    SELECT g.attribute, g.value, g.n1, t.n - g.n1 AS n2, g.y_sum, t.y_sum - g.y_sum AS rest_y_sum,
           g.y_median, t.y_median AS all_median,
           g.rank_sum - g.n1 * (g.n1 + 1) / 2 AS u,
           (g.n1 * (t.n - g.n1) / 12.0)
               * ((t.n + 1) - k.tie_term / (t.n * (t.n - 1))) AS u_variance
    FROM groups g
    JOIN totals t USING (attribute)
    JOIN ties k USING (attribute)
    WHERE g.n1 >= $min_cases AND t.n - g.n1 >= $min_cases
)
SELECT attribute, value, n1::BIGINT AS cases, n2::BIGINT AS rest_cases,
       y_sum, rest_y_sum, y_median, all_median,
       2 * u / (n1 * n2) - 1 AS cliffs_delta,
       CASE WHEN u_variance > 0 THEN (u - n1 * n2 / 2) / sqrt(u_variance) END AS z
FROM measured
