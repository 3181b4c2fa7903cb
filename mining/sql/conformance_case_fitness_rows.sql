-- Per-case fitness from sf_case_fitness, least fitting first; $limit NULL for all.
SELECT case_id, variant_no, fitness
FROM sf_case_fitness
ORDER BY fitness ASC NULLS LAST, case_id
LIMIT $limit;
