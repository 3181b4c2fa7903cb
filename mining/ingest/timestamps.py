"""Turning a source column into UTC timestamps, without guessing.

A text column is read with an explicit `strptime` format when one is given. Otherwise every
candidate layout (ISO 8601 with or without offset, and common date-time layouts) is tried on the
column's values: the layouts that read all of them are kept, and if two of them read the same value
as different dates (03/04/2024: day-first or month-first?) the load stops and asks for
`--timestamp-format` rather than pick one. Naive times are taken in `timezone` (default UTC).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from mining.errors import InputError
from mining.store import one

__all__ = ["TimestampPlan", "plan_timestamp", "quote_ident"]

ISO = "ISO 8601"
# Layouts tried when no format is given. Year-first layouts are unambiguous; day-first and
# month-first ones are both tried so that ambiguity is detected, never guessed.
CANDIDATE_FORMATS = (
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%d/%m/%Y %H:%M:%S.%f",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M:%S.%f",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%m-%d-%Y %H:%M:%S",
    "%m-%d-%Y",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%Y",
    "%d %b %Y %H:%M:%S",
    "%b %d %Y %H:%M:%S",
    "%Y%m%d%H%M%S",
    "%Y%m%d",
)
SAMPLE_SIZE = 20_000
OFFSET_PATTERN = r"(Z|z|[+-]\d{2}(:?\d{2})?)$"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class TimestampPlan:
    """How a column becomes UTC TIMESTAMP: an SQL expression and what was decided."""

    column: str
    expression: str  # SQL over the raw table giving TIMESTAMP (UTC) or NULL when unreadable
    layout: str  # the format used, "ISO 8601", or the column's native type
    timezone: str  # zone applied to naive values


def plan_timestamp(
    con: duckdb.DuckDBPyConnection,
    table: str,
    column: str,
    *,
    source: str,
    fmt: str | None = None,
    timezone: str | None = None,
) -> TimestampPlan:
    """Decide how to read `column` of `table`; raises InputError when it cannot be read safely."""
    zone = timezone or "UTC"
    if timezone:
        _check_zone(con, timezone, source)
    col = quote_ident(column)
    kind = _column_type(con, table, column)
    if kind.startswith("TIMESTAMP WITH TIME ZONE"):
        # the stored value is already UTC microseconds: taking them over is several times
        # cheaper than the ICU time-zone conversion, which is kept for +-infinity only
        utc = f"coalesce(make_timestamp(epoch_us({col})), timezone('UTC', {col}))"
        return TimestampPlan(column, utc, kind, "UTC")
    if kind.startswith("TIMESTAMP") or kind == "DATE":
        return TimestampPlan(column, _naive(f"CAST({col} AS TIMESTAMP)", zone), kind, zone)
    if kind not in ("VARCHAR",):
        raise InputError(
            f"{source}: column {column!r} holds {kind} values, not timestamps. "
            "Name the timestamp column with --timestamp (or --start-timestamp)."
        )
    text = f"NULLIF(trim({col}), '')"
    if fmt:
        return TimestampPlan(column, _format_expression(text, fmt, zone), fmt, zone)
    return _detect(con, table, column, text, zone, source)


def _column_type(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    row = one(
        con,
        "SELECT data_type FROM duckdb_columns() WHERE table_name = ? AND column_name = ?",
        [table, column],
    )
    return str(row[0]) if row else "VARCHAR"


def _check_zone(con: duckdb.DuckDBPyConnection, zone: str, source: str) -> None:
    known = one(con, "SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [zone])
    if not known or not known[0]:
        raise InputError(
            f"{source}: unknown time zone {zone!r}. Use an IANA name such as "
            "'Asia/Shanghai', 'Europe/Amsterdam' or 'UTC'."
        )


def _naive(expr: str, zone: str) -> str:
    if zone == "UTC":
        return expr
    return f"timezone('UTC', timezone({quote_literal(zone)}, {expr}))"


def _iso_expression(text: str, zone: str) -> str:
    return (
        f"CASE WHEN regexp_matches({text}, '{OFFSET_PATTERN}') "
        f"THEN timezone('UTC', try_cast({text} AS TIMESTAMPTZ)) "
        f"ELSE {_naive(f'try_cast({text} AS TIMESTAMP)', zone)} END"
    )


def _format_expression(text: str, fmt: str, zone: str) -> str:
    parsed = f"try_strptime({text}, {quote_literal(fmt)})"
    if "%z" in fmt or "%Z" in fmt:
        return f"timezone('UTC', {parsed})"
    return _naive(parsed, zone)


def _expression(text: str, layout: str, zone: str) -> str:
    return _iso_expression(text, zone) if layout == ISO else _format_expression(text, layout, zone)


def _detect(
    con: duckdb.DuckDBPyConnection, table: str, column: str, text: str, zone: str, source: str
) -> TimestampPlan:
    sample_sql = (
        f"SELECT DISTINCT {text} AS v FROM {quote_ident(table)} WHERE {text} IS NOT NULL "
        f"LIMIT {SAMPLE_SIZE}"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE sf_ts_sample AS {sample_sql}")
    total = _scalar(con, "SELECT count(*) FROM sf_ts_sample")
    if total == 0:
        raise InputError(
            f"{source}: column {column!r} is empty: no timestamps to read. "
            "Name the timestamp column with --timestamp."
        )
    layouts = (ISO, *CANDIDATE_FORMATS)
    counts = {
        layout: _scalar(
            con,
            f"SELECT count({_expression('v', layout, zone)}) FROM sf_ts_sample",
        )
        for layout in layouts
    }
    best = max(counts.values())
    if best == 0:
        example = con.execute("SELECT v FROM sf_ts_sample LIMIT 3").fetchall()
        shown = ", ".join(repr(r[0]) for r in example)
        raise InputError(
            f"{source}: no known timestamp layout reads column {column!r} (values such as "
            f"{shown}). Give the layout with --timestamp-format, e.g. '%d/%m/%Y %H:%M'."
        )
    # Layouts that read as many values as the best one; the remaining values are unreadable
    # and get rejected row by row.
    fitting = [layout for layout in layouts if counts[layout] == best]
    if len(fitting) > 1:
        fitting = _drop_equivalent(con, fitting, zone)
    if len(fitting) > 1:
        fitting = _narrow_on_full_column(con, table, text, fitting, zone)
    if len(fitting) > 1:
        disagreeing = _disagreeing_value(con, fitting[0], fitting[1], zone)
        options = " or ".join(repr(f) for f in fitting if f != ISO)
        raise InputError(
            f"{source}: timestamps in column {column!r} are ambiguous: a value such as "
            f"{disagreeing!r} "
            f"reads as different dates with {options}. servflow does not guess: pass "
            "--timestamp-format with the right layout."
        )
    layout = fitting[0]
    return TimestampPlan(column, _expression(text, layout, zone), layout, zone)


def _drop_equivalent(con: duckdb.DuckDBPyConnection, layouts: list[str], zone: str) -> list[str]:
    """Keep one layout of each group that reads every sample value identically."""
    kept: list[str] = []
    for layout in layouts:
        if not any(_agree(con, layout, other, zone) for other in kept):
            kept.append(layout)
    return kept


def _agree(con: duckdb.DuckDBPyConnection, a: str, b: str, zone: str) -> bool:
    return _disagreeing_value(con, a, b, zone) is None


def _disagreeing_value(con: duckdb.DuckDBPyConnection, a: str, b: str, zone: str) -> str | None:
    row = one(
        con,
        f"SELECT v FROM sf_ts_sample WHERE ({_expression('v', a, zone)}) "
        f"IS DISTINCT FROM ({_expression('v', b, zone)}) LIMIT 1",
    )
    return None if row is None else str(row[0])


def _narrow_on_full_column(
    con: duckdb.DuckDBPyConnection, table: str, text: str, layouts: list[str], zone: str
) -> list[str]:
    """The sample could not decide: count readable values over the whole column."""
    counts = {
        layout: _scalar(
            con, f"SELECT count({_expression(text, layout, zone)}) FROM {quote_ident(table)}"
        )
        for layout in layouts
    }
    best = max(counts.values())
    return [layout for layout in layouts if counts[layout] == best]


def _scalar(con: duckdb.DuckDBPyConnection, query: str) -> int:
    row = one(con, query)
    return int(row[0]) if row and row[0] is not None else 0
