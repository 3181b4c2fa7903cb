-- Distinct activity labels with their frequency, for label-quality checks.
SELECT activity, count(*) AS n FROM sf_valid GROUP BY activity ORDER BY activity
