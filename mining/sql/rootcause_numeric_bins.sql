-- Numeric attributes with mostly unique values ($numeric), cut at their quartiles into four
-- bins labelled by their bounds, so that "high amount" can be a cause like any category.
-- `repeated`: a case of a multi-valued attribute ($multi) holding a second value in the same
-- bin; such a row counts in the group's size and ranks but not again among its cases.
CREATE OR REPLACE TEMP TABLE sf_rc_binned AS
WITH numbers AS (
    SELECT attribute, case_no, TRY_CAST(value AS DOUBLE) AS x
    FROM sf_rc_features
    WHERE list_contains($numeric::SMALLINT[], attribute) AND TRY_CAST(value AS DOUBLE) IS NOT NULL
),
cuts AS (
    SELECT attribute,
           quantile_cont(x, 0.25) AS q1, quantile_cont(x, 0.5) AS q2, quantile_cont(x, 0.75) AS q3
    FROM numbers
    GROUP BY attribute
),
labelled AS (
    SELECT n.attribute,
           CASE WHEN n.x <= q1 THEN printf('<= %g', q1)
                WHEN n.x <= q2 THEN printf('%g - %g', q1, q2)
                WHEN n.x <= q3 THEN printf('%g - %g', q2, q3)
                ELSE printf('> %g', q3) END AS value,
           n.case_no
    FROM numbers n
    JOIN cuts USING (attribute)
)
SELECT attribute, value, case_no, false AS repeated
FROM labelled
WHERE NOT list_contains($multi::SMALLINT[], attribute)
UNION ALL
SELECT attribute, value, case_no,
       row_number() OVER (PARTITION BY attribute, value, case_no) > 1 AS repeated
FROM labelled
WHERE list_contains($multi::SMALLINT[], attribute)
