-- The variants of sf_model_variants in rank order (most frequent first).
SELECT variant_no, variant, cases FROM sf_model_variants ORDER BY variant_no;
