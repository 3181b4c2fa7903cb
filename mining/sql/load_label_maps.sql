-- Integer ids for this load's activity, resource and team labels: labels the log has stored keep
-- theirs, new ones continue the log's ids in order of first appearance in the file. Only temp
-- tables are written here (load_new_labels.sql stores the new labels).
CREATE OR REPLACE TEMP TABLE sf_activity_map AS
WITH labels AS (
    SELECT activity AS name, min(source_row) AS first_row FROM sf_valid GROUP BY activity
)
SELECT l.name,
       coalesce(s.activity_id,
                (SELECT coalesce(max(activity_id), 0) FROM activities WHERE log_id = $log_id)
                + row_number() OVER (PARTITION BY s.activity_id IS NULL ORDER BY l.first_row))::INTEGER
           AS activity_id,
       s.activity_id IS NULL AS is_new
FROM labels l LEFT JOIN activities s ON s.log_id = $log_id AND s.name = l.name;
CREATE OR REPLACE TEMP TABLE sf_resource_map AS
WITH labels AS (
    SELECT resource AS name, min(source_row) AS first_row
    FROM sf_valid WHERE resource IS NOT NULL GROUP BY resource
)
SELECT l.name,
       coalesce(s.resource_id,
                (SELECT coalesce(max(resource_id), 0) FROM resources WHERE log_id = $log_id)
                + row_number() OVER (PARTITION BY s.resource_id IS NULL ORDER BY l.first_row))::INTEGER
           AS resource_id,
       s.resource_id IS NULL AS is_new
FROM labels l LEFT JOIN resources s ON s.log_id = $log_id AND s.name = l.name;
CREATE OR REPLACE TEMP TABLE sf_team_map AS
WITH labels AS (
    SELECT team AS name, min(source_row) AS first_row
    FROM sf_valid WHERE team IS NOT NULL GROUP BY team
)
SELECT l.name,
       coalesce(s.team_id,
                (SELECT coalesce(max(team_id), 0) FROM teams WHERE log_id = $log_id)
                + row_number() OVER (PARTITION BY s.team_id IS NULL ORDER BY l.first_row))::INTEGER
           AS team_id,
       s.team_id IS NULL AS is_new
FROM labels l LEFT JOIN teams s ON s.log_id = $log_id AND s.name = l.name
