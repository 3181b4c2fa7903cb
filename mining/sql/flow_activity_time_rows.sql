-- The activity times of sf_activity_times (flow_activity_times.sql) with the activities' labels.
SELECT a.name AS activity,
       t.service_n,
       t.service_mean_s,
       t.service_median_s,
       t.waiting_n,
       t.waiting_mean_s,
       t.waiting_median_s
FROM sf_activity_times t
JOIN activities a ON a.log_id = $log_id AND a.activity_id = t.activity_id
