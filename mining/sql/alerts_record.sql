-- One delivery attempt of one alert (positional parameters in column order).
INSERT INTO sent_alerts (log_name, ticket, rule, level, since, channel, recipient, activity,
                         threshold_s, as_of, attempted_at, outcome, error, run)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
