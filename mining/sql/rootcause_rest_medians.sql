-- For each pair ($attributes[i], $values[i]), the median outcome of
-- the other cases that have the attribute (cases holding that value are left out, including
-- cases that also hold other values of a multi-valued attribute).
WITH features AS (
    SELECT attribute, value, case_no FROM sf_rc_features WHERE list_contains($kept::VARCHAR[], attribute)
    UNION ALL
    SELECT attribute, value, case_no FROM sf_rc_binned
),
holdings AS (
    SELECT f.attribute, f.case_no, list(f.value) AS held, any_value(o.y) AS y
    FROM features f
    JOIN sf_rc_outcome o USING (case_no)
    GROUP BY f.attribute, f.case_no
)
SELECT g.attribute, g.value, median(h.y) AS rest_median
FROM (SELECT unnest($attributes::VARCHAR[]) AS attribute,
             unnest($values::VARCHAR[]) AS value) g
JOIN holdings h ON h.attribute = g.attribute AND NOT list_contains(h.held, g.value)
GROUP BY g.attribute, g.value
