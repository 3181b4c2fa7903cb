-- Rework loops: for every repetition of an activity, the activities done in between since its
-- previous occurrence (empty for a self-loop A-A), grouped into loop shapes A [body] A.
-- Time of a loop = time since the previous occurrence. Bodies are activity ids in case order
-- (sliced from the case's variant); $max_body caps their length (longer bodies are grouped as
-- one shape per activity, body NULL).
-- Reads sf_rework_occurrences (rework_occurrences.sql). Parameters: $max_body, $top (rows kept).
WITH repetitions AS (
    SELECT o.case_no, o.activity_id,
           CASE WHEN o.seq - o.prev_seq - 1 <= $max_body
                -- lists are 1-based: events prev_seq+1 .. seq-1 sit at prev_seq+2 .. seq
                THEN v.variant[o.prev_seq + 2 : o.seq] END AS body,
           date_diff('microsecond', o.prev_ts, o.ts) AS loop_us
    FROM sf_rework_occurrences o
    JOIN sf_flow_cases c USING (case_no)
    JOIN sf_flow_variant_counts v USING (variant_no)
)
SELECT activity_id, body,
       count(*) AS occurrences,
       count(DISTINCT case_no) AS cases,
       -- integer microseconds summed: totals independent of the order of addition
       sum(loop_us) / 1e6 AS extra_time_s,
       median(loop_us / 1e6) AS median_s
FROM repetitions
GROUP BY activity_id, body
ORDER BY extra_time_s DESC, occurrences DESC, activity_id, body
LIMIT $top
