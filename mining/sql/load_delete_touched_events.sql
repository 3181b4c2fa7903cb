DELETE FROM events WHERE log_id = $log_id AND case_no IN (SELECT case_no FROM sf_touched)
