-- Each selected case with its variant (activity ids in case order), as stored.
CREATE OR REPLACE TEMP TABLE sf_model_case_variants AS
SELECT case_no, variant FROM sf_cases;
