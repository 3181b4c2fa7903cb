-- Free sf_rework_occurrences (a row per event) once the rework figures are read.
DROP TABLE IF EXISTS sf_rework_occurrences;
