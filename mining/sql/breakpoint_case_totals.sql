-- Cases judged, ended at an end activity, stalled. Reads sf_case_status.
SELECT count(*), count(*) FILTER (WHERE ended), count(*) FILTER (WHERE stalled)
FROM sf_case_status
