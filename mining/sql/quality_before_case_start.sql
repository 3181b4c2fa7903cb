-- Events dated before the first recorded event of their case (recorded out of time order).
WITH firsts AS (SELECT case_id, first_ts FROM sf_case_firsts)
SELECT count(*) AS affected,
       list({'row': v.source_row, 'case': v.case_id, 'activity': v.activity,
             'timestamp': v.ts::VARCHAR, 'case_first_recorded': f.first_ts::VARCHAR}
            ORDER BY v.source_row)[1:5] AS examples
FROM sf_valid v JOIN firsts f USING (case_id)
WHERE v.ts < f.first_ts
