-- Events whose start timestamp lies after their completion timestamp (time travel).
SELECT count(*) AS affected,
       list({'row': source_row, 'case': case_id, 'activity': activity,
             'start_timestamp': start_ts::VARCHAR, 'timestamp': ts::VARCHAR}
            ORDER BY source_row)[1:5] AS examples
FROM sf_valid
WHERE start_ts > ts
