"""The pipeline's steps as plain functions: ingest -> mine -> publish.

The CLI and the Airflow DAGs are two thin runners of these functions; each step opens the
database through `mining.store`, does one job and returns a typed result.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mining import store
from mining.errors import QualityGateError, ServflowError, StorageError
from mining.ingest import IngestOptions, LoadResult, ingest_file
from mining.quality import QualityFinding

if TYPE_CHECKING:
    from mining.run import MiningOptions, MiningRun
    from optimization.model import CandidateOptions, CandidateSet

__all__ = [
    "FileOutcome",
    "ingest_each",
    "ingest_paths",
    "mine",
    "publish_snapshot",
    "rank_candidates",
    "snapshot_path_for",
]


def ingest_paths(
    paths: Sequence[str | os.PathLike[str]],
    *,
    db_path: str | os.PathLike[str] | None = None,
    options: IngestOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[LoadResult]:
    """Load each file in its own transaction, in the order given.

    Stops at the first file that cannot be loaded (raising its `InputError`); the files before
    it stay loaded, and nothing of the failing file is stored.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.csv").write_text("case,activity,time\\n1,A,2024-01-01 08:00\\n")
    >>> [r.events_added for r in ingest_paths([folder / "a.csv"], db_path=folder / "x.duckdb")]
    [1]
    """
    results = []
    with store.connect(db_path) as con:
        for path in paths:
            results.append(ingest_file(con, path, options, progress=progress))
    return results


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What became of one file of a multi-file load: "stored", "already_loaded", "failed"
    (with the reason, and the quality findings and rejected rows that stopped it) or
    "not_attempted" (a file before it failed)."""

    path: str
    status: str
    result: LoadResult | None = None
    error: str | None = None
    findings: tuple[QualityFinding, ...] = ()
    rejected_examples: tuple[dict[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "status": self.status}
        if self.result is not None:
            data.update(self.result.as_dict())
        if self.error is not None:
            data["error"] = self.error
            data["findings"] = [f.as_dict() for f in self.findings]
            data["rejected_rows"] = list(self.rejected_examples)
        return data


def ingest_each(
    paths: Sequence[str | os.PathLike[str]],
    *,
    db_path: str | os.PathLike[str] | None = None,
    options: IngestOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[FileOutcome]:
    """Load each file in its own transaction, in the order given, and say what became of each.

    Loading stops at the first file that cannot be loaded: the files before it stay stored, the
    failing one is "failed" with its reason (nothing of it is stored), the rest "not_attempted".

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.csv").write_text("case,activity,time\\n1,A,2024-01-01 08:00\\n")
    >>> _ = (folder / "b.csv").write_text("x,y\\n1,2\\n")
    >>> outcomes = ingest_each([folder / n for n in ("a.csv", "b.csv", "a.csv")], db_path=folder / "x.duckdb")
    >>> [o.status for o in outcomes]
    ['stored', 'failed', 'not_attempted']
    """
    outcomes: list[FileOutcome] = []
    with store.connect(db_path) as con:
        for path in paths:
            if outcomes and outcomes[-1].status in ("failed", "not_attempted"):
                outcomes.append(FileOutcome(str(path), "not_attempted"))
                continue
            try:
                result = ingest_file(con, path, options, progress=progress)
            except QualityGateError as exc:
                outcomes.append(
                    FileOutcome(
                        str(path), "failed", None, str(exc), exc.findings, exc.rejected_examples
                    )
                )
            except ServflowError as exc:
                outcomes.append(FileOutcome(str(path), "failed", None, str(exc)))
            else:
                status = "already_loaded" if result.already_loaded else "stored"
                outcomes.append(FileOutcome(str(path), status, result))
    return outcomes


def mine(
    db_path: str | os.PathLike[str] | None,
    log_name: str,
    *,
    as_of: datetime | None = None,
    options: MiningOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> MiningRun:
    """Mine `log_name` and store the results as a new mining run (see `mining.run`), with its
    automation and restructuring candidates, ranked while it mines
    (`optimization.mining_candidates`)."""
    from dataclasses import replace

    from mining.run import MiningOptions
    from optimization.mining_candidates import mine_with_candidates

    options = options or MiningOptions()
    if as_of is not None:
        options = replace(options, as_of=as_of)
    with store.connect(db_path, create=False) as con:
        return mine_with_candidates(con, log_name, options, progress=progress)


def rank_candidates(
    db_path: str | os.PathLike[str] | None,
    log_name: str,
    *,
    run_id: int | str | None = None,
    options: CandidateOptions | None = None,
) -> CandidateSet:
    """Rank (again) and store the candidates of a mining run of `log_name` (default: newest)."""
    from mining.errors import InputError
    from mining.run import latest_run_id
    from optimization.candidates import compute_and_store

    with store.connect(db_path, create=False) as con:
        chosen = int(run_id) if run_id is not None else latest_run_id(con, log_name)
        if chosen is None:
            raise InputError(
                f"Log {log_name!r} has not been mined yet: run `servflow mine {log_name}` first."
            )
        return compute_and_store(con, chosen, options)


def snapshot_path_for(db_path: str | os.PathLike[str] | None) -> Path:
    """Where the read-only snapshot of a database is published: `$SERVFLOW_SNAPSHOT`, else
    beside the database as `<name>_snapshot.duckdb` (servflow.duckdb -> servflow_snapshot.duckdb).

    >>> snapshot_path_for("data/servflow.duckdb").as_posix()
    'data/servflow_snapshot.duckdb'
    """
    configured = os.environ.get("SERVFLOW_SNAPSHOT")
    if configured:
        return Path(configured)
    db = Path(db_path) if db_path is not None else store.default_db_path()
    return db.with_name(f"{db.stem}_snapshot.duckdb")


def publish_snapshot(
    db_path: str | os.PathLike[str] | None,
    snapshot_path: str | os.PathLike[str],
    *,
    con: Any = None,
) -> Path:
    """Write a consistent copy of the database for readers and swap it in atomically.

    Readers (the dashboard) open the snapshot read-only and never hold the writer's file; a
    reader sees either the previous snapshot or the new one, never a half-written file.

    The copy is the database file itself, copied after a checkpoint while this process holds
    the write lock: with an empty write-ahead log the file alone is the whole database, and no
    other process can change it meanwhile. (Re-encoding every table with `COPY FROM DATABASE`
    takes seconds on a log of millions of events; the file copy takes about as long as reading
    the file.) Should the log not be empty after the checkpoint, the tables are copied instead.

    `con`: this process's open connection to `db_path`, with no transaction or query running
    on it (else a connection is opened, and closed after).
    """
    target = Path(snapshot_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    source = Path(db_path) if db_path is not None else store.default_db_path()
    try:
        with (
            nullcontext(con) if con is not None else store.connect(source, create=False)
        ) as open_con:
            open_con.execute("CHECKPOINT")
            wal = Path(f"{source}.wal")
            if not wal.exists() or wal.stat().st_size == 0:
                shutil.copyfile(source, tmp)
            else:
                _copy_tables(open_con, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        raise StorageError(f"Cannot publish the snapshot {target}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return target


def _copy_tables(con: Any, target: Path) -> None:
    """Every table of the open database into a new database file `target`."""
    con.execute(f"ATTACH '{_sql_text(str(target))}' AS sf_snapshot")
    try:
        database = store.one(con, "SELECT current_database()")
        assert database is not None
        con.execute(f'COPY FROM DATABASE "{database[0]}" TO sf_snapshot')
    finally:
        con.execute("DETACH sf_snapshot")


def _sql_text(text: str) -> str:
    return text.replace("'", "''")
