"""What is stored: logs, their loads and data-quality reports.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> store.connect(folder / "empty.duckdb").close()
>>> list_logs(folder / "empty.duckdb")
[]
"""

from __future__ import annotations

import json
import os
from typing import Any

import duckdb

from mining import store

__all__ = ["list_logs", "quality_report"]


def _records(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _open(db_path: str | os.PathLike[str] | None) -> duckdb.DuckDBPyConnection:
    # a reader never creates a database: a mistyped --db is "no such database", not a new file
    return store.connect(db_path, read_only=True)


def list_logs(db_path: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Each stored log: name, cases, events, activities, first/last event, loads."""
    with _open(db_path) as con:
        return _records(store.run_sql(con, "catalog_logs"))


def quality_report(
    db_path: str | os.PathLike[str] | None, log_name: str, *, load_id: int | None = None
) -> dict[str, Any]:
    """The data-quality report of every load of `log_name` (or of one load)."""
    with _open(db_path) as con:
        log_id = store.log_id_for(con, log_name)
        loads = _records(store.run_sql(con, "catalog_loads", log_id=log_id, load_id=load_id))
        findings = _records(store.run_sql(con, "catalog_findings", log_id=log_id, load_id=load_id))
        rejected = _records(store.run_sql(con, "catalog_rejected", log_id=log_id, load_id=load_id))
    for load in loads:
        load["mapping"] = json.loads(load["mapping"])
        load["options"] = json.loads(load["options"])
        load["findings"] = [
            {**f, "examples": json.loads(f["examples"])} | {"load_id": None}
            for f in findings
            if f["load_id"] == load["load_id"]
        ]
        for f in load["findings"]:
            del f["load_id"]
        load["rejected_rows"] = [
            {
                "source_row": r["source_row"],
                "reason": r["reason"],
                "raw": json.loads(r["raw"]) if r["raw"] else None,
            }
            for r in rejected
            if r["load_id"] == load["load_id"]
        ]
    return {"log": log_name, "loads": loads}
