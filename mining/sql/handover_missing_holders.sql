-- Selected events that name no team ($level = 'team') or no resource: none means every
-- event's stored successor is its next holder.
SELECT count(*) FILTER (WHERE CASE WHEN $level = 'team' THEN team_id ELSE resource_id END IS NULL)
FROM sf_events
