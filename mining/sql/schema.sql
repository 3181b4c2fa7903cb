-- servflow storage schema (version 2). One DuckDB file holds any number of logs.
-- All timestamps are UTC, stored as naive TIMESTAMP. Labels are integer-coded per log so that
-- mining queries aggregate integers; `events` is kept in (log_id, case_no, seq) order and carries
-- each event's directly-follows successor, so a process map is a plain GROUP BY.

CREATE TABLE IF NOT EXISTS schema_info (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS logs (
    log_id     INTEGER PRIMARY KEY,
    name       VARCHAR NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

-- One row per successful load of one source file into one log.
CREATE TABLE IF NOT EXISTS loads (
    load_id                INTEGER PRIMARY KEY,
    log_id                 INTEGER NOT NULL,
    source_path            VARCHAR NOT NULL,
    source_sha256          VARCHAR NOT NULL,
    source_format          VARCHAR NOT NULL,
    source_bytes           BIGINT NOT NULL,
    loaded_at              TIMESTAMP NOT NULL,
    rows_read              BIGINT NOT NULL,
    rows_loaded            BIGINT NOT NULL,   -- rows that became valid events (new or already stored)
    rows_rejected          BIGINT NOT NULL,
    events_added           BIGINT NOT NULL,
    events_already_stored  BIGINT NOT NULL,
    cases_added            BIGINT NOT NULL,
    cases_touched          BIGINT NOT NULL,
    mapping                JSON NOT NULL,     -- which source column became which canonical column
    options                JSON NOT NULL,     -- timestamp format, timezone, pseudonymization ...
    max_severity           VARCHAR NOT NULL,  -- highest data-quality severity of this load
    duration_s             DOUBLE NOT NULL
);

-- Label dictionaries: integer ids per log.
CREATE TABLE IF NOT EXISTS activities (
    log_id      INTEGER NOT NULL,
    activity_id INTEGER NOT NULL,
    name        VARCHAR NOT NULL,
    PRIMARY KEY (log_id, activity_id)
);

CREATE TABLE IF NOT EXISTS resources (
    log_id      INTEGER NOT NULL,
    resource_id INTEGER NOT NULL,
    name        VARCHAR NOT NULL,
    PRIMARY KEY (log_id, resource_id)
);

-- Teams / resource groups (org:group, team, workgroup ...), for hand-overs between groups.
CREATE TABLE IF NOT EXISTS teams (
    log_id  INTEGER NOT NULL,
    team_id INTEGER NOT NULL,
    name    VARCHAR NOT NULL,
    PRIMARY KEY (log_id, team_id)
);

-- One row per case, with facts kept current at every load.
CREATE TABLE IF NOT EXISTS cases (
    log_id        INTEGER NOT NULL,
    case_no       INTEGER NOT NULL,   -- dense per-log number, used everywhere instead of case_id
    case_id       VARCHAR NOT NULL,   -- the source's id (or its keyed pseudonym)
    attributes    JSON,               -- case-level attributes (constant within the case)
    n_events      INTEGER NOT NULL,
    start_ts      TIMESTAMP NOT NULL, -- first event's timestamp
    end_ts        TIMESTAMP NOT NULL, -- last event's timestamp
    variant       INTEGER[] NOT NULL, -- activity ids in case order
    first_load_id INTEGER NOT NULL,
    last_load_id  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS events (
    log_id           INTEGER NOT NULL,
    case_no          INTEGER NOT NULL,
    seq              INTEGER NOT NULL,  -- 0-based position in the case: time order, ties in source order
    activity_id      INTEGER NOT NULL,
    ts               TIMESTAMP NOT NULL,  -- completion time (the log's main timestamp)
    start_ts         TIMESTAMP,           -- start time, where the log has one
    resource_id      INTEGER,
    team_id          INTEGER,
    lifecycle        VARCHAR,
    attributes       JSON,                -- every other event-level column
    load_id          INTEGER NOT NULL,
    source_row       BIGINT NOT NULL,     -- 1-based data row (event number for XES) in that load's file
    occurrence       INTEGER NOT NULL,    -- 1 + number of identical earlier events in its file (see load_coded_events.sql)
    next_activity_id INTEGER,             -- directly-follows successor within the case (NULL at the end)
    next_ts          TIMESTAMP,
    next_team_id     INTEGER,
    next_resource_id INTEGER,
    next_start_ts    TIMESTAMP            -- the successor's start timestamp, where it has one
);

-- Data-quality report of each load (Suriadi et al. 2017 imperfection patterns and rejected rows).
CREATE TABLE IF NOT EXISTS quality_findings (
    load_id  INTEGER NOT NULL,
    log_id   INTEGER NOT NULL,
    code     VARCHAR NOT NULL,   -- e.g. rejected_rows, form_based_capture, collateral_events
    pattern  VARCHAR NOT NULL,   -- the imperfection pattern's name
    severity VARCHAR NOT NULL,   -- info | warning | error
    affected BIGINT NOT NULL,    -- rows, events, cases or labels affected (see message)
    share    DOUBLE,             -- affected / population, where meaningful
    message  VARCHAR NOT NULL,
    examples JSON NOT NULL       -- first examples, with row numbers where they exist
);

CREATE TABLE IF NOT EXISTS rejected_rows (
    load_id    INTEGER NOT NULL,
    source_row BIGINT NOT NULL,
    reason     VARCHAR NOT NULL,
    raw        JSON              -- the row's mapped values as read
);

-- Optimization candidates of a mining run (optimization/candidates.py), one set per run_id.
CREATE TABLE IF NOT EXISTS candidate_sets (
    run_id     INTEGER PRIMARY KEY,   -- the mining run (mining_runs.run_id)
    log_name   VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    weights    JSON NOT NULL,         -- criterion weights used for the automation score
    options    JSON NOT NULL,         -- system resources, automated activities, attributes ...
    duration_s DOUBLE NOT NULL
);

CREATE TABLE IF NOT EXISTS automation_candidates (
    run_id                INTEGER NOT NULL,
    rank                  INTEGER NOT NULL,  -- 1 = best
    id                    VARCHAR NOT NULL,  -- A01, A02 ... within the run
    activity              VARCHAR NOT NULL,
    score                 DOUBLE NOT NULL,   -- weighted mean of the criterion scores (0..1)
    kind                  VARCHAR NOT NULL,  -- system_integration | time_limit_rule | self_service
    executions_per_month  DOUBLE NOT NULL,
    median_duration_s     DOUBLE,
    hours_saved_per_month DOUBLE NOT NULL,   -- NaN: unknown (no start times for the step)
    lead_time_change_s    DOUBLE NOT NULL,   -- mean change per case in the replay (negative = shorter)
    criteria              JSON NOT NULL,     -- [{name, value, unit, score, weight, definition}]
    rationale             VARCHAR NOT NULL,
    rule                  JSON,              -- the time-limit rule, for time_limit_rule
    change                JSON               -- what the what-if replays
);

CREATE TABLE IF NOT EXISTS restructuring_candidates (
    run_id             INTEGER NOT NULL,
    rank               INTEGER NOT NULL,
    id                 VARCHAR NOT NULL,     -- R01, R02 ... within the run
    kind               VARCHAR NOT NULL,     -- redesign heuristic (Reijers & Limam Mansar 2005)
    activities         VARCHAR[] NOT NULL,
    cases              BIGINT NOT NULL,      -- cases behind the candidate
    score              DOUBLE NOT NULL,      -- share of the mean lead time saved in the replay
    lead_time_change_s DOUBLE NOT NULL,
    evidence           JSON NOT NULL,        -- [{name, value, unit}]
    rationale          VARCHAR NOT NULL,
    case_ids           VARCHAR[] NOT NULL,   -- the first 1000 of those cases
    change             JSON
);

CREATE TABLE IF NOT EXISTS already_automated (
    run_id   INTEGER NOT NULL,
    rank     INTEGER NOT NULL,
    activity VARCHAR NOT NULL,
    reason   VARCHAR NOT NULL
);

-- Activities a process owner flagged as already automated: never proposed again for that log.
CREATE TABLE IF NOT EXISTS automation_flags (
    log_id     INTEGER NOT NULL,
    activity   VARCHAR NOT NULL,
    flagged_at TIMESTAMP NOT NULL,
    PRIMARY KEY (log_id, activity)
);

-- The support behind a run's automation ranking: executions and cases of every activity
-- proposed (with the volume confidence n / (n + 10) applied to its score) or too rare to judge
-- (below the minimum support: listed, not scored; confidence NULL).
CREATE TABLE IF NOT EXISTS automation_support (
    run_id     INTEGER NOT NULL,
    activity   VARCHAR NOT NULL,
    executions BIGINT NOT NULL,
    cases      BIGINT NOT NULL,
    confidence DOUBLE,
    too_rare   BOOLEAN NOT NULL,
    rank       INTEGER NOT NULL      -- order of the too-rare list (most executions first)
);

-- Logs whose ids are pseudonymized, and a fingerprint of the key (an HMAC of a fixed text under
-- the key: it tells keys apart and reveals nothing of the key). Every later load of such a log
-- must be pseudonymized with the same key; a raw log never takes a pseudonymized load.
CREATE TABLE IF NOT EXISTS log_pseudonymization (
    log_id          INTEGER PRIMARY KEY,
    key_fingerprint VARCHAR NOT NULL,
    first_load_id   INTEGER NOT NULL
);

-- Every delivery attempt of an alert (servflow.alerts): one row per ticket, rule, level, channel
-- and recipient and attempt. An alert counts as delivered only with outcome 'sent'; 'failed'
-- attempts are retried by the next run while the ticket still waits; 'dropped' marks a failed
-- alert whose ticket moved on before it could be delivered.
CREATE TABLE IF NOT EXISTS sent_alerts (
    log_name     VARCHAR NOT NULL,
    ticket       VARCHAR NOT NULL,   -- the log's case id
    rule         VARCHAR NOT NULL,   -- e.g. idle:派单至后台, idle:派单至后台|投诉, sla:投诉
    level        VARCHAR NOT NULL,   -- remind | escalate
    since        TIMESTAMP NOT NULL, -- start of the wait alerted (last event; first event for SLA)
    channel      VARCHAR NOT NULL,   -- email | webhook
    recipient    VARCHAR NOT NULL,   -- the configured recipient's name (never an address)
    activity     VARCHAR NOT NULL,   -- the ticket's last activity when alerted
    threshold_s  DOUBLE NOT NULL,    -- the rule level's time limit
    as_of        TIMESTAMP NOT NULL, -- the "now" the alert was computed for (log time, UTC)
    attempted_at TIMESTAMP NOT NULL, -- wall-clock time of the delivery attempt (UTC)
    outcome      VARCHAR NOT NULL,   -- sent | failed | dropped
    error        VARCHAR,            -- why a delivery failed
    run          VARCHAR NOT NULL    -- who attempted it (Airflow run id, or the caller's label)
);

-- Steps of a run's automation ranking whose evidence says judgement work (long, variable,
-- unpredictable, exception-laden or spread over many teams): listed, never proposed as a system
-- integration. `signals` names the criteria that decided it, `reason` states their values.
CREATE TABLE IF NOT EXISTS judgement_work (
    run_id     INTEGER NOT NULL,
    rank       INTEGER NOT NULL,     -- most executions first
    activity   VARCHAR NOT NULL,
    executions BIGINT NOT NULL,
    cases      BIGINT NOT NULL,
    signals    VARCHAR[] NOT NULL,
    reason     VARCHAR NOT NULL
);
