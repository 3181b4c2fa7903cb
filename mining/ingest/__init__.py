"""Loading event logs into the servflow database.

`ingest_file` reads one file (CSV, XES, Parquet, JSON lines), maps its columns, parses its
timestamps, checks its data quality and stores its new events, all in one transaction: a
failure leaves the database exactly as it was, loading the same file twice adds nothing, and a
later export that overlaps an earlier one adds only the events not stored yet.

>>> import tempfile, pathlib
>>> from mining import store
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "t.csv").write_text("case,activity,time\\n1,受理,2024-01-01 08:00\\n1,回访,2024-01-02 09:30\\n")
>>> with store.connect(folder / "db.duckdb") as con:
...     result = ingest_file(con, folder / "t.csv", IngestOptions(log_name="demo"))
>>> (result.events_added, result.cases_added)
(2, 1)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from mining import store
from mining.errors import InputError, QualityGateError, StorageError
from mining.ingest.columns import (
    DEFAULT_MISSING_VALUES,
    WIDE_COLUMNS,
    ColumnProfile,
    case_profile_sql,
    profile_columns,
    wide_attributes_sql,
    without_placeholders,
)
from mining.ingest.mapping import ColumnMapping, normalise, resolve_mapping
from mining.ingest.readers import SourceRead, detect_format, read_source
from mining.ingest.timestamps import TimestampPlan, plan_timestamp, quote_ident, quote_literal
from mining.quality import (
    QualityFinding,
    check_staged_events,
    max_severity,
    severity_at_least,
)

__all__ = ["PSEUDONYM_KEY_ENV", "IngestOptions", "LoadResult", "ingest_file"]

PSEUDONYM_KEY_ENV = "SERVFLOW_PSEUDONYM_KEY"
REJECTED_ROWS_KEPT = 1000
# Column names that hold customer identities, pseudonymized with case and resource ids.
CUSTOMER_COLUMNS = (
    "customer",
    "customerid",
    "customerno",
    "customernumber",
    "client",
    "clientid",
    "msisdn",
    "phone",
    "phonenumber",
    "mobile",
    "account",
    "accountid",
    "subscriber",
    "subscriberid",
    "客户",
    "客户id",
    "客户号",
    "客户编号",
    "用户",
    "用户号码",
    "手机号",
    "手机号码",
    "电话",
    "号码",
)

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """How to read a file. Column options name source columns; None means auto-detect,
    an empty string means "the log has no such column"."""

    log_name: str | None = None
    case: str | None = None
    activity: str | None = None
    timestamp: str | None = None
    resource: str | None = None
    team: str | None = None
    start_timestamp: str | None = None
    lifecycle: str | None = None
    timestamp_format: str | None = None
    timezone: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    format: str | None = None
    pseudonymize: bool = False
    pseudonymize_columns: tuple[str, ...] = ()
    fail_on: str | None = "error"  # "error", "warning", or None to never fail on quality
    # values that mean "missing" in resource, team and attribute columns (never in case ids)
    missing_values: tuple[str, ...] = DEFAULT_MISSING_VALUES
    max_xes_bytes: int | None = None

    def explicit_mapping(self) -> dict[str, str | None]:
        return {
            role: getattr(self, role)
            for role in (
                "case",
                "activity",
                "timestamp",
                "start_timestamp",
                "resource",
                "team",
                "lifecycle",
            )
            if getattr(self, role) is not None
        }


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one load did. `already_loaded` is True when the file had been loaded before."""

    load_id: int | None
    log_name: str
    source_path: str
    source_sha256: str
    source_format: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    events_added: int
    events_already_stored: int
    cases_added: int
    cases_touched: int
    already_loaded: bool
    max_severity: str
    mapping: dict[str, str | None] = field(default_factory=dict)
    findings: tuple[QualityFinding, ...] = ()
    rejected_examples: tuple[dict[str, Any], ...] = ()
    duration_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["findings"] = [f.as_dict() for f in self.findings]
        data["rejected_examples"] = list(self.rejected_examples)
        return data


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike[str],
    options: IngestOptions | None = None,
    *,
    progress: Progress | None = None,
) -> LoadResult:
    """Load one file into the log `options.log_name` (default: the file's stem).

    Raises `InputError` (with a message naming the file, column or row) for unusable input and
    `QualityGateError` when the data-quality findings reach `options.fail_on`; in both cases
    nothing is stored.
    """
    options = options or IngestOptions()
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    source = Path(path)
    _check_readable(source)
    log_name = options.log_name or _default_log_name(source)
    digest = _sha256(source)
    previous = store.one(
        con,
        "SELECT l.load_id, l.rows_read FROM loads l JOIN logs g USING (log_id) "
        "WHERE g.name = ? AND l.source_sha256 = ? ORDER BY l.load_id LIMIT 1",
        [log_name, digest],
    )
    if previous is not None:
        return _already_loaded(log_name, source, digest, int(previous[1]), started)
    fingerprint = _check_pseudonymization(con, log_name, source, options)

    try:
        fmt = options.format or detect_format(source)
        say(f"reading {source} as {fmt}")
        read = read_source(
            con,
            source,
            fmt,
            delimiter=options.delimiter,
            encoding=options.encoding,
            max_xes_bytes=options.max_xes_bytes,
        )
        if read.rows == 0 and not read.malformed:
            raise InputError(f"{source}: the file has no events (no data rows after the header).")
        label = str(source)
        mapping = resolve_mapping(read.columns, options.explicit_mapping(), label)
        say(f"parsing timestamps of {read.rows:,} rows")
        ts_plan = plan_timestamp(
            con,
            "sf_raw",
            mapping.timestamp,
            source=label,
            fmt=options.timestamp_format,
            timezone=options.timezone,
        )
        start_plan = None
        if mapping.start_timestamp:
            start_plan = plan_timestamp(
                con,
                "sf_raw",
                mapping.start_timestamp,
                source=label,
                fmt=options.timestamp_format,
                timezone=options.timezone,
            )
        profile = _split_attributes(
            con, read, mapping, _stored_event_attributes(con, log_name), options.missing_values
        )
        case_columns, event_columns = list(profile.case_columns), list(profile.event_columns)
        _stage(con, mapping, ts_plan, start_plan, profile, options.missing_values)
        if options.pseudonymize:
            # before anything is copied out of the staged rows, rejected ones included
            say("pseudonymizing ids")
            _pseudonymize(con, mapping, _customer_columns(case_columns, event_columns, options))
        rejected, reject_examples = _rejections(con, read, mapping, ts_plan)
        if read.rows and rejected >= read.rows + len(read.malformed):
            raise InputError(
                f"{source}: none of the {read.rows + len(read.malformed)} rows can be used. "
                f"First problem: {_describe(reject_examples[0]) if reject_examples else 'unknown'}."
            )
        say("checking data quality")
        findings = check_staged_events(
            con,
            rows_read=read.rows + len(read.malformed),
            rejected=rejected,
            reject_examples=reject_examples,
            notes=read.notes,
            has_start=start_plan is not None,
            placeholders=profile.placeholders,
            type_notes=read.type_notes,
        )
        worst = max_severity(findings)
        if options.fail_on and worst != "none" and severity_at_least(worst, options.fail_on):
            raise QualityGateError(
                _gate_message(source, findings, options.fail_on, reject_examples),
                findings,
                tuple(reject_examples),
            )
        say("storing events")
        details = {
            "format": fmt,
            "encoding": read.encoding,
            "delimiter": read.delimiter,
            "timestamp_layout": ts_plan.layout,
            "start_timestamp_layout": start_plan.layout if start_plan else None,
            "timezone": ts_plan.timezone,
            "pseudonymized": options.pseudonymize,
            "case_attributes": case_columns,
            "event_attributes": event_columns,
        }
        result = _store(
            con,
            log_name,
            source,
            digest,
            fmt,
            read,
            mapping,
            details,
            rejected,
            reject_examples,
            findings,
            started,
            fingerprint,
        )
    except duckdb.Error as exc:
        raise StorageError(f"{source}: loading failed inside the database: {exc}") from exc
    finally:
        _drop_temp(con)
    return result


# --- steps ---------------------------------------------------------------------------------


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise InputError(
            f"{path}: no such file. Check the path (relative paths start at {Path.cwd()})."
        )
    if path.is_dir():
        raise InputError(f"{path}: is a folder; name the log files inside it.")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: the file cannot be read (permission denied).")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty.")


def _default_log_name(path: Path) -> str:
    name = path.name
    for suffix in (
        ".gz",
        ".xes",
        ".csv",
        ".tsv",
        ".txt",
        ".parquet",
        ".pq",
        ".jsonl",
        ".ndjson",
        ".json",
    ):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or path.name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _already_loaded(
    log_name: str, source: Path, digest: str, rows: int, started: float
) -> LoadResult:
    return LoadResult(
        load_id=None,
        log_name=log_name,
        source_path=str(source),
        source_sha256=digest,
        source_format="",
        rows_read=rows,
        rows_loaded=0,
        rows_rejected=0,
        events_added=0,
        events_already_stored=0,
        cases_added=0,
        cases_touched=0,
        already_loaded=True,
        max_severity="none",
        duration_s=time.perf_counter() - started,
    )


def _stored_event_attributes(con: duckdb.DuckDBPyConnection, log_name: str) -> set[str]:
    rows = con.execute(
        "SELECT l.options FROM loads l JOIN logs g USING (log_id) WHERE g.name = ?", [log_name]
    ).fetchall()
    return {c for (options,) in rows for c in json.loads(options).get("event_attributes", [])}


def _split_attributes(
    con: duckdb.DuckDBPyConnection,
    read: SourceRead,
    mapping: ColumnMapping,
    known_event_columns: set[str],
    missing_values: tuple[str, ...],
) -> ColumnProfile:
    """Case attributes: declared case-level (XES trace attributes), or constant and present on
    every event of each case. Every other unmapped column is an event attribute, and so is a
    column that an earlier load of the log found to vary within a case. Placeholder values
    count as missing (see `mining.ingest.columns`)."""
    others = [c for c in read.columns if c not in mapping.mapped_columns]
    roles = [c for c in (mapping.resource, mapping.team) if c is not None]
    profile = profile_columns(
        con, mapping.case, others, roles, missing_values, split=read.format != "xes"
    )
    if read.format == "xes":
        case_cols = [c for c in others if c in read.case_attribute_columns]
    else:
        case_cols = [c for c in profile.case_columns if c not in known_event_columns]
    return ColumnProfile(
        tuple(case_cols),
        tuple(c for c in others if c not in case_cols),
        profile.placeholders,
        profile.profiled,
    )


def _attribute_key(column: str) -> str:
    return column[len("case:") :] if column.startswith("case:") else column


def _json_object(
    columns: list[str] | tuple[str, ...],
    dirty: set[str] | None = None,
    missing: tuple[str, ...] = (),
) -> str:
    if not columns:
        return "NULL::JSON"
    parts = ", ".join(
        f"{quote_literal(_attribute_key(c))}, "
        f"{without_placeholders(c, missing if dirty and c in dirty else ())}"
        for c in columns
    )
    return f"json_object({parts})"


def _text(column: str | None, missing: tuple[str, ...] = ()) -> str:
    if column is None:
        return "NULL::VARCHAR"
    return f"NULLIF(trim(CAST({without_placeholders(column, missing)} AS VARCHAR)), '')"


def _stage(
    con: duckdb.DuckDBPyConnection,
    mapping: ColumnMapping,
    ts_plan: TimestampPlan,
    start_plan: TimestampPlan | None,
    profile: ColumnProfile,
    missing: tuple[str, ...],
) -> None:
    # placeholders are cleaned only where the profile found some: an expression per column of
    # a wide file costs far more than the plain column
    dirty = {column for column, _, _ in profile.placeholders}

    def clean(column: str | None) -> tuple[str, ...]:
        return missing if column in dirty else ()

    event_columns, case_columns = profile.event_columns, profile.case_columns
    wide_events = len(event_columns) > WIDE_COLUMNS
    if wide_events:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE sf_wide_attributes AS "
            + wide_attributes_sql(con, "__row", event_columns, missing, per_key=False)
        )
    attributes = "__sf_attributes" if wide_events else _json_object(event_columns, dirty, missing)
    # The raw timestamp text is kept only on rows that will be rejected (for their reason):
    # casting every typed timestamp back to text would cost a pass over the column.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE sf_stage AS
        SELECT * EXCLUDE (__ts_source),
               CASE WHEN case_id IS NULL OR activity IS NULL OR ts IS NULL
                    THEN CAST(__ts_source AS VARCHAR) END AS ts_raw
        FROM (
        SELECT sf_raw.__row AS source_row,
               {_text(mapping.case)} AS case_id,
               {_text(mapping.activity)} AS activity,
               ({ts_plan.expression})::TIMESTAMP AS ts,
               {f"({start_plan.expression})::TIMESTAMP" if start_plan else "NULL::TIMESTAMP"}
                   AS start_ts,
               {_text(mapping.resource, clean(mapping.resource))} AS resource,
               {_text(mapping.team, clean(mapping.team))} AS team,
               {_text(mapping.lifecycle)} AS lifecycle,
               {attributes} AS attributes,
               {quote_ident(mapping.timestamp)} AS __ts_source
        FROM sf_raw
        {"LEFT JOIN sf_wide_attributes ON __sf_key = sf_raw.__row" if wide_events else ""}
        )
        """
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW sf_valid AS "
        "SELECT * EXCLUDE (ts_raw) FROM sf_stage "
        "WHERE case_id IS NOT NULL AND activity IS NOT NULL AND ts IS NOT NULL"
    )
    # Case attributes are constant within a case: build one JSON object per case, not per row.
    if len(case_columns) > WIDE_COLUMNS:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE sf_case_attributes AS "
            "SELECT __sf_key AS case_id, __sf_attributes AS attributes FROM ("
            + wide_attributes_sql(con, _text(mapping.case), case_columns, missing, per_key=True)
            + ") WHERE __sf_key IS NOT NULL"
        )
        return
    if profile.profiled:
        # the profile grouped the rows by case already: its table has each case's values
        values = case_profile_sql(profile.profiled, case_columns)
    else:
        firsts = [
            f"any_value({without_placeholders(c, clean(c))}) AS {quote_ident(c)}"
            for c in case_columns
        ]
        values = (
            f"SELECT {_text(mapping.case)} AS case_id{''.join(', ' + f for f in firsts)} "
            "FROM sf_raw GROUP BY 1"
        )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE sf_case_attributes AS
        SELECT case_id, {_json_object(case_columns)} AS attributes
        FROM ({values})
        WHERE case_id IS NOT NULL
        """
    )
    _drop(con, "sf_case_profile")


def _rejections(
    con: duckdb.DuckDBPyConnection, read: SourceRead, mapping: ColumnMapping, ts_plan: TimestampPlan
) -> tuple[int, list[dict[str, Any]]]:
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE sf_rejected AS
        SELECT source_row,
               CASE WHEN case_id IS NULL THEN 'missing case id in column ' || {quote_literal(mapping.case)}
                    WHEN activity IS NULL THEN 'missing activity in column ' || {quote_literal(mapping.activity)}
                    WHEN ts_raw IS NULL OR trim(ts_raw) = ''
                        THEN 'missing timestamp in column ' || {quote_literal(mapping.timestamp)}
                    ELSE 'unreadable timestamp ' || {quote_literal("'")} || ts_raw || {quote_literal("'")}
                         || ' in column ' || {quote_literal(mapping.timestamp)}
                         || ' (read as ' || {quote_literal(ts_plan.layout)} || ')'
               END AS reason,
               json_object('case', case_id, 'activity', activity, 'timestamp', ts_raw) AS raw
        FROM sf_stage
        WHERE case_id IS NULL OR activity IS NULL OR ts IS NULL
        """
    )
    for line, reason in read.malformed:
        con.execute(
            "INSERT INTO sf_rejected VALUES (?, ?, NULL)",
            [line, f"malformed record at line {line}: {reason}"],
        )
    count_row = store.one(con, "SELECT count(*) FROM sf_rejected")
    count = int(count_row[0]) if count_row else 0
    examples = [
        {"row": int(r), "reason": str(reason)}
        for r, reason in con.execute(
            "SELECT source_row, reason FROM sf_rejected ORDER BY source_row LIMIT 5"
        ).fetchall()
    ]
    return count, examples


def _describe(example: dict[str, Any]) -> str:
    return f"row {example['row']}: {example['reason']}"


def _customer_columns(
    case_columns: list[str], event_columns: list[str], options: IngestOptions
) -> list[str]:
    wanted = set(options.pseudonymize_columns)
    found = [
        c
        for c in case_columns + event_columns
        if c in wanted or normalise(_attribute_key(c)) in CUSTOMER_COLUMNS
    ]
    missing = wanted - set(case_columns + event_columns)
    if missing:
        raise InputError(
            f"no column {sorted(missing)[0]!r} to pseudonymize among the attribute columns "
            f"({', '.join(case_columns + event_columns) or 'none'})."
        )
    return found


def _pseudonymize(
    con: duckdb.DuckDBPyConnection, mapping: ColumnMapping, attribute_columns: list[str]
) -> None:
    """Replace case ids, resources and customer attributes by keyed HMAC pseudonyms.

    The key comes from the environment, so the same id gets the same pseudonym in every load
    and nobody without the key can reverse or recompute it.
    """
    secret = _pseudonym_key()

    def pseudonym(values: list[str | None]) -> list[str | None]:
        return [
            None
            if v is None
            else "p" + hmac.new(secret, v.encode("utf-8"), "sha256").hexdigest()[:20]
            for v in values
        ]

    def mapped(expr: str, table: str) -> None:
        values = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT {expr} FROM {table} WHERE {expr} IS NOT NULL"
            ).fetchall()
        ]
        import pyarrow as pa

        con.register(
            "sf_pseudonyms_arrow",
            pa.table(
                {
                    "value": pa.array(values, pa.string()),
                    "pseudonym": pa.array(pseudonym(values), pa.string()),
                }
            ),
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE sf_pseudonyms AS SELECT * FROM sf_pseudonyms_arrow"
        )
        con.unregister("sf_pseudonyms_arrow")

    for column in ("case_id", "resource"):
        mapped(column, "sf_stage")
        con.execute(
            f"UPDATE sf_stage SET {column} = p.pseudonym FROM sf_pseudonyms p WHERE sf_stage.{column} = p.value"
        )
        if column == "case_id":
            con.execute(
                "UPDATE sf_case_attributes SET case_id = p.pseudonym FROM sf_pseudonyms p "
                "WHERE sf_case_attributes.case_id = p.value"
            )
    for column in attribute_columns:
        key_name = quote_literal("$." + json.dumps(_attribute_key(column)))
        for table in ("sf_stage", "sf_case_attributes"):
            expr = f"(attributes ->> {key_name})"
            mapped(expr, table)
            con.execute(
                f"UPDATE {table} SET attributes = json_merge_patch(attributes, "
                f"json_object({quote_literal(_attribute_key(column))}, p.pseudonym)) "
                f"FROM sf_pseudonyms p WHERE {expr} = p.value"
            )


def _pseudonym_key() -> bytes:
    key = os.environ.get(PSEUDONYM_KEY_ENV, "")
    if len(key) < 16:
        raise InputError(
            f"pseudonymization needs a secret key of at least 16 characters in the environment "
            f"variable {PSEUDONYM_KEY_ENV}; keep the same key for every load of a log."
        )
    return key.encode("utf-8")


def _key_fingerprint(secret: bytes) -> str:
    return hmac.new(secret, b"servflow pseudonymization key fingerprint", "sha256").hexdigest()[:16]


def _check_pseudonymization(
    con: duckdb.DuckDBPyConnection, log_name: str, source: Path, options: IngestOptions
) -> str | None:
    """A pseudonymized log takes only loads pseudonymized with its key, and a log of raw ids
    takes no pseudonymized load: either would store raw ids beside pseudonyms, or two
    pseudonyms for one id, as different cases. Returns the fingerprint of this load's key."""
    fingerprint = _key_fingerprint(_pseudonym_key()) if options.pseudonymize else None
    row = store.one(
        con,
        "SELECT p.key_fingerprint, (SELECT count(*) FROM loads l WHERE l.log_id = g.log_id), "
        "(SELECT bool_or(l.options ->> '$.pseudonymized' = 'true') FROM loads l "
        " WHERE l.log_id = g.log_id) "
        "FROM logs g LEFT JOIN log_pseudonymization p USING (log_id) WHERE g.name = ?",
        [log_name],
    )
    if row is None or (row[0] is None and not row[1]):
        return fingerprint
    stored, loads, earlier_pseudonymized = row
    if stored is None and earlier_pseudonymized:
        # stored before fingerprints were kept: the first fingerprinted load records its key
        stored = fingerprint if fingerprint is not None else "unknown"
    if stored is not None and fingerprint is None:
        raise InputError(
            f"{source}: not loaded: log {log_name!r} is pseudonymized (key fingerprint "
            f"{stored}) and this load is not; it would store raw ids beside their pseudonyms. "
            f"Load it with --pseudonymize and the log's key in {PSEUDONYM_KEY_ENV}."
        )
    if stored is not None and fingerprint != stored:
        raise InputError(
            f"{source}: not loaded: log {log_name!r} was pseudonymized with another key "
            f"(fingerprint {stored}, this key's is {fingerprint}); the same ids would become "
            f"different cases. Set {PSEUDONYM_KEY_ENV} to the log's key, or load into a new log "
            "with --log."
        )
    if stored is None and fingerprint is not None:
        raise InputError(
            f"{source}: not loaded: log {log_name!r} holds raw ids from {loads} earlier load(s); "
            "pseudonymizing this load would store pseudonyms beside raw ids. Load it into a new "
            "log with --log, or load it without --pseudonymize."
        )
    return fingerprint


def _gate_message(
    source: Path,
    findings: tuple[QualityFinding, ...],
    threshold: str,
    reject_examples: list[dict[str, Any]],
) -> str:
    failing = [f for f in findings if severity_at_least(f.severity, threshold)]
    listed = "; ".join(f"{f.severity}: {f.message}" for f in failing[:3])
    rows = ""
    if reject_examples and any(f.code == "rejected_rows" for f in failing):
        rows = " First rejected rows: " + "; ".join(_describe(e) for e in reject_examples[:5]) + "."
    return (
        f"{source}: not loaded, the data-quality gate stops at '{threshold}': {listed}{rows} "
        "Fix the file, or relax the gate with --fail-on (warning, error, never)."
    )


def _store(
    con: duckdb.DuckDBPyConnection,
    log_name: str,
    source: Path,
    digest: str,
    fmt: str,
    read: SourceRead,
    mapping: ColumnMapping,
    details: dict[str, Any],
    rejected: int,
    reject_examples: list[dict[str, Any]],
    findings: tuple[QualityFinding, ...],
    started: float,
    fingerprint: str | None,
) -> LoadResult:
    known = store.one(
        con,
        "SELECT g.log_id, EXISTS (SELECT 1 FROM events e WHERE e.log_id = g.log_id) "
        "FROM logs g WHERE g.name = ?",
        [log_name],
    )
    # 0 for a new log: no stored labels, cases or events to match
    known_log = int(known[0]) if known else 0
    fresh = not (known and known[1])
    load_row = store.one(con, "SELECT coalesce(max(load_id), 0) + 1 FROM loads")
    load_id = int(load_row[0]) if load_row else 1
    # The events are coded into temp tables before the transaction (a database file has one
    # writer, so the ids cannot be taken meanwhile): the staged rows are then dropped for good,
    # where a drop inside the transaction would keep their memory until the commit, and the
    # sort of the events gets it instead of spilling to disk.
    for name in (
        "load_label_maps",
        "load_case_numbers",
        "load_coded_events",
        *(("load_fresh_events",) if fresh else ("load_new_events", "load_touched_cases")),
    ):
        store.run_sql(con, name, log_id=known_log, load_id=load_id)
    _drop(con, "sf_valid", "sf_stage", "sf_repeats", "sf_same_time", "sf_case_firsts")
    counts = store.one(
        con,
        "SELECT (SELECT count(*) FROM sf_coded), (SELECT count(*) FROM sf_new_events), "
        "(SELECT count(*) FROM sf_touched), "
        "(SELECT count(*) FROM sf_case_map WHERE is_new)",
    )
    assert counts is not None
    valid, added, touched, new_cases = (int(x) for x in counts)
    with store.transaction(con):
        con.execute(
            "INSERT INTO logs SELECT (SELECT coalesce(max(log_id), 0) + 1 FROM logs), ?, "
            "now()::TIMESTAMP WHERE NOT EXISTS (SELECT 1 FROM logs WHERE name = ?)",
            [log_name, log_name],
        )
        log_id = store.log_id_for(con, log_name)
        if fingerprint is not None:
            con.execute(
                "INSERT INTO log_pseudonymization SELECT ?, ?, ? WHERE NOT EXISTS "
                "(SELECT 1 FROM log_pseudonymization WHERE log_id = ?)",
                [log_id, fingerprint, load_id, log_id],
            )
        store.run_sql(con, "load_new_labels", log_id=log_id)
        if added:
            for name in (
                *(() if fresh else ("load_merge_events", "load_delete_touched_events")),
                "load_write_events",
                *(
                    ("load_write_cases_fresh",)
                    if fresh
                    else ("load_case_facts", "load_write_cases")
                ),
            ):
                store.run_sql(con, name, log_id=log_id, load_id=load_id)
        duration = time.perf_counter() - started
        worst = max_severity(findings)
        con.execute(
            "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                load_id,
                log_id,
                str(source.resolve()),
                digest,
                fmt,
                source.stat().st_size,
                read.rows + len(read.malformed),
                valid,
                rejected,
                added,
                valid - added,
                new_cases if added else 0,
                touched,
                json.dumps(mapping.as_dict(), ensure_ascii=False),
                json.dumps(details, ensure_ascii=False),
                worst,
                duration,
            ],
        )
        for f in findings:
            con.execute(
                "INSERT INTO quality_findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    load_id,
                    log_id,
                    f.code,
                    f.pattern,
                    f.severity,
                    f.affected,
                    f.share,
                    f.message,
                    json.dumps(list(f.examples), ensure_ascii=False, default=str),
                ],
            )
        con.execute(
            f"INSERT INTO rejected_rows SELECT ?, source_row, reason, raw FROM sf_rejected "
            f"ORDER BY source_row LIMIT {REJECTED_ROWS_KEPT}",
            [load_id],
        )
    return LoadResult(
        load_id=load_id,
        log_name=log_name,
        source_path=str(source),
        source_sha256=digest,
        source_format=fmt,
        rows_read=read.rows + len(read.malformed),
        rows_loaded=valid,
        rows_rejected=rejected,
        events_added=added,
        events_already_stored=valid - added,
        cases_added=new_cases if added else 0,
        cases_touched=touched,
        already_loaded=False,
        max_severity=worst,
        mapping=mapping.as_dict(),
        findings=findings,
        rejected_examples=tuple(reject_examples),
        duration_s=duration,
    )


def _drop(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Drop the named temp views and tables (views first: they may read the tables)."""
    kinds = dict(
        con.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_catalog = 'temp' AND table_name IN (SELECT unnest(?::VARCHAR[]))",
            [list(names)],
        ).fetchall()
    )
    for name in names:
        if name in kinds:
            keyword = "VIEW" if "VIEW" in str(kinds[name]).upper() else "TABLE"
            con.execute(f"DROP {keyword} temp.main.{quote_ident(name)}")


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_catalog = 'temp' AND table_name LIKE 'sf\\_%' ESCAPE '\\'"
    ).fetchall()
    for name, kind in rows:
        if name in ("sf_cases", "sf_events", "sf_selected", "sf_kept_activities"):
            continue  # filter views belong to the mining layer
        keyword = "VIEW" if "VIEW" in str(kind).upper() else "TABLE"
        con.execute(f"DROP {keyword} IF EXISTS temp.main.{quote_ident(name)}")
