-- The alerts of log $log_name whose deliveries failed and that were neither delivered nor
-- dropped since: retried while the ticket still waits, dropped once it moved on.
SELECT ticket, rule, level, since, channel, recipient,
       arg_max(activity, attempted_at) AS activity, arg_max(threshold_s, attempted_at) AS threshold_s
FROM sent_alerts
WHERE log_name = $log_name
GROUP BY ticket, rule, level, since, channel, recipient
HAVING count(*) FILTER (WHERE outcome IN ('sent', 'dropped')) = 0
ORDER BY ticket, rule, level, channel, recipient
