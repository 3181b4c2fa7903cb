-- Free the root-cause tables (rows per case and candidate) once every outcome is compared.
DROP TABLE IF EXISTS sf_rc_candidates;
DROP TABLE IF EXISTS sf_rc_population;
DROP TABLE IF EXISTS sf_rc_population_rows;
DROP TABLE IF EXISTS sf_rc_candidate_rows;
DROP TABLE IF EXISTS sf_rc_binned;
DROP TABLE IF EXISTS sf_rc_features;
DROP TABLE IF EXISTS sf_rc_outcome;
