-- The candidate causes of each selected case: every case attribute with a value (numbered
-- $key_codes, read through the matching quoted JSONPaths $paths in one pass over each
-- document), the event attributes of its first event ($event_paths, numbered $event_codes;
-- NULL: none), and the teams and resources that handled any of its events (numbered
-- $team_code / $resource_code; $resource_code NULL: resources are not candidates).
-- One row per (attribute number, value, case); a case can hold several values of the derived
-- ones. The caller keeps the attribute names; numbers keep the rows small.
CREATE OR REPLACE TEMP TABLE sf_rc_features AS
SELECT attribute, value, case_no
FROM (
    SELECT unnest($key_codes::SMALLINT[]) AS attribute,
           unnest(json_extract_string(attributes, $paths::VARCHAR[])) AS value,
           case_no
    FROM sf_cases
)
WHERE value IS NOT NULL
UNION ALL
SELECT attribute, value, case_no
FROM (
    SELECT unnest($event_codes::SMALLINT[]) AS attribute,
           unnest(json_extract_string(attributes, $event_paths::VARCHAR[])) AS value,
           case_no
    FROM sf_events
    WHERE seq = 0 AND $event_codes IS NOT NULL
)
WHERE value IS NOT NULL
UNION ALL
SELECT $team_code::SMALLINT AS attribute, t.name AS value, e.case_no
FROM (SELECT DISTINCT case_no, team_id FROM sf_events WHERE team_id IS NOT NULL) e
JOIN teams t ON t.log_id = $log_id AND t.team_id = e.team_id
UNION ALL
SELECT $resource_code::SMALLINT AS attribute, r.name AS value, e.case_no
FROM (SELECT DISTINCT case_no, resource_id FROM sf_events
      WHERE resource_id IS NOT NULL AND $resource_code IS NOT NULL) e
JOIN resources r ON r.log_id = $log_id AND r.resource_id = e.resource_id
