-- Rework loops: for every repetition of an activity, the activities done in between since its
-- previous occurrence (empty for a self-loop A-A), grouped into loop shapes A [body] A.
-- Time of a loop = time since the previous occurrence. Bodies are activity ids in case order;
-- $max_body caps their length (longer bodies are grouped as one shape per activity, body NULL).
-- Parameters: $max_body, $top (rows kept).
WITH traces AS (
    SELECT case_no, list(activity_id ORDER BY seq) AS trace FROM sf_events GROUP BY case_no
),
occurrences AS (
    SELECT case_no, activity_id, seq, ts,
           lag(seq) OVER same_activity AS prev_seq,
           lag(ts) OVER same_activity AS prev_ts
    FROM sf_events
    WINDOW same_activity AS (PARTITION BY case_no, activity_id ORDER BY seq)
),
repetitions AS (
    SELECT o.case_no, o.activity_id,
           CASE WHEN o.seq - o.prev_seq - 1 <= $max_body
                -- lists are 1-based: events prev_seq+1 .. seq-1 sit at prev_seq+2 .. seq
                THEN t.trace[o.prev_seq + 2 : o.seq] END AS body,
           date_diff('microsecond', o.prev_ts, o.ts) / 1e6 AS loop_s
    FROM occurrences o JOIN traces t USING (case_no)
    WHERE o.prev_seq IS NOT NULL
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
