-- The compared (attribute, value, case) rows, the kept attributes ($kept) of sf_rc_features
-- and the binned ones of sf_rc_binned, counted per value and bucket of $bucket places in the
-- lead-time order of the attribute's cases, with every outcome at once: the cases with each
-- outcome known, the sums of the 0/1 flags, and the sum of the lead-time ranks. Ranks and
-- places are taken among all selected cases (sf_rc_outcomes), or for the attributes some cases
-- lack ($partial) among those that have it (sf_rc_partial). A case with no lead time falls in
-- no bucket (NULL). `lead_cases`: the cases with a lead time, a repeated row counted once.
CREATE OR REPLACE TEMP TABLE sf_rc_buckets AS
WITH outcomes AS (
    SELECT f.attribute, f.value, false AS repeated, o.lead_time, o.lead_rank, o.lead_pos,
           o.rework, o.stalled
    FROM sf_rc_features f
    JOIN sf_rc_outcomes o ON o.case_no = f.case_no
    WHERE list_contains($kept::SMALLINT[], f.attribute)
      AND NOT list_contains($partial::SMALLINT[], f.attribute)
    UNION ALL
    SELECT b.attribute, b.value, b.repeated, o.lead_time, o.lead_rank, o.lead_pos,
           o.rework, o.stalled
    FROM sf_rc_binned b
    JOIN sf_rc_outcomes o ON o.case_no = b.case_no
    WHERE NOT list_contains($partial::SMALLINT[], b.attribute)
    UNION ALL
    SELECT c.attribute, c.value, c.repeated, p.lead_time, p.lead_rank, p.lead_pos,
           p.rework, p.stalled
    FROM (
        SELECT attribute, value, case_no, false AS repeated FROM sf_rc_features
        WHERE list_contains($kept::SMALLINT[], attribute)
          AND list_contains($partial::SMALLINT[], attribute)
        UNION ALL
        SELECT attribute, value, case_no, repeated FROM sf_rc_binned
        WHERE list_contains($partial::SMALLINT[], attribute)
    ) c
    JOIN sf_rc_partial p ON p.attribute = c.attribute AND p.case_no = c.case_no
)
SELECT attribute, value, lead_pos // $bucket AS bucket,
       count(lead_time) AS lead_n,
       count(lead_time) FILTER (WHERE NOT repeated) AS lead_cases,
       sum(lead_rank) AS lead_rank_sum,
       count(rework) AS rework_n, sum(rework) AS rework_sum,
       count(stalled) AS stalled_n, sum(stalled) AS stalled_sum
FROM outcomes
GROUP BY attribute, value, bucket
