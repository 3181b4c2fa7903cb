-- Cases in the selection, and how many of them repeat at least one activity.
SELECT (SELECT count(*) FROM sf_cases) AS cases,
       (SELECT count(DISTINCT case_no)
        FROM (SELECT case_no FROM sf_events GROUP BY case_no, activity_id HAVING count(*) > 1)
       ) AS cases_with_rework
