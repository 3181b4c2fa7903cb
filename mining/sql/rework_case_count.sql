-- Cases in the selection.
SELECT count(*) FROM sf_cases
