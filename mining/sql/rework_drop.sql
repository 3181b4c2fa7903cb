-- Free the rework tables once the rework figures are read.
DROP TABLE IF EXISTS sf_rework_occurrences;
DROP TABLE IF EXISTS sf_rework_variant_activities;
