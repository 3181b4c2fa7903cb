-- One compact row per case of the filtered log that has events, kept for every section of a
-- run: its variant's number (sf_flow_variant_counts), size, first/last timestamps and lead time
-- (seconds), and the stored case's own first/last timestamps (differ under a projection).
CREATE OR REPLACE TEMP TABLE sf_flow_cases AS
SELECT f.case_no,
       v.variant_no,
       f.n_events,
       f.start_ts,
       f.end_ts,
       date_diff('microsecond', f.start_ts, f.end_ts) / 1e6 AS lead_s,
       f.case_start_ts,
       f.case_end_ts
FROM sf_flow_case_facts f
JOIN sf_flow_variant_counts v ON v.variant = f.variant
