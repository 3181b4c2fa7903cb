-- Cases whose activity sequence is exactly $activities (labels, mapped to the log's ids).
CREATE OR REPLACE TEMP TABLE sf_drill AS
WITH wanted AS (
    SELECT list(a.activity_id ORDER BY p.pos) AS ids, count(*) AS found
    FROM unnest($activities) WITH ORDINALITY AS p(name, pos)
    JOIN activities a ON a.log_id = $log_id AND a.name = p.name
)
SELECT c.case_no
FROM sf_cases c, wanted w
WHERE w.found = len($activities) AND c.variant = w.ids
