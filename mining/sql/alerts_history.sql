-- Every recorded delivery attempt of log $log_name, newest first (at most $limit rows).
SELECT ticket, rule, level, since, channel, recipient, activity, threshold_s, as_of,
       attempted_at, outcome, error, run
FROM sent_alerts
WHERE log_name = $log_name
ORDER BY attempted_at DESC, ticket, rule, level, channel, recipient
LIMIT $limit
