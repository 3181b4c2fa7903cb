"""The ingest inbox: where exports land, which of them a run loads, and what became of each.

A data interval loads every file that is in the inbox folder (not in sub-folders), is not
hidden or half-written (`.part`, `.tmp`, `.crdownload`, names starting with `.` or `~`) and was
last modified before the interval's end, oldest first (modification time, then name). Each file
is loaded in its own transaction through `servflow.pipeline.ingest_paths`; a file that is
already stored (same SHA-256 for the same log) adds nothing. A loaded file is recorded in the
manifest (`<reports>/processed_files.jsonl`) and, with `processed = "move"`, moved to
`<inbox>/processed/`. A file that cannot be loaded stays in the inbox with its message in the
run report, so the next run tries it again: nothing is loaded twice and nothing is skipped.
Manifest records not yet announced (`mark_announced`, after the Airflow asset event) are
reported as `unannounced`, so a retry announces what an attempt that died had stored.

Configuration comes from the Airflow Variable `servflow_config` (JSON), else from the JSON or
TOML file named by `$SERVFLOW_CONFIG`, else from the defaults below. Relative paths in a file
are relative to the file's folder; elsewhere to the project folder (`$SERVFLOW_HOME`, else the
folder holding the `servflow` package).

>>> config = read_config('{"inbox": "/srv/inbox", "logs": [{"name": "tickets"}]}')
>>> str(config.inbox), [log.name for log in config.logs]
('/srv/inbox', ['tickets'])

This module imports nothing heavy at module level; the pipeline (DuckDB, pandas) is imported
when a file is actually loaded.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mining.errors import InputError, QualityGateError

if TYPE_CHECKING:
    from mining.ingest import IngestOptions, LoadResult

__all__ = [
    "CONFIG_ENV",
    "CONFIG_VARIABLE",
    "FileOutcome",
    "InboxConfig",
    "InboxFile",
    "IngestRunReport",
    "LogSource",
    "OnFailure",
    "RemoteSource",
    "find_new_files",
    "is_in_progress",
    "load_new_files",
    "mark_announced",
    "project_root",
    "read_config",
    "read_manifest",
]

log = logging.getLogger(__name__)

CONFIG_VARIABLE = "servflow_config"
CONFIG_ENV = "SERVFLOW_CONFIG"
PROCESSED_DIR = "processed"
MANIFEST_NAME = "processed_files.jsonl"
ANNOUNCED_NAME = "announced.json"
FAIL_ON_CHOICES = ("error", "warning", "never")
PROCESSED_CHOICES = ("move", "keep")
# Names a copy in progress usually has; such files are left alone until renamed.
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".filepart")
TOP_LEVEL_KEYS = (
    "inbox",
    "database",
    "snapshot",
    "reports",
    "fail_on",
    "processed",
    "logs",
    "remote",
    "on_failure",
)
REMOTE_KEYS = ("conn_id", "path", "pattern")
ON_FAILURE_KEYS = ("email", "smtp_conn_id", "from")
_EMAIL = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+$")
LOG_KEYS = ("name", "pattern", "fail_on")
MESSAGE_LIMIT = 2000  # characters of one file's error kept in the XCom summary


@dataclass(frozen=True)
class LogSource:
    """One event log fed from the inbox: its name, which file names belong to it, and how to read them.

    `options` are `mining.ingest.IngestOptions` fields (column mapping, timestamp format,
    timezone, delimiter, pseudonymize), as given in the configuration.
    """

    name: str
    pattern: str = "*"
    fail_on: str = "error"
    options: tuple[tuple[str, Any], ...] = ()

    def matches(self, file_name: str) -> bool:
        return fnmatch.fnmatchcase(file_name, self.pattern)

    def ingest_options(self) -> IngestOptions:
        """The options `ingest_paths` gets for this log's files."""
        from mining.ingest import IngestOptions

        fail_on = None if self.fail_on == "never" else self.fail_on
        try:
            return IngestOptions(log_name=self.name, fail_on=fail_on, **dict(self.options))
        except TypeError as exc:
            valid = ", ".join(
                sorted(f for f in IngestOptions.__dataclass_fields__ if f != "log_name")
            )
            raise InputError(
                f"servflow configuration, log {self.name!r}: {exc}. "
                f"The keys a log accepts are name, pattern and {valid}."
            ) from exc


@dataclass(frozen=True)
class RemoteSource:
    """A remote folder whose exports are fetched into the inbox before each load.

    Only the Airflow connection's id is configured here; host, user and key or password are in
    the connection (Admin > Connections, `airflow connections add`, `AIRFLOW_CONN_<ID>` or a
    secrets backend), never in servflow's configuration or its logs.
    """

    conn_id: str
    path: str
    pattern: str = "*"

    def matches(self, file_name: str) -> bool:
        return fnmatch.fnmatchcase(file_name, self.pattern)


@dataclass(frozen=True)
class OnFailure:
    """Who is told when a servflow task fails for good (after its retries), and through what.

    E-mail through Airflow's SMTP provider on the connection `smtp_conn_id` (host, port, user,
    password and TLS live there, never here).
    """

    email: tuple[str, ...]
    smtp_conn_id: str = "servflow_smtp"
    from_email: str | None = None  # else the connection's "From email"


@dataclass(frozen=True)
class InboxConfig:
    """Where the inbox, database, snapshot and reports are, and which logs the inbox feeds."""

    inbox: Path
    database: Path
    snapshot: Path
    reports: Path
    processed: str = "move"
    logs: tuple[LogSource, ...] = (LogSource(name="tickets"),)
    source: str = "defaults"  # where the configuration was read from, for the logs
    remote: RemoteSource | None = None  # fetched into `inbox` before each load
    on_failure: OnFailure | None = None  # failure notices; none: the failure is only logged

    @property
    def manifest(self) -> Path:
        return self.reports / MANIFEST_NAME

    @property
    def announced(self) -> Path:
        return self.reports / ANNOUNCED_NAME

    def log_for(self, file_name: str) -> LogSource | None:
        """The first configured log whose pattern matches `file_name`."""
        return next((source for source in self.logs if source.matches(file_name)), None)


@dataclass(frozen=True)
class InboxFile:
    """A file a run will load: where it is, which log it feeds, when it arrived."""

    path: Path
    log_name: str | None  # None: no configured pattern matches the name
    mtime: datetime  # UTC
    size: int


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one inbox file in one run."""

    file: str  # the file's name in the inbox
    log_name: str | None
    status: str  # loaded | already_loaded | failed | rejected (quality gate) | unmatched
    message: str = ""
    sha256: str | None = None
    load_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    events_added: int = 0
    events_already_stored: int = 0
    cases_added: int = 0
    max_severity: str | None = None
    warnings: tuple[str, ...] = ()  # messages of quality findings below the failing severity
    newly_recorded: bool = False  # first time this (log, sha256) reaches the manifest
    moved_to: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("loaded", "already_loaded")


@dataclass(frozen=True)
class IngestRunReport:
    """The outcome of one ingest run over the inbox."""

    run_id: str
    until: datetime
    database: str
    config_source: str
    files: tuple[FileOutcome, ...] = ()
    report_path: str | None = None
    # Files recorded since the last announcement, by log: {"files": n, "events_added": n}.
    # Includes files of an earlier attempt that stopped before announcing them; a file that
    # was found already stored counts no events (they were added by the attempt that died).
    # `manifest_records` is what `mark_announced` covers once they are announced.
    unannounced: dict[str, dict[str, int]] = field(default_factory=dict)
    manifest_records: int = 0
    attempt: int = 1  # Airflow's try number of the task that made this report
    # Summaries of the reports earlier attempts of the same run left (attempt, report path,
    # complete, error, files, loaded, events_added), oldest first.
    earlier_attempts: tuple[dict[str, Any], ...] = ()

    @property
    def failed(self) -> tuple[FileOutcome, ...]:
        return tuple(f for f in self.files if not f.ok)

    def summary(self) -> dict[str, Any]:
        """A small JSON-able summary for XCom and the task log (no per-event data)."""
        return {
            "run_id": self.run_id,
            "attempt": self.attempt,
            "until": self.until.isoformat(),
            "database": self.database,
            "config_source": self.config_source,
            "report": self.report_path,
            "files": len(self.files),
            "loaded": sum(1 for f in self.files if f.status == "loaded"),
            "already_loaded": sum(1 for f in self.files if f.status == "already_loaded"),
            "events_added": sum(f.events_added for f in self.files),
            "unannounced": self.unannounced,
            "manifest_records": self.manifest_records,
            "failed": [
                {"file": f.file, "status": f.status, "message": f.message[:MESSAGE_LIMIT]}
                for f in self.failed
            ],
            "warnings": [
                {"file": f.file, "message": message[:MESSAGE_LIMIT]}
                for f in self.files
                for message in f.warnings
            ],
            "earlier_attempts": list(self.earlier_attempts),
        }


def project_root() -> Path:
    """`$SERVFLOW_HOME`, else the folder that holds the `servflow` package (the checkout)."""
    home = os.environ.get("SERVFLOW_HOME")
    if home:
        return Path(home).expanduser().resolve()
    return Path(__file__).resolve().parents[1]


def read_config(
    variable_text: str | None = None, *, environ: Mapping[str, str] | None = None
) -> InboxConfig:
    """The inbox configuration: the Variable's JSON if given, else `$SERVFLOW_CONFIG`, else defaults.

    >>> read_config(None, environ={}).processed
    'move'
    """
    env = os.environ if environ is None else environ
    if variable_text is not None and variable_text.strip():
        try:
            data = json.loads(variable_text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"The Airflow Variable {CONFIG_VARIABLE!r} is not valid JSON ({exc}). "
                "Fix it under Admin > Variables, or delete it to use $SERVFLOW_CONFIG or the defaults."
            ) from exc
        return _config_from_mapping(
            data, base=_root(env), env=env, source=f"Airflow Variable {CONFIG_VARIABLE}"
        )
    config_path = env.get(CONFIG_ENV)
    if config_path:
        path = Path(config_path).expanduser()
        return _config_from_mapping(
            _read_config_file(path), base=path.resolve().parent, env=env, source=f"file {path}"
        )
    return _config_from_mapping({}, base=_root(env), env=env, source="defaults")


def _root(env: Mapping[str, str]) -> Path:
    home = env.get("SERVFLOW_HOME")
    return Path(home).expanduser().resolve() if home else Path(__file__).resolve().parents[1]


def _read_config_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"Cannot read the servflow configuration file {path} named by ${CONFIG_ENV}: "
            f"{exc.strerror or exc}. Fix the path or unset {CONFIG_ENV}."
        ) from exc
    try:
        if path.suffix.lower() == ".toml":
            return tomllib.loads(text)
        return json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
        raise InputError(
            f"The servflow configuration file {path} is not valid {kind}: {exc}. "
            "Files ending in .toml are read as TOML, all others as JSON."
        ) from exc


def _config_from_mapping(
    data: Any, *, base: Path, env: Mapping[str, str], source: str
) -> InboxConfig:
    if not isinstance(data, dict):
        raise InputError(f"servflow configuration ({source}) must be a JSON object / TOML table.")
    unknown = sorted(set(data) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise InputError(
            f"servflow configuration ({source}): unknown key(s) {', '.join(unknown)}. "
            f"Known keys: {', '.join(TOP_LEVEL_KEYS)}."
        )
    data_dir = _root(env) / "servflow_data"

    def path_of(key: str, default: Path) -> Path:
        value = data.get(key)
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"servflow configuration ({source}): {key!r} must be a path string.")
        path = Path(value).expanduser()
        return path if path.is_absolute() else base / path

    db_env = env.get("SERVFLOW_DB")
    database = path_of("database", Path(db_env) if db_env else data_dir / "servflow.duckdb")
    snapshot_env = env.get("SERVFLOW_SNAPSHOT")
    snapshot = path_of(
        "snapshot",
        Path(snapshot_env) if snapshot_env else database.with_name("servflow_snapshot.duckdb"),
    )
    fail_on = _choice(data.get("fail_on", "error"), "fail_on", FAIL_ON_CHOICES, source)
    processed = _choice(data.get("processed", "move"), "processed", PROCESSED_CHOICES, source)
    logs_data = data.get("logs", [{"name": "tickets"}])
    if not isinstance(logs_data, list) or not logs_data:
        raise InputError(
            f"servflow configuration ({source}): 'logs' must be a non-empty list of tables, "
            'e.g. [{"name": "tickets", "pattern": "*.csv"}].'
        )
    logs = tuple(_log_source(item, fail_on, source) for item in logs_data)
    names = [source_.name for source_ in logs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(
            f"servflow configuration ({source}): log name(s) {', '.join(duplicates)} appear "
            "more than once; give each log one entry (one pattern can match many files)."
        )
    return InboxConfig(
        inbox=path_of("inbox", data_dir / "inbox"),
        database=database,
        snapshot=snapshot,
        reports=path_of("reports", data_dir / "reports"),
        processed=processed,
        logs=logs,
        source=source,
        remote=_remote_source(data.get("remote"), source),
        on_failure=_on_failure(data.get("on_failure"), source),
    )


def _on_failure(item: Any, source: str) -> OnFailure | None:
    if item is None:
        return None
    where = f"servflow configuration ({source}), 'on_failure'"
    if not isinstance(item, dict):
        raise InputError(f'{where} must be a table such as {{"email": ["ops@example.com"]}}.')
    unknown = sorted(set(item) - set(ON_FAILURE_KEYS))
    if unknown:
        raise InputError(
            f"{where}: unknown key(s) {', '.join(unknown)}. Known keys: "
            f"{', '.join(ON_FAILURE_KEYS)} (SMTP credentials belong in the Airflow connection)."
        )
    emails = item.get("email")
    if isinstance(emails, str):
        emails = [emails]
    if not isinstance(emails, list) or not emails:
        raise InputError(f"{where}: 'email' must be a list of one or more addresses.")
    for address in emails:
        if not isinstance(address, str) or not _EMAIL.match(address):
            raise InputError(f"{where}: {address!r} is not an e-mail address.")
    conn_id = item.get("smtp_conn_id", "servflow_smtp")
    sender = item.get("from")
    if not isinstance(conn_id, str) or not conn_id.strip():
        raise InputError(f"{where}: 'smtp_conn_id' must be an Airflow connection id.")
    if sender is not None and (not isinstance(sender, str) or not _EMAIL.match(sender)):
        raise InputError(f"{where}: 'from' must be an e-mail address.")
    return OnFailure(email=tuple(emails), smtp_conn_id=conn_id, from_email=sender)


def _remote_source(item: Any, source: str) -> RemoteSource | None:
    if item is None:
        return None
    where = f"servflow configuration ({source}), 'remote'"
    if not isinstance(item, dict):
        raise InputError(
            f'{where} must be a table such as {{"conn_id": "servflow_sftp", "path": "/exports"}}.'
        )
    unknown = sorted(set(item) - set(REMOTE_KEYS))
    if unknown:
        raise InputError(
            f"{where}: unknown key(s) {', '.join(unknown)}. Known keys: {', '.join(REMOTE_KEYS)} "
            "(credentials belong in the Airflow connection, not here)."
        )
    values = {}
    for key in REMOTE_KEYS:
        value = item.get(key, "*" if key == "pattern" else None)
        if not isinstance(value, str) or not value.strip():
            raise InputError(
                f"{where}: {key!r} must be a non-empty string "
                "(conn_id: an Airflow connection id; path: the remote folder)."
            )
        values[key] = value
    return RemoteSource(**values)


def _choice(value: Any, key: str, choices: Sequence[str], source: str) -> str:
    if value is None and "never" in choices:
        return "never"
    if value not in choices:
        raise InputError(
            f"servflow configuration ({source}): {key!r} is {value!r}; use one of "
            f"{', '.join(repr(c) for c in choices)}."
        )
    return str(value)


def _log_source(item: Any, default_fail_on: str, source: str) -> LogSource:
    if not isinstance(item, dict):
        raise InputError(
            f"servflow configuration ({source}): each entry of 'logs' must be a table."
        )
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(
            f"servflow configuration ({source}): every entry of 'logs' needs a 'name' "
            "(the log's name in the database)."
        )
    pattern = item.get("pattern", "*")
    if not isinstance(pattern, str) or not pattern:
        raise InputError(
            f"servflow configuration ({source}), log {name!r}: 'pattern' must be a file-name "
            "glob such as 'tickets_*.csv'."
        )
    fail_on = _choice(item.get("fail_on", default_fail_on), "fail_on", FAIL_ON_CHOICES, source)
    options = tuple(
        sorted(
            (k, tuple(v) if isinstance(v, list) else v)
            for k, v in item.items()
            if k not in LOG_KEYS
        )
    )
    return LogSource(name=name, pattern=pattern, fail_on=fail_on, options=options)


def is_in_progress(name: str) -> bool:
    """Whether a file name looks hidden or half-written (left alone until renamed)."""
    return name.startswith((".", "~")) or name.lower().endswith(PARTIAL_SUFFIXES)


def _is_candidate(path: Path) -> bool:
    return not is_in_progress(path.name) and path.is_file()


def find_new_files(config: InboxConfig, *, until: datetime) -> list[InboxFile]:
    """The inbox files a run with data-interval end `until` loads, oldest first.

    Every file in the inbox folder last modified before `until`; the folder's sub-folders
    (such as `processed/`) are not searched.
    """
    if not config.inbox.is_dir():
        raise InputError(
            f"The servflow inbox folder {config.inbox} does not exist "
            f"(configuration: {config.source}). Create it, or set 'inbox' in the Airflow "
            f"Variable {CONFIG_VARIABLE} or in the file named by ${CONFIG_ENV}."
        )
    limit = _utc(until).timestamp()
    found: list[tuple[int, str, InboxFile]] = []
    for path in config.inbox.iterdir():
        try:
            if not _is_candidate(path):
                continue
            stat = path.stat()
        except FileNotFoundError:
            continue  # moved away while we looked
        if stat.st_mtime >= limit:
            continue  # arrived after this interval: a later run (or backfill) takes it
        source = config.log_for(path.name)
        item = InboxFile(
            path=path,
            log_name=source.name if source else None,
            mtime=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
            size=stat.st_size,
        )
        found.append((stat.st_mtime_ns, path.name, item))
    found.sort(key=lambda entry: (entry[0], entry[1]))
    return [item for _, _, item in found]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_manifest(path: Path) -> list[dict[str, Any]]:
    """The manifest's records, oldest first; a line cut short by a crash is ignored."""
    if not path.exists():
        return []
    records = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                log.warning(
                    "Ignoring an incomplete line in %s (a run stopped while writing it)", path
                )
                continue
            if isinstance(record, dict):
                records.append(record)
    return records


def _append_manifest(path: Path, record: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
    with path.open("a+b") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell():
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                line = "\n" + line  # a crash cut the last record short: keep ours intact
        handle.write(line.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())


def load_new_files(
    config: InboxConfig, *, until: datetime, run_id: str, attempt: int = 1
) -> IngestRunReport:
    """Load the inbox files of the interval ending at `until`, one transaction per file.

    A file that cannot be read, or whose data-quality findings reach the log's `fail_on`
    severity, is not loaded: it stays in the inbox and its message is in the report's `failed`
    entries. Storage errors (database locked, disk full) propagate, so the task is retried.

    Every attempt keeps its own report, `<reports>/ingest/<run_id>.attempt-<attempt>.json`,
    rewritten after each file: an attempt that fails or is killed half-way leaves the outcome
    of the files it did load (`"complete": false`, and the error when there was one), and a
    retry never overwrites it. A retry's report lists the earlier attempts' reports.
    """
    from servflow.pipeline import ingest_paths

    report_path = _attempt_report_path(config, run_id, attempt)
    earlier = _earlier_attempts(config, run_id, report_path)
    outcomes: list[FileOutcome] = []

    def progress(error: str | None = None) -> None:
        partial = IngestRunReport(
            run_id=run_id,
            until=_utc(until),
            database=str(config.database),
            config_source=config.source,
            files=tuple(outcomes),
            report_path=str(report_path),
            attempt=attempt,
            earlier_attempts=earlier,
        )
        document = {**_report_document(partial), "complete": False}
        if error is not None:
            document["error"] = error
        _write_json_atomically(report_path, document)

    progress()
    try:
        files = find_new_files(config, until=until)
        recorded = {(r.get("log_name"), r.get("sha256")) for r in read_manifest(config.manifest)}
        _load_files(files, config, ingest_paths, recorded, run_id, outcomes, progress)
    except BaseException as exc:  # storage error, timeout, interrupt: keep what was done
        progress(error=f"{type(exc).__name__}: {exc}")
        raise
    records = read_manifest(config.manifest)
    unannounced: dict[str, dict[str, int]] = {}
    for record in records[_announced_count(config) :]:
        entry = unannounced.setdefault(str(record.get("log_name")), {"files": 0, "events_added": 0})
        entry["files"] += 1
        entry["events_added"] += int(record.get("events_added") or 0)
    report = IngestRunReport(
        run_id=run_id,
        until=_utc(until),
        database=str(config.database),
        config_source=config.source,
        files=tuple(outcomes),
        report_path=str(report_path),
        unannounced=unannounced,
        manifest_records=len(records),
        attempt=attempt,
        earlier_attempts=earlier,
    )
    _write_json_atomically(report_path, {**_report_document(report), "complete": True})
    return report


def _attempt_report_path(config: InboxConfig, run_id: str, attempt: int) -> Path:
    """This attempt's report file; never one an earlier execution wrote.

    Airflow gives every attempt (a retry, a cleared task) a new try number; a second execution
    with the same number (a re-run outside the scheduler) gets a numbered name beside it.
    """
    folder = config.reports / "ingest"
    stem = f"{_safe_name(run_id)}.attempt-{attempt}"
    path = folder / f"{stem}.json"
    extra = 2
    while path.exists():
        path = folder / f"{stem}.{extra}.json"
        extra += 1
    return path


def _earlier_attempts(
    config: InboxConfig, run_id: str, current: Path
) -> tuple[dict[str, Any], ...]:
    """A short summary of each report an earlier attempt of this run left, oldest first."""
    found = []
    for path in (config.reports / "ingest").glob(f"{_safe_name(run_id)}.attempt-*.json"):
        if path == current:
            continue
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        found.append(
            (
                path.stat().st_mtime_ns,
                {
                    "attempt": document.get("attempt"),
                    "report": str(path),
                    "complete": bool(document.get("complete")),
                    "error": document.get("error"),
                    "files": document.get("files", 0),
                    "loaded": document.get("loaded", 0),
                    "events_added": document.get("events_added", 0),
                },
            )
        )
    return tuple(summary for _, summary in sorted(found, key=lambda entry: entry[0]))


def _load_files(
    files: Sequence[InboxFile],
    config: InboxConfig,
    ingest_paths: Callable[..., list[LoadResult]],
    recorded: set[tuple[Any, Any]],
    run_id: str,
    outcomes: list[FileOutcome],
    progress: Callable[[], None],
) -> None:
    for item in files:
        source = config.log_for(item.path.name)
        if source is None:
            patterns = ", ".join(f"{s.name}: {s.pattern!r}" for s in config.logs)
            outcomes.append(
                FileOutcome(
                    file=item.path.name,
                    log_name=None,
                    status="unmatched",
                    message=(
                        f"{item.path}: the name matches no configured log pattern ({patterns}). "
                        "Rename the file, add a pattern to the configuration, or move it out "
                        "of the inbox."
                    ),
                )
            )
            progress()
            continue
        outcome = _load_one(item, source, config, ingest_paths, recorded, run_id)
        outcomes.append(outcome)
        if outcome.sha256:
            recorded.add((source.name, outcome.sha256))
        progress()


def _announced_count(config: InboxConfig) -> int:
    try:
        document = json.loads(config.announced.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return 0
    except (OSError, json.JSONDecodeError):
        log.warning("Cannot read %s; announcing every recorded file again", config.announced)
        return 0
    return int(document.get("manifest_records", 0))


def mark_announced(config: InboxConfig, manifest_records: int) -> None:
    """Record that the first `manifest_records` manifest records have been announced.

    Called once the asset event for them is about to be emitted; never moves backwards.
    """
    done = max(_announced_count(config), manifest_records)
    _write_json_atomically(config.announced, {"manifest_records": done})


def _load_one(
    item: InboxFile,
    source: LogSource,
    config: InboxConfig,
    ingest_paths: Callable[..., list[LoadResult]],
    recorded: set[tuple[Any, Any]],
    run_id: str,
) -> FileOutcome:
    try:
        options = source.ingest_options()
        [result] = ingest_paths([item.path], db_path=config.database, options=options)
    except QualityGateError as exc:
        return FileOutcome(
            file=item.path.name, log_name=source.name, status="rejected", message=str(exc)
        )
    except InputError as exc:
        return FileOutcome(
            file=item.path.name, log_name=source.name, status="failed", message=str(exc)
        )
    sha256 = str(result.source_sha256)
    newly_recorded = (source.name, sha256) not in recorded
    status = "already_loaded" if result.already_loaded else "loaded"
    warnings = tuple(
        f"{finding.severity}: {finding.message}"
        for finding in result.findings
        if finding.severity in ("warning", "error")
    )
    outcome = FileOutcome(
        file=item.path.name,
        log_name=source.name,
        status=status,
        sha256=sha256,
        load_id=result.load_id,
        rows_read=result.rows_read,
        rows_loaded=result.rows_loaded,
        rows_rejected=result.rows_rejected,
        events_added=result.events_added,
        events_already_stored=result.events_already_stored,
        cases_added=result.cases_added,
        max_severity=result.max_severity,
        warnings=warnings,
        newly_recorded=newly_recorded,
    )
    # Record before moving: a file is in the manifest as soon as its load is committed (or
    # at the next attempt, if this one dies in between), whatever happens to the file itself.
    if newly_recorded:
        _append_manifest(
            config.manifest,
            {
                "log_name": source.name,
                "sha256": sha256,
                "file": item.path.name,
                "size": item.size,
                "mtime": item.mtime.isoformat(),
                "load_id": outcome.load_id,
                "status": status,
                "events_added": outcome.events_added,
                "run_id": run_id,
                "recorded_at": datetime.now(UTC).isoformat(),
            },
        )
    if config.processed == "move":
        try:
            moved_to = _move_to_processed(item.path, config.inbox, sha256)
        except OSError as exc:
            return replace(
                outcome,
                status="failed",
                message=(
                    f"{item.path}: stored (load {outcome.load_id or 'earlier'}), but it cannot be "
                    f"moved to {config.inbox / PROCESSED_DIR}: {exc.strerror or exc}. Give the "
                    'Airflow user write access to the inbox, or set processed = "keep".'
                ),
            )
        outcome = replace(outcome, moved_to=str(moved_to))
    return outcome


def _move_to_processed(path: Path, inbox: Path, sha256: str) -> Path:
    """Move a stored file to `<inbox>/processed/`, never overwriting a different file."""
    target_dir = inbox / PROCESSED_DIR
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        if _sha256_of(target) == sha256:
            path.unlink()  # the same content is already archived
            return target
        stem, dot, suffix = path.name.partition(".")
        target = target_dir / f"{stem}.{sha256[:12]}{dot}{suffix}"
    os.replace(path, target)
    return target


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "run"


def _report_document(report: IngestRunReport) -> dict[str, Any]:
    return {
        **report.summary(),
        "file_outcomes": [asdict(outcome) for outcome in report.files],
    }


def _write_json_atomically(path: Path, document: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, ensure_ascii=False, indent=2, default=str), "utf-8")
    os.replace(partial, path)
