-- For each pair ($attributes[i], $values[i]), the median lead time of the cases holding the
-- value (the group: its rows, a repeated one twice) and of the other cases that have the
-- attribute (the rest), exactly and without sorting every case: sf_rc_buckets counts the
-- group's rows per bucket of $bucket places in the attribute's lead-time order (places
-- 0 .. n - 1 of its n cases; sf_rc_outcomes, or sf_rc_partial for the attributes some cases
-- lack, $partial), so the running counts tell in which bucket the middle rows lie and at
-- which place there; only those buckets' cases are read. A median of an even count is the
-- mean of the two middle values, as DuckDB's median gives.
WITH wanted AS (
    SELECT unnest($attributes::SMALLINT[]) AS attribute, unnest($values::VARCHAR[]) AS value
),
grid AS (
    SELECT w.attribute, w.value, p.n::BIGINT AS n,
           unnest(range(0, ceil(p.n / $bucket)::BIGINT)) AS bucket
    FROM wanted w
    JOIN sf_rc_populations p ON p.outcome = 'lead_time' AND p.attribute = w.attribute
),
counted AS (
    SELECT g.attribute, g.value, g.bucket,
           coalesce(b.lead_n, 0) AS group_here,
           least(g.n - g.bucket * $bucket, $bucket) - coalesce(b.lead_cases, 0) AS rest_here
    FROM grid g
    LEFT JOIN sf_rc_buckets b
      ON b.attribute = g.attribute AND b.value = g.value AND b.bucket = g.bucket
),
running AS (
    SELECT attribute, value, bucket, side, here,
           sum(here) OVER (PARTITION BY attribute, value, side ORDER BY bucket) AS upto
    FROM (
        SELECT attribute, value, bucket, 'group' AS side, group_here AS here FROM counted
        UNION ALL
        SELECT attribute, value, bucket, 'rest', rest_here FROM counted
    )
),
middles AS (
    -- the 0-based ranks of the middle value(s) on each side
    SELECT DISTINCT attribute, value, side, k
    FROM (
        SELECT attribute, value, side, unnest([(size - 1) // 2, size // 2]) AS k
        FROM (SELECT attribute, value, side, max(upto) AS size FROM running GROUP BY ALL)
        WHERE size > 0
    )
),
located AS (
    SELECT m.attribute, m.value, m.side, m.k, r.bucket, m.k - (r.upto - r.here) AS place
    FROM middles m
    JOIN running r
      ON r.attribute = m.attribute AND r.value = m.value AND r.side = m.side
     AND r.upto - r.here <= m.k AND m.k < r.upto
),
buckets AS (
    SELECT DISTINCT attribute, value, bucket FROM located
),
in_bucket AS (
    -- the cases of the attribute in those buckets
    SELECT b.attribute, b.value, b.bucket, o.case_no, o.lead_time, o.lead_pos
    FROM buckets b
    JOIN sf_rc_outcomes o ON o.lead_pos // $bucket = b.bucket
    WHERE NOT list_contains($partial::SMALLINT[], b.attribute)
    UNION ALL
    SELECT b.attribute, b.value, b.bucket, p.case_no, p.lead_time, p.lead_pos
    FROM buckets b
    JOIN sf_rc_partial p ON p.attribute = b.attribute AND p.lead_pos // $bucket = b.bucket
),
copies AS (
    -- how many rows of the group each of them holds (none: it is in the rest)
    SELECT c.attribute, c.value, c.case_no, count(*) AS copies
    FROM (
        SELECT attribute, value, case_no FROM sf_rc_features
        UNION ALL
        SELECT attribute, value, case_no FROM sf_rc_binned
    ) c
    SEMI JOIN in_bucket i
      ON i.case_no = c.case_no AND i.attribute = c.attribute AND i.value = c.value
    GROUP BY ALL
),
sides AS (
    SELECT attribute, value, bucket, side, lead_time, lead_pos
    FROM (
        SELECT i.attribute, i.value, i.bucket, 'group' AS side, i.lead_time, i.lead_pos,
               unnest(range(c.copies)) AS copy
        FROM in_bucket i
        JOIN copies c USING (attribute, value, case_no)
    )
    UNION ALL
    SELECT i.attribute, i.value, i.bucket, 'rest', i.lead_time, i.lead_pos
    FROM in_bucket i
    ANTI JOIN copies c USING (attribute, value, case_no)
),
placed AS (
    SELECT attribute, value, bucket, side, lead_time,
           row_number() OVER (PARTITION BY attribute, value, bucket, side ORDER BY lead_pos) - 1
               AS place
    FROM sides
),
picked AS (
    SELECT l.attribute, l.value, l.side, l.k, p.lead_time
    FROM located l
    JOIN placed p
      ON p.attribute = l.attribute AND p.value = l.value AND p.bucket = l.bucket
     AND p.side = l.side AND p.place = l.place
)
-- lower and upper middle value (the same one for an odd count), averaged
SELECT attribute, value,
       (arg_min(lead_time, k) FILTER (WHERE side = 'group')
        + arg_max(lead_time, k) FILTER (WHERE side = 'group')) / 2 AS group_median,
       (arg_min(lead_time, k) FILTER (WHERE side = 'rest')
        + arg_max(lead_time, k) FILTER (WHERE side = 'rest')) / 2 AS rest_median
FROM picked
GROUP BY attribute, value
