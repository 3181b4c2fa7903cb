"""Profiling the unmapped columns of `sf_raw`: case or event attribute, and placeholders.

A column is a case attribute when it is constant and present on every event of each case (or
never filled); every other unmapped column is an event attribute. Placeholder values for
missing data (`?`, `NA`, `N/A`, `NULL`, `-` ...) in the resource, team and attribute columns
count as missing: they neither become a team called '?' nor make a column vary within a case,
and how many there were is reported. Case ids and activities are never touched.

Narrow files are profiled with one aggregate per column; files with many columns (wide CRM
dumps) are unpivoted once instead, which keeps a 10,000-column file at seconds, where one
aggregate per column would take minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from mining.ingest.timestamps import quote_ident, quote_literal
from mining.settings import DEFAULT_MISSING_VALUES

__all__ = [
    "DEFAULT_MISSING_VALUES",
    "WIDE_COLUMNS",
    "ColumnProfile",
    "case_profile_sql",
    "profile_columns",
    "wide_attributes_sql",
    "without_placeholders",
]

# Above this many attribute columns the profile unpivots instead of aggregating per column.
WIDE_COLUMNS = 64


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    """Which unmapped columns are case attributes, which event attributes, and the
    placeholder values found per column (column -> (count, distinct placeholder values))."""

    case_columns: tuple[str, ...]
    event_columns: tuple[str, ...]
    placeholders: tuple[tuple[str, int, tuple[str, ...]], ...] = ()
    # columns profiled per case into the temp table `sf_case_profile` (see `case_profile_sql`)
    profiled: tuple[str, ...] = ()


def without_placeholders(column: str, missing_values: tuple[str, ...]) -> str:
    """SQL for `column` with placeholder values (compared after trimming) as NULL."""
    ident = quote_ident(column)
    if not missing_values:
        return ident
    return (
        f"CASE WHEN {_is_placeholder(f'CAST({ident} AS VARCHAR)', missing_values)} "
        f"THEN NULL ELSE {ident} END"
    )


def _is_placeholder(text: str, missing_values: tuple[str, ...]) -> str:
    """SQL: is the VARCHAR expression `text`, trimmed, one of `missing_values`. Only values
    no longer than the longest placeholder are compared with the list: the length test costs
    far less than the comparisons, and almost every value of a column fails it."""
    longest = max(len(v.encode("utf-8")) for v in missing_values)
    return (
        f"CASE WHEN strlen(trim({text})) <= {longest} "
        f"THEN trim({text}) IN ({_listing(missing_values)}) ELSE false END"
    )


def _listing(values: tuple[str, ...]) -> str:
    return ", ".join(quote_literal(v) for v in values)


def profile_columns(
    con: duckdb.DuckDBPyConnection,
    case_column: str,
    attribute_columns: list[str],
    role_columns: list[str],
    missing_values: tuple[str, ...],
    *,
    split: bool = True,
) -> ColumnProfile:
    """Profile `attribute_columns` (split into case/event attributes when `split`) and count
    placeholders in them and in `role_columns` (resource, team)."""
    if len(attribute_columns) > WIDE_COLUMNS:
        constant, placeholders = _profile_wide(
            con, case_column, attribute_columns, role_columns, missing_values, split
        )
    else:
        constant, placeholders = _profile_narrow(
            con, case_column, attribute_columns, role_columns, missing_values, split
        )
    case_cols = tuple(c for c in attribute_columns if constant.get(c, False))
    narrow = split and 0 < len(attribute_columns) <= WIDE_COLUMNS
    return ColumnProfile(
        case_cols,
        tuple(c for c in attribute_columns if c not in case_cols),
        tuple(p for p in placeholders if p[1] > 0),
        tuple(attribute_columns) if narrow else (),
    )


def _profile_narrow(
    con: duckdb.DuckDBPyConnection,
    case_column: str,
    columns: list[str],
    role_columns: list[str],
    missing: tuple[str, ...],
    split: bool,
) -> tuple[dict[str, bool], list[tuple[str, int, tuple[str, ...]]]]:
    # placeholders first (a count per column), then their values and the split, cleaning only
    # the columns that hold any: most exports have none, and the scan stays plain
    placeholders: list[tuple[str, int, tuple[str, ...]]] = []
    counted = role_columns + columns
    if missing and counted:
        hits = [_is_placeholder(f"CAST({quote_ident(c)} AS VARCHAR)", missing) for c in counted]
        row = (
            con.execute(
                "SELECT " + ", ".join(f"count(*) FILTER (WHERE {h})" for h in hits) + " FROM sf_raw"
            ).fetchone()
            or ()
        )
        dirty = [(c, h, int(n or 0)) for c, h, n in zip(counted, hits, row, strict=True) if n]
        if dirty:
            values = (
                con.execute(
                    "SELECT "
                    + ", ".join(
                        f"list(DISTINCT trim(CAST({quote_ident(c)} AS VARCHAR))) FILTER (WHERE {h})"
                        for c, h, _ in dirty
                    )
                    + " FROM sf_raw"
                ).fetchone()
                or ()
            )
            placeholders = [
                (c, n, tuple(sorted(v or ()))) for (c, _, n), v in zip(dirty, values, strict=True)
            ]
    constant: dict[str, bool] = {}
    if split and columns:
        cleaned = {c for c, _, _ in placeholders}
        # One pass groups the rows by case, keeping per column its smallest and largest value
        # and how often it is filled: min = max (or all null) is "constant", without the cost of
        # count(DISTINCT ...), and the case attributes are later taken from the same table
        # instead of grouping the file a second time.
        parts = []
        for i, c in enumerate(columns):
            v = without_placeholders(c, missing if c in cleaned else ())
            parts += [f"min({v}) AS __min{i}", f"max({v}) AS __max{i}", f"count({v}) AS __n{i}"]
        case = quote_ident(case_column)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE sf_case_profile AS "
            f"SELECT NULLIF(trim(CAST({case} AS VARCHAR)), '') AS __case_id, "
            f"count(*) AS __rows, {', '.join(parts)} FROM sf_raw GROUP BY {case}"
        )
        flags = con.execute(
            "SELECT "
            + ", ".join(
                f"bool_and((__min{i} = __max{i} AND __n{i} = __rows) OR __n{i} = 0)"
                for i in range(len(columns))
            )
            + " FROM sf_case_profile"
        ).fetchone()
        constant = dict(zip(columns, flags or [False] * len(columns), strict=True))
    return constant, placeholders


def case_profile_sql(profiled: tuple[str, ...], columns: tuple[str, ...]) -> str:
    """SELECT case_id, one column per name in `columns` (a subset of `profiled`): each case's
    value of these case attributes, from `sf_case_profile` (constant columns: min is the value,
    placeholders already read as missing)."""
    firsts = "".join(f", any_value(__min{profiled.index(c)}) AS {quote_ident(c)}" for c in columns)
    return (
        f"SELECT __case_id AS case_id{firsts} FROM sf_case_profile "
        "WHERE __case_id IS NOT NULL GROUP BY __case_id"
    )


def _profile_wide(
    con: duckdb.DuckDBPyConnection,
    case_column: str,
    columns: list[str],
    role_columns: list[str],
    missing: tuple[str, ...],
    split: bool,
) -> tuple[dict[str, bool], list[tuple[str, int, tuple[str, ...]]]]:
    counted = role_columns + columns
    hit = _is_placeholder("value", missing) if missing else "false"
    rows = con.execute(
        f"""
        SELECT name, bool_and(ok), sum(hits), list_distinct(flatten(list(seen)))
        FROM (
            SELECT name,
                   (min(v) = max(v) AND count(v) = count(*)) OR count(v) = 0 AS ok,
                   count(*) FILTER (WHERE is_hit) AS hits,
                   coalesce(list(DISTINCT trim(value)) FILTER (WHERE is_hit), []) AS seen
            FROM (
                SELECT __sf_key, name, value, {hit} AS is_hit,
                       CASE WHEN {hit} THEN NULL ELSE value END AS v
                FROM ({_unpivoted(con, quote_ident(case_column), counted)})
            )
            GROUP BY __sf_key, name
        )
        GROUP BY name
        """
    ).fetchall()
    by_name = {
        name: (ok, int(hits or 0), tuple(sorted(seen or ()))) for name, ok, hits, seen in rows
    }
    constant = {c: bool(by_name[c][0]) for c in columns if split and c in by_name}
    placeholders = [(c, by_name[c][1], by_name[c][2]) for c in counted if c in by_name]
    return constant, placeholders


def _unpivoted(
    con: duckdb.DuckDBPyConnection, key: str, columns: list[str] | tuple[str, ...]
) -> str:
    """SQL of (__sf_key, name, value): one row per row of `sf_raw` and column, NULLs included,
    values as text. Only non-text columns get a cast: plain column references stay cheap."""
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE sf_raw)").fetchall())
    select = ", ".join(
        quote_ident(c)
        if types.get(c) == "VARCHAR"
        else f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}"
        for c in columns
    )
    return (
        f"SELECT * FROM (SELECT {key} AS __sf_key, {select} FROM sf_raw) "
        "UNPIVOT INCLUDE NULLS (value FOR name IN (COLUMNS(* EXCLUDE (__sf_key))))"
    )


def wide_attributes_sql(
    con: duckdb.DuckDBPyConnection,
    key: str,
    columns: tuple[str, ...],
    missing: tuple[str, ...],
    *,
    per_key: bool,
) -> str:
    """SELECT __sf_key, __sf_attributes: the JSON object of `columns` per `key` (an SQL expression over
    `sf_raw`), built from the unpivoted columns; one expression per column would make DuckDB's
    planner crawl on thousands of columns. Values are text; `per_key` takes one value per key
    (case attributes, constant within the case)."""
    hit = f"OR {_is_placeholder('value', missing)}" if missing else ""
    long = f"""
        SELECT __sf_key AS __key,
               CASE WHEN starts_with(name, 'case:') THEN name[6:] ELSE name END AS name,
               CASE WHEN false {hit} THEN NULL ELSE value END AS value
        FROM ({_unpivoted(con, key, columns)})
    """
    if per_key:
        long = f"SELECT __key, name, any_value(value) AS value FROM ({long}) GROUP BY __key, name"
    return (
        "SELECT __key AS __sf_key, json_group_object(name, value) AS __sf_attributes "
        f"FROM ({long}) GROUP BY __key"
    )
