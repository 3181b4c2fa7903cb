-- Free the per-level hand-over tables once the ranked edges are read (they hold a row per
-- hand-over; kept, they would crowd DuckDB's memory limit for the sections after).
DROP TABLE IF EXISTS sf_handovers;
DROP TABLE IF EXISTS sf_handover_pairs;
