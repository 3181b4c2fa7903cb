-- Copy one log of the attached database `sf_source` (opened read-only) into this database, so
-- a filtered export can be mined without writing to the source.
INSERT INTO logs SELECT * FROM sf_source.logs WHERE log_id = $log_id;
INSERT INTO loads SELECT * FROM sf_source.loads WHERE log_id = $log_id;
INSERT INTO activities SELECT * FROM sf_source.activities WHERE log_id = $log_id;
INSERT INTO resources SELECT * FROM sf_source.resources WHERE log_id = $log_id;
INSERT INTO teams SELECT * FROM sf_source.teams WHERE log_id = $log_id;
INSERT INTO cases SELECT * FROM sf_source.cases WHERE log_id = $log_id;
INSERT INTO events SELECT * FROM sf_source.events WHERE log_id = $log_id;
INSERT INTO quality_findings SELECT * FROM sf_source.quality_findings WHERE log_id = $log_id;
INSERT INTO rejected_rows
SELECT r.* FROM sf_source.rejected_rows r
SEMI JOIN sf_source.loads l ON r.load_id = l.load_id AND l.log_id = $log_id;
