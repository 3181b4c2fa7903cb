-- Free the per-pair hand-over table once the ranked edges are read.
DROP TABLE IF EXISTS sf_handover_pairs;
