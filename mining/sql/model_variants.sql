-- Distinct variants of sf_model_case_variants with their case counts, numbered 0.. from the most
-- frequent; ties broken by the variant itself so the numbering does not depend on scan order.
CREATE OR REPLACE TEMP TABLE sf_model_variants AS
SELECT (row_number() OVER (ORDER BY count(*) DESC, variant) - 1)::INTEGER AS variant_no,
       variant,
       count(*) AS cases
FROM sf_model_case_variants
GROUP BY variant;
