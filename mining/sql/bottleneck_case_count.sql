-- Cases of the filtered log (that have at least one event).
SELECT coalesce(sum(n), 0) FROM sf_flow_variant_counts
