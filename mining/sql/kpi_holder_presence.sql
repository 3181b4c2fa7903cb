-- How many selected events carry a team and a resource, out of all: decides at which level
-- hand-overs between holders of a case can be seen at all, and whether every event has one.
SELECT count(team_id) AS with_team, count(resource_id) AS with_resource, count(*) AS events
FROM sf_events
