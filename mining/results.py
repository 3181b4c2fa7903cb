"""Storing typed mining results in DuckDB and reading them back.

Every section of a run (the DFG, variants, bottlenecks ...) is a tuple of frozen dataclass rows;
it is stored in the table `run_<section>`, whose columns are the row type's fields plus `run_id`
and `rank` (the row's position in the ranked result). The row types are the one source of truth
for those tables: `schema_markdown()` documents them (docs/results-schema.md).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb

__all__ = ["as_stored", "column_types", "read_section", "schema_markdown", "write_section"]


def _sql_type(annotation: Any) -> tuple[str, bool] | None:
    """SQL type of a field annotation and whether it is nullable; None: not storable."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            found = _sql_type(inner[0])
            return (found[0], True) if found else None
        return None
    if origin is typing.Literal:
        return "VARCHAR", False
    if origin is tuple:
        element = args[0] if args else str
        found = _sql_type(element)
        return (f"{found[0]}[]", False) if found and "[]" not in found[0] else None
    simple = {
        str: "VARCHAR",
        int: "BIGINT",
        float: "DOUBLE",
        bool: "BOOLEAN",
        datetime: "TIMESTAMP",
    }
    if annotation in simple:
        return simple[annotation], False
    return None


def column_types(row_type: type) -> dict[str, str]:
    """Storable fields of a result row type and their SQL types."""
    hints = typing.get_type_hints(row_type)
    columns: dict[str, str] = {}
    for f in dataclasses.fields(row_type):
        found = _sql_type(hints[f.name])
        if found is not None:
            columns[f.name] = found[0]
    return columns


def _table(section: str) -> str:
    if not section.replace("_", "").isalnum():
        raise ValueError(f"bad section name {section!r}")
    return f"run_{section}"


def write_section(
    con: duckdb.DuckDBPyConnection, run_id: int, section: str, row_type: type, rows: Sequence[Any]
) -> None:
    """Store `rows` (instances of `row_type`) as section `section` of run `run_id`."""
    columns = {k: v for k, v in column_types(row_type).items() if k not in ("run_id", "rank")}
    table = _table(section)
    ddl = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {table} (run_id INTEGER NOT NULL, rank INTEGER NOT NULL, {ddl})"
    )
    if not rows:
        return
    # One INSERT of parallel lists, unnested side by side: the values go straight from Python
    # into DuckDB (no Arrow table, which would import pandas on the way).
    data: dict[str, list[Any]] = {
        "run_id": [run_id] * len(rows),
        "rank": list(range(1, len(rows) + 1)),
    }
    kinds = {"run_id": "INTEGER", "rank": "INTEGER", **columns}
    for name in columns:
        values = [getattr(row, name) for row in rows]
        data[name] = [list(v) if isinstance(v, tuple) else v for v in values]
    names = ", ".join(f'"{n}"' for n in data)
    unnested = ", ".join(f"unnest(${i}::{kinds[n]}[])" for i, n in enumerate(data, 1))
    con.execute(f"INSERT INTO {table} ({names}) SELECT {unnested}", list(data.values()))


def as_stored(row_type: type, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """`rows` (instances of `row_type`) as `read_section` reads them back once `write_section`
    stored them: the storable fields only, tuples as lists, numbers of their column's type."""
    columns = {k: v for k, v in column_types(row_type).items() if k not in ("run_id", "rank")}
    convert = {name: _stored_value(kind) for name, kind in columns.items()}
    return [{name: convert[name](getattr(row, name)) for name in columns} for row in rows]


def _stored_value(kind: str) -> Any:
    """What a Python value reads back as from a column of SQL type `kind`."""
    if kind.endswith("[]"):
        element = _stored_value(kind[:-2])
        return lambda v: None if v is None else [element(x) for x in v]
    cast: Any = {"DOUBLE": float, "BIGINT": int, "BOOLEAN": bool}.get(kind)
    if cast is None:
        return lambda v: v
    return lambda v: None if v is None else cast(v)


def read_section(con: duckdb.DuckDBPyConnection, run_id: int, section: str) -> list[dict[str, Any]]:
    """Rows of one section of a stored run, ranked, as dicts (without run_id and rank)."""
    table = _table(section)
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = current_database()",
        [table],
    ).fetchall()
    if not exists or not exists[0][0]:
        return []
    cursor = con.execute(
        f"SELECT * EXCLUDE (run_id, rank) FROM {table} WHERE run_id = ? ORDER BY rank", [run_id]
    )
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def schema_markdown(sections: dict[str, type]) -> str:
    """Markdown documentation of the `run_<section>` tables."""
    lines = [
        "# Mining results schema",
        "",
        "Generated from the typed result rows by `python -m mining.run --schema`; do not edit by hand.",
        "Every table also has `run_id` (the mining run, see `mining_runs`) and `rank` (1 = first",
        "row of the ranked result).",
        "",
    ]
    for section, row_type in sections.items():
        doc = (row_type.__doc__ or "").strip().splitlines()[0] if row_type.__doc__ else ""
        lines += [f"## `{_table(section)}`", "", doc, "", "| column | type |", "|---|---|"]
        lines += [f"| `{name}` | {kind} |" for name, kind in column_types(row_type).items()]
        lines.append("")
    return "\n".join(lines)
