-- Timestamps outside a plausible range (time travel): before $earliest or after $latest.
SELECT count(*) AS affected,
       list({'row': source_row, 'case': case_id, 'timestamp': ts::VARCHAR,
             'start_timestamp': start_ts::VARCHAR} ORDER BY source_row)[1:5] AS examples
FROM sf_valid
WHERE ts < $earliest OR ts > $latest OR start_ts < $earliest OR start_ts > $latest
