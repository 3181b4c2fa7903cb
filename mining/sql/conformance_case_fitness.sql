-- Each selected case with its variant's alignment fitness (NULL where the variant was left out
-- of the alignment). Reads sf_model_case_variants / sf_model_variants (see model_variants.sql)
-- and sf_variant_fitness (variant_no, fitness), written from the alignments.
CREATE OR REPLACE TEMP TABLE sf_case_fitness AS
SELECT c.case_no, c.case_id, v.variant_no, f.fitness
FROM sf_model_case_variants cv
JOIN sf_model_variants v ON v.variant = cv.variant
JOIN sf_cases c ON c.case_no = cv.case_no
LEFT JOIN sf_variant_fitness f ON f.variant_no = v.variant_no;
