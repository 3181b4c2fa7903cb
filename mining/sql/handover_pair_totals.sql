-- Size of the hand-over network in `sf_handover_pairs`: distinct pairs and hand-overs.
SELECT count(*) AS pairs, coalesce(sum(count), 0) AS handovers
FROM sf_handover_pairs
