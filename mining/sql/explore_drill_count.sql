-- How many cases of the filtered log are selected (sf_drill).
SELECT count(*) FROM sf_cases c SEMI JOIN sf_drill d ON d.case_no = c.case_no
