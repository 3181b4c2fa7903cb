-- Replace the touched cases' rows: stored attributes are kept and this load's fill in new keys.
CREATE OR REPLACE TEMP TABLE sf_case_rows AS
SELECT $log_id::INTEGER AS log_id,
       f.case_no,
       m.case_id,
       CASE WHEN old.attributes IS NULL THEN a.attributes
            WHEN a.attributes IS NULL THEN old.attributes
            ELSE json_merge_patch(a.attributes, old.attributes) END AS attributes,
       f.n_events, f.start_ts, f.end_ts, f.variant,
       coalesce(old.first_load_id, $load_id)::INTEGER AS first_load_id,
       $load_id::INTEGER AS last_load_id
FROM sf_case_facts f
JOIN sf_case_map m USING (case_no)
LEFT JOIN sf_case_attributes a USING (case_id)
LEFT JOIN cases old ON old.log_id = $log_id AND old.case_no = f.case_no;
DELETE FROM cases WHERE log_id = $log_id AND case_no IN (SELECT case_no FROM sf_touched);
INSERT INTO cases SELECT * FROM sf_case_rows ORDER BY case_no;
