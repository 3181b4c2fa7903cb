"""The pipeline's steps as plain functions: ingest -> mine -> publish.

The CLI and the Airflow DAGs are two thin runners of these functions; each step opens the
database through `mining.store`, does one job and returns a typed result.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from mining import store
from mining.errors import StorageError
from mining.ingest import IngestOptions, LoadResult, ingest_file

__all__ = ["ingest_paths", "publish_snapshot"]


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


def publish_snapshot(
    db_path: str | os.PathLike[str] | None, snapshot_path: str | os.PathLike[str]
) -> Path:
    """Write a consistent copy of the database for readers and swap it in atomically.

    Readers (the dashboard) open the snapshot read-only and never hold the writer's file; a
    reader sees either the previous snapshot or the new one, never a half-written file.
    """
    target = Path(snapshot_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        with store.connect(db_path) as con:
            con.execute("CHECKPOINT")
            con.execute(f"ATTACH '{_sql_text(str(tmp))}' AS sf_snapshot")
            try:
                database = store.one(con, "SELECT current_database()")
                assert database is not None
                con.execute(f'COPY FROM DATABASE "{database[0]}" TO sf_snapshot')
            finally:
                con.execute("DETACH sf_snapshot")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        raise StorageError(f"Cannot publish the snapshot {target}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return target


def _sql_text(text: str) -> str:
    return text.replace("'", "''")
