-- The activities left out of the proposals because they are already automated, one list
-- element per row.
INSERT INTO already_automated (run_id, rank, activity, reason)
SELECT $run_id, unnest($rank::INTEGER[]), unnest($activity::VARCHAR[]), unnest($reason::VARCHAR[])
