-- Whether any selected event names a team ($level = 'team') or a resource ('resource').
SELECT EXISTS (
    SELECT 1 FROM sf_events
    WHERE (CASE WHEN $level = 'team' THEN team_id ELSE resource_id END) IS NOT NULL
)
