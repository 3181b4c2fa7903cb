-- Per activity: how often it occurs, and how often it is the last event of its case. End
-- activities are learned from this: an activity that mostly ends its case and rarely has a
-- successor is where cases finish; one that mostly has successors is where they drop out.
-- Parameters: $log_id.
SELECT a.activity_id, a.name,
       count(*) AS occurrences,
       count(*) FILTER (WHERE e.next_activity_id IS NULL) AS last_occurrences
FROM sf_events e
JOIN activities a ON a.log_id = $log_id AND a.activity_id = e.activity_id
GROUP BY a.activity_id, a.name
ORDER BY a.name
