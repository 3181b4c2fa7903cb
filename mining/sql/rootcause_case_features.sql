-- The candidate causes of each selected case: every case attribute with a value, and the teams
-- and resources that handled any of its events (named $team_feature / $resource_feature).
-- ($resource_feature NULL: resources are not candidates.)
-- One row per (attribute, value, case); a case can hold several values of the derived ones.
CREATE OR REPLACE TEMP TABLE sf_rc_features AS
SELECT DISTINCT j.key AS attribute, j.value ->> '$' AS value, c.case_no
FROM sf_cases c, json_each(c.attributes) j
WHERE j.value ->> '$' IS NOT NULL
UNION
SELECT DISTINCT $team_feature AS attribute, t.name AS value, e.case_no
FROM sf_events e
JOIN teams t ON t.log_id = $log_id AND t.team_id = e.team_id
UNION
SELECT DISTINCT $resource_feature AS attribute, r.name AS value, e.case_no
FROM sf_events e
JOIN resources r ON r.log_id = $log_id AND r.resource_id = e.resource_id
WHERE $resource_feature IS NOT NULL
