"""The one place that opens the DuckDB file, applies settings and loads SQL files.

Everything else receives a connection (or cursor) from `connect()`; nobody else calls
`duckdb.connect`. Only built-in extensions are used (json, parquet, icu) and automatic
extension installation is off, so nothing ever waits on a download.

>>> import tempfile, pathlib
>>> with connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb") as con:
...     one(con, "SELECT count(*) FROM logs")
(0,)
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from mining.errors import StorageError, UnknownLogError
from mining.settings import read_settings

T = TypeVar("T")

__all__ = [
    "SCHEMA_VERSION",
    "beside",
    "connect",
    "connect_memory",
    "default_db_path",
    "log_id_for",
    "one",
    "run_sql",
    "sql",
    "transaction",
]

SCHEMA_VERSION = "2"


def default_db_path() -> Path:
    """The database file: `$SERVFLOW_DB`, else `./servflow.duckdb`."""
    return read_settings().db


@cache
def sql(name: str) -> str:
    """The text of `mining/sql/<name>.sql`."""
    return resources.files("mining").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def run_sql(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> duckdb.DuckDBPyConnection:
    """Run `mining/sql/<name>.sql` (one or more statements) with named `$parameters`.

    Each statement gets only the parameters it mentions, so one file may hold several steps.
    """
    result = con
    for statement in _statements(name):
        used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", statement)}
        result = con.execute(statement, used or None)
    return result


@cache
def _statements(name: str) -> tuple[str, ...]:
    # Statement files hold no string literals with semicolons, so a split on ';' is safe.
    return tuple(s.strip() for s in sql(name).split(";") if _has_code(s))


def _has_code(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


def _config(read_only: bool) -> dict[str, Any]:
    config: dict[str, Any] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,  # built-in ones only: nothing else is installed
        "TimeZone": "UTC",
        "preserve_insertion_order": True,
    }
    settings = read_settings()
    config["memory_limit"] = settings.memory_limit
    if settings.threads is not None:
        config["threads"] = settings.threads
    if read_only:
        config["access_mode"] = "READ_ONLY"
    return config


def connect(
    db_path: str | os.PathLike[str] | None = None,
    *,
    read_only: bool = False,
    create: bool = True,
) -> duckdb.DuckDBPyConnection:
    """Open the servflow database (created with its schema if missing, unless read-only or
    `create` is False: then a missing file is `StorageError` "no such database").

    Read-only connections are for readers (dashboard, reports on snapshots); a DuckDB file has
    one writer process at a time.
    """
    path = Path(db_path) if db_path is not None else default_db_path()
    if (read_only or not create) and not path.is_file():
        raise StorageError(
            f"no such database: {path}"
            + (" is a folder" if path.is_dir() else " does not exist")
            + ". Load a log first with `servflow ingest`, or point --db / SERVFLOW_DB at an "
            "existing servflow database; nothing was created."
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=_config(read_only))
    except duckdb.Error as exc:
        raise StorageError(
            f"Cannot open database file {path}: {exc}. If another servflow process or "
            "Airflow task is writing it, wait for it to finish or read a published snapshot."
        ) from exc
    if not read_only:
        con.execute(f"SET temp_directory = '{_escape(str(path) + '.tmp')}'")
        _ensure_schema(con, path)
    return con


def connect_memory() -> duckdb.DuckDBPyConnection:
    """An in-memory database with servflow's settings, to read a file without storing it."""
    return duckdb.connect(":memory:", config=_config(read_only=False))


def _escape(text: str) -> str:
    return text.replace("'", "''")


def _ensure_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    try:
        con.execute(sql("schema"))
        for name in ("results_schema",):
            try:
                text = sql(name)
            except FileNotFoundError:
                continue
            con.execute(text)
        row = one(con, "SELECT value FROM schema_info WHERE key = 'version'")
        if row is None:
            con.execute("INSERT INTO schema_info VALUES ('version', ?)", [SCHEMA_VERSION])
        elif row[0] != SCHEMA_VERSION:
            raise StorageError(
                f"Database file {path} has servflow schema version {row[0]}, this servflow "
                f"uses version {SCHEMA_VERSION}. Use a new --db file or re-ingest the logs."
            )
    except duckdb.Error as exc:
        raise StorageError(f"Cannot prepare database file {path}: {exc}") from exc


def one(con: duckdb.DuckDBPyConnection, query: str, params: Any = None) -> tuple[Any, ...] | None:
    """The first row of a query (fetching the whole result, as DuckDB wants it finished)."""
    rows = con.execute(query, params).fetchall()
    return rows[0] if rows else None


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT; any exception rolls everything back and propagates."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def beside(
    con: duckdb.DuckDBPyConnection, work: Callable[[duckdb.DuckDBPyConnection], T]
) -> Iterator[Callable[[], T]]:
    """Run `work` in a thread on a connection of its own (a cursor of `con`: the same database,
    its own temporary tables and views) while the caller goes on with `con`; yields the
    function that waits for `work` and returns its result or raises its error. Leaving the
    block before that interrupts the work's query and waits for it."""
    side = con.cursor()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="servflow-beside")
    future = pool.submit(work, side)
    try:
        yield future.result
    finally:
        # the work may not have reached its query yet when first interrupted
        while not future.done():
            side.interrupt()
            wait([future], timeout=0.1)
        pool.shutdown(wait=True)
        side.close()


def log_id_for(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """The id of the log called `name`; `UnknownLogError` lists the stored ones otherwise."""
    row = one(con, "SELECT log_id FROM logs WHERE name = ?", [name])
    if row is not None:
        return int(row[0])
    names = [r[0] for r in con.execute("SELECT name FROM logs ORDER BY name").fetchall()]
    stored = ", ".join(repr(n) for n in names) if names else "none yet"
    raise UnknownLogError(
        f"No log named {name!r} in this database (stored logs: {stored}). "
        "Check the name with `servflow logs`, or load it with `servflow ingest`."
    )
