-- The alerts of log $log_name that were delivered (outcome 'sent') to some channel and recipient.
SELECT DISTINCT ticket, rule, level, since, channel, recipient
FROM sent_alerts
WHERE log_name = $log_name AND outcome = 'sent'
