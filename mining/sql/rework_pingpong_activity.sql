-- Activity ping-pong: three consecutive events A-B-A (A <> B) in a case. A pair {A, B} is counted
-- in both directions (A-B-A and B-A-B); `outer_lo` / `outer_hi` say how often each one was the
-- activity returned to. Every case of a variant has the same triples: counted per variant and
-- multiplied by its cases (sf_flow_variant_counts).
WITH triples AS (
    SELECT variant_no, n, variant[i] AS a, variant[i + 1] AS b, variant[i + 2] AS c
    FROM (
        SELECT variant_no, n, variant, unnest(range(1, len(variant) - 1)) AS i
        FROM sf_flow_variant_counts
    )
),
per_variant AS (
    SELECT variant_no, least(a, b) AS lo, greatest(a, b) AS hi,
           any_value(n) AS n,
           count(*) AS occurrences,
           count(*) FILTER (WHERE a < b) AS outer_lo,
           count(*) FILTER (WHERE a > b) AS outer_hi
    FROM triples
    WHERE a = c AND a <> b
    GROUP BY variant_no, lo, hi
)
SELECT lo, hi,
       sum(n * occurrences) AS occurrences,
       sum(n) AS cases,
       sum(n * outer_lo) AS outer_lo,
       sum(n * outer_hi) AS outer_hi
FROM per_variant
GROUP BY lo, hi
