-- Size of the hand-over network in `sf_handover_pairs`: distinct pairs and hand-overs, and how
-- many hand-overs the pairs ranked up to $top hold.
-- Parameters: $top.
SELECT count(*) AS pairs,
       coalesce(sum(count), 0) AS handovers,
       coalesce(sum(count) FILTER (WHERE pair_rank <= $top), 0) AS handovers_detailed
FROM sf_handover_pairs
