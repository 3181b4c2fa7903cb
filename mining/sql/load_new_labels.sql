-- Store the labels this log had not seen before (ids from load_label_maps.sql).
INSERT INTO activities SELECT $log_id, activity_id, name FROM sf_activity_map WHERE is_new ORDER BY activity_id;
INSERT INTO resources SELECT $log_id, resource_id, name FROM sf_resource_map WHERE is_new ORDER BY resource_id;
INSERT INTO teams SELECT $log_id, team_id, name FROM sf_team_map WHERE is_new ORDER BY team_id
