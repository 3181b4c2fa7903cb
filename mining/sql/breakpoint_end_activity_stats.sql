-- Per activity: how often it occurs, and how often it is the last event of its case (from the
-- variants, sf_flow_activity_case_counts). End activities are learned from this: an activity
-- that mostly ends its case and rarely has a successor is where cases finish; one that mostly
-- has successors is where they drop out.
-- Parameters: $log_id.
SELECT c.activity_id, a.name,
       c.occurrences,
       c.ends AS last_occurrences
FROM sf_flow_activity_case_counts c
JOIN activities a ON a.log_id = $log_id AND a.activity_id = c.activity_id
ORDER BY a.name
