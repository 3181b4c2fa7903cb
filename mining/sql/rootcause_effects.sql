-- Effect of each value in sf_rc_candidates on the outcome y of its cases, against
-- the rest of the cases that have the attribute (sf_rc_population). Ranks are taken within each
-- attribute's cases, ties getting their average rank (a tie group of t values whose last rank
-- is C shares C - (t - 1) / 2), so Cliff's delta = 2 U / (n1 n2) - 1 with U the Mann-Whitney
-- statistic of the group, and z its normal approximation with tie correction. Values with
-- fewer than $min_cases cases, or fewer than $min_cases other cases, are left out. The median
-- is taken for a measured outcome only ($flag false); a 0/1 flag is compared by its rate.
WITH ties AS (
    SELECT attribute, y, count(*)::DOUBLE AS t FROM sf_rc_population GROUP BY attribute, y
),
ranks AS (
    SELECT attribute, y, t,
           sum(t) OVER (PARTITION BY attribute ORDER BY y ROWS UNBOUNDED PRECEDING)
               - (t - 1) / 2.0 AS r
    FROM ties
),
tie_terms AS (
    SELECT attribute, sum(t * t * t - t) AS tie_term FROM ties GROUP BY attribute
),
totals AS (
    SELECT attribute, count(*)::DOUBLE AS n, sum(y) AS y_sum
    FROM sf_rc_population
    GROUP BY attribute
),
groups AS (
    SELECT c.attribute, c.value, count(*)::DOUBLE AS n1, sum(r.r) AS rank_sum,
           sum(c.y) AS y_sum, median(c.y) FILTER (WHERE NOT $flag) AS y_median
    FROM sf_rc_candidates c
    JOIN ranks r ON r.attribute = c.attribute AND r.y = c.y
    GROUP BY c.attribute, c.value
),
measured AS (
    SELECT g.attribute, g.value, g.n1, t.n - g.n1 AS n2, g.y_sum, t.y_sum - g.y_sum AS rest_y_sum,
           g.y_median,
           g.rank_sum - g.n1 * (g.n1 + 1) / 2 AS u,
           (g.n1 * (t.n - g.n1) / 12.0)
               * ((t.n + 1) - k.tie_term / (t.n * (t.n - 1))) AS u_variance
    FROM groups g
    JOIN totals t USING (attribute)
    JOIN tie_terms k USING (attribute)
    WHERE g.n1 >= $min_cases AND t.n - g.n1 >= $min_cases
)
SELECT attribute, value, n1::BIGINT AS cases, n2::BIGINT AS rest_cases,
       y_sum, rest_y_sum, y_median,
       2 * u / (n1 * n2) - 1 AS cliffs_delta,
       CASE WHEN u_variance > 0 THEN (u - n1 * n2 / 2) / sqrt(u_variance) END AS z
FROM measured
