-- The aligned variants' fitness: $variant_nos[i] has fitness $fitness[i].
CREATE OR REPLACE TEMP TABLE sf_variant_fitness AS
SELECT unnest($variant_nos::INTEGER[]) AS variant_no, unnest($fitness::DOUBLE[]) AS fitness;
