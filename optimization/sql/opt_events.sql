-- Every event of the run's cases, as numbers for the per-activity statistics and the what-if
-- replay: case number and position in the case (the caller puts them in case order: a scan
-- in stored order needs no sort), activity, completion and start time (epoch seconds; NaN
-- without a start), resource and team ids (-1: none). Reads sf_events (the run's filter).
SELECT case_no,
       seq,
       activity_id,
       epoch_us(ts) / 1e6 AS ts_s,
       coalesce(epoch_us(start_ts) / 1e6, 'NaN'::DOUBLE) AS start_s,
       coalesce(resource_id, -1) AS resource_id,
       coalesce(team_id, -1) AS team_id
FROM sf_events
