-- For each pair ($attributes[i], $values[i]), the median outcome of the other cases that have
-- the attribute in sf_rc_population (a case holding that value among several is left out too).
SELECT g.attribute, g.value, median(p.y) AS rest_median
FROM (SELECT unnest($attributes::VARCHAR[]) AS attribute,
             unnest($values::VARCHAR[]) AS value) g
JOIN sf_rc_population p
  ON p.attribute = g.attribute
 AND coalesce(p.only_value <> g.value, NOT list_contains(p.held, g.value))
GROUP BY g.attribute, g.value
