-- Lead time of each case of the filtered log, longest first (ties by case id); at most
-- $limit rows (NULL: all).
SELECT case_id, n_events, start_ts, end_ts,
       (epoch_us(end_ts) - epoch_us(start_ts)) / 1e6 AS lead_time_s
FROM sf_flow_case_facts
ORDER BY lead_time_s DESC, case_id
LIMIT $limit
