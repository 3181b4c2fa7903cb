-- Over sf_kpi_attribute: cases with a value, flagged cases, and the numeric values' count and
-- mean (values that do not read as numbers are not scores and are left out).
SELECT count(value) AS with_value,
       count(*) FILTER (WHERE flagged) AS flagged,
       count(TRY_CAST(value AS DOUBLE)) AS numeric_values,
       avg(TRY_CAST(value AS DOUBLE)) AS mean_value,
       median(TRY_CAST(value AS DOUBLE)) AS median_value
FROM sf_kpi_attribute
