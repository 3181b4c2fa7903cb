-- Mining runs. Each run's results are stored in the tables `run_<section>` (one row per result
-- row, keyed by run_id); their columns are the fields of the typed result rows in mining/ and
-- are listed in docs/results-schema.md.
CREATE TABLE IF NOT EXISTS mining_runs (
    run_id       INTEGER PRIMARY KEY,
    log_id       INTEGER NOT NULL,
    log_name     VARCHAR NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    duration_s   DOUBLE NOT NULL,
    as_of        TIMESTAMP,          -- the "now" of break-point and SLA analysis (UTC)
    last_load_id INTEGER NOT NULL,   -- the data the run saw: every load up to this one
    cases        BIGINT NOT NULL,
    events       BIGINT NOT NULL,
    filter       JSON NOT NULL,      -- the LogFilter applied (empty object: whole log)
    options      JSON NOT NULL,      -- SLA targets, thresholds, reference model ...
    summary      JSON NOT NULL,      -- run-level figures of each section (scalars of the results)
    servflow_version VARCHAR NOT NULL
);
