-- Rework loops: for every repetition of an activity, the activities done in between since its
-- previous occurrence (empty for a self-loop A-A), grouped into loop shapes A [body] A.
-- Time of a loop = time since the previous occurrence. Bodies are activity ids in case order;
-- $max_body caps their length (longer bodies are grouped as one shape per activity, body NULL).
-- Reads sf_rework_occurrences (rework_occurrences.sql). Parameters: $max_body, $top (rows kept).
WITH occurrences AS (
    SELECT * FROM sf_rework_occurrences WHERE prev_seq IS NOT NULL
),
traces AS (
    -- only the cases with a repetition need their trace
    SELECT case_no, list(activity_id ORDER BY seq) AS trace
    FROM sf_events
    WHERE case_no IN (SELECT case_no FROM occurrences)
    GROUP BY case_no
),
repetitions AS (
    SELECT o.case_no, o.activity_id,
           CASE WHEN o.seq - o.prev_seq - 1 <= $max_body
                -- lists are 1-based: events prev_seq+1 .. seq-1 sit at prev_seq+2 .. seq
                THEN t.trace[o.prev_seq + 2 : o.seq] END AS body,
           date_diff('microsecond', o.prev_ts, o.ts) / 1e6 AS loop_s
    FROM occurrences o JOIN traces t USING (case_no)
)
SELECT activity_id, body,
       count(*) AS occurrences,
       count(DISTINCT case_no) AS cases,
       sum(loop_s) AS extra_time_s,
       median(loop_s) AS median_s
FROM repetitions
GROUP BY activity_id, body
ORDER BY extra_time_s DESC, occurrences DESC, activity_id, body
LIMIT $top
