-- How many selected events carry a team and a resource: decides at which level hand-overs
-- between holders of a case can be seen at all.
SELECT count(team_id) AS with_team, count(resource_id) AS with_resource FROM sf_events
