-- Free the root-cause tables (rows per case and candidate) once every outcome is compared.
DROP TABLE IF EXISTS sf_rc_groups;
DROP TABLE IF EXISTS sf_rc_populations;
DROP TABLE IF EXISTS sf_rc_buckets;
DROP TABLE IF EXISTS sf_rc_partial;
DROP TABLE IF EXISTS sf_rc_binned;
DROP TABLE IF EXISTS sf_rc_features;
DROP TABLE IF EXISTS sf_rc_outcomes;
