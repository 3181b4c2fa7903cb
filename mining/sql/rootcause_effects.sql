-- Effect of each value of sf_rc_groups on the outcome $outcome of its cases, against the rest
-- of the cases that have the attribute (sf_rc_populations). Ranks are taken within each
-- attribute's cases, ties getting their average rank, so Cliff's delta = 2 U / (n1 n2) - 1
-- with U the Mann-Whitney statistic of the group, and z its normal approximation with tie
-- correction. A flag's rank sum follows from its counts: the group's n1 - y_sum zeros at
-- rank_of_0 and y_sum ones at rank_of_1. Values with fewer than $min_cases cases, or fewer
-- than $min_cases other cases, are left out.
WITH measured AS (
    SELECT g.attribute, g.value, g.n1, t.n - g.n1 AS n2, g.y_sum, t.y_sum - g.y_sum AS rest_y_sum,
           coalesce(g.rank_sum, (g.n1 - g.y_sum) * t.rank_of_0 + g.y_sum * t.rank_of_1)
               - g.n1 * (g.n1 + 1) / 2 AS u,
           (g.n1 * (t.n - g.n1) / 12.0)
               * ((t.n + 1) - t.tie_term / (t.n * (t.n - 1))) AS u_variance
    FROM sf_rc_groups g
    JOIN sf_rc_populations t ON t.outcome = g.outcome AND t.attribute = g.attribute
    WHERE g.outcome = $outcome AND g.n1 >= $min_cases AND t.n - g.n1 >= $min_cases
)
SELECT attribute, value, n1::BIGINT AS cases, n2::BIGINT AS rest_cases,
       y_sum, rest_y_sum,
       2 * u / (n1 * n2) - 1 AS cliffs_delta,
       CASE WHEN u_variance > 0 THEN (u - n1 * n2 / 2) / sqrt(u_variance) END AS z
FROM measured
