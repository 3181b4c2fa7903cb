"""Filters shared by every analysis: which cases, and which of their events, to look at.

`apply_filter` defines two temporary views on the connection, with the columns of the stored
tables, that every mining query reads:

- `sf_cases`  : the selected cases (columns of `cases`);
- `sf_events` : their events (columns of `events`); when the filter keeps only some activities,
  `seq` and the `next_*` columns are recomputed over the kept events, so directly-follows
  relations are those of the projected log (as pm4py's activity filters do).

A filter is stored with a mining run as JSON (`filter_to_json`, read back by `filter_from_json`).

Within `shared_selection(con, log_id, flt)` (a mining run: every section reads the same
selection) the views are defined once, and the tables several sections read (case facts,
activity times, hand-overs ...) are built by the first section that needs them and reused by
the others (`build_once`); they are dropped when the block ends. Outside it, every call builds
what it reads.

>>> flt = LogFilter(case_attributes=(("channel", ("app", "hotline")),), variants_top_k=10)
>>> flt.is_empty
False
>>> by_team = LogFilter(teams=("二线支撑",))
>>> filter_to_json(by_team)["teams"], filter_from_json(filter_to_json(by_team)) == by_team
(['二线支撑'], True)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import duckdb

__all__ = [
    "LogFilter",
    "apply_filter",
    "build_once",
    "filter_from_json",
    "filter_to_json",
    "json_path",
    "release",
    "shared_selection",
]

TimeMode = Literal["started", "completed", "contained", "intersecting"]


@dataclass(frozen=True)
class LogFilter:
    """Which part of a log to analyse. The default selects everything.

    - `start`/`end` (UTC): a time window, applied per case by `time_mode`: cases that
      `started` in it, `completed` in it, are `contained` in it, or `intersecting` it.
    - `case_attributes`: (attribute, allowed values) pairs; a case must match all of them.
    - `variants_top_k` / `variant_coverage`: keep the k most frequent variants, or the most
      frequent variants covering at least this share of the (otherwise filtered) cases.
    - `teams` / `resources`: keep the cases in which at least one event was done by one of
      these teams (resources); a case must match both when both are given. The cases are kept
      whole: their events by other teams (resources) stay, so the flows, waits and hand-overs
      of those cases are complete. Empty: no selection by team (resource).
    - `activities` / `exclude_activities`: keep only / drop these activity labels (a projection:
      the cases stay, their other events go).

    Cases are selected by period, case attributes, teams and resources first; the variant
    selection then ranks the variants among those cases; the activity projection comes last
    (a team selection looks at all events of a case, also those the projection drops).

    >>> LogFilter(teams=("一线客服",)).selects_cases
    True
    """

    start: datetime | None = None
    end: datetime | None = None
    time_mode: TimeMode = "started"
    case_attributes: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)
    variants_top_k: int | None = None
    variant_coverage: float | None = None
    activities: tuple[str, ...] | None = None
    exclude_activities: tuple[str, ...] | None = None
    teams: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self == LogFilter()

    @property
    def selects_cases(self) -> bool:
        return bool(
            self.start
            or self.end
            or self.case_attributes
            or self.teams
            or self.resources
            or self.variants_top_k is not None
            or self.variant_coverage is not None
        )

    @property
    def projects_activities(self) -> bool:
        return self.activities is not None or self.exclude_activities is not None


def filter_to_json(flt: LogFilter | None) -> dict[str, Any]:
    """`flt` as JSON-ready data, as `mining_runs.filter` stores it: an empty object for the
    whole log; `teams` and `resources` only when they select, so filters without them are
    stored as before they existed (and still match the runs stored then)."""
    if flt is None or flt.is_empty:
        return {}
    data: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(flt), default=str))
    for key in ("teams", "resources"):
        if not data.get(key):
            data.pop(key, None)
    return data


def filter_from_json(data: dict[str, Any] | None) -> LogFilter | None:
    """The filter `filter_to_json` gave (None for the whole log).

    >>> filter_from_json({"case_attributes": [["channel", ["微信"]]]}).case_attributes
    (('channel', ('微信',)),)
    """
    if not data:
        return None

    def when(value: Any) -> datetime | None:
        return datetime.fromisoformat(str(value)) if value else None

    def names(value: Any) -> tuple[str, ...] | None:
        return tuple(str(v) for v in value) if value is not None else None

    flt = LogFilter(
        start=when(data.get("start")),
        end=when(data.get("end")),
        time_mode=data.get("time_mode") or "started",
        case_attributes=tuple(
            (str(key), tuple(str(v) for v in values))
            for key, values in data.get("case_attributes") or ()
        ),
        variants_top_k=data.get("variants_top_k"),
        variant_coverage=data.get("variant_coverage"),
        activities=names(data.get("activities")),
        exclude_activities=names(data.get("exclude_activities")),
        teams=names(data.get("teams")) or (),
        resources=names(data.get("resources")) or (),
    )
    return None if flt.is_empty else flt


@dataclass
class _Shared:
    """The selection of a `shared_selection` block on one connection."""

    key: tuple[int, LogFilter]
    views: tuple[int, LogFilter]  # whose views are defined now
    valid: bool = True  # False once the block's views were replaced by another selection's
    built: dict[str, Hashable] = field(default_factory=dict)  # shared table -> what it holds


# Connections (by id) inside a shared_selection block; an entry lives only while its block runs.
_SHARED: dict[int, _Shared] = {}
_NOT_BUILT = object()


def _key(log_id: int, flt: LogFilter | None) -> tuple[int, LogFilter]:
    return int(log_id), flt or LogFilter()


@contextmanager
def shared_selection(
    con: duckdb.DuckDBPyConnection, log_id: int, flt: LogFilter | None = None
) -> Iterator[None]:
    """Analyse `log_id` under `flt` with the filter applied once and shared tables reused.

    Nothing may change the log's stored events or cases inside the block. A block inside a
    block on the same selection shares the outer one's tables.

    >>> import tempfile, pathlib
    >>> from mining import store
    >>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
    >>> with shared_selection(con, 1):
    ...     build_once(con, 1, None, "sf_example", lambda: con.execute(
    ...         "CREATE TEMP TABLE sf_example AS SELECT 42 AS answer"))
    ...     build_once(con, 1, None, "sf_example", lambda: 1 / 0)   # reused, not rebuilt
    True
    True
    >>> con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'sf_example'").fetchall()
    [(0,)]
    """
    key = _key(log_id, flt)
    previous = _SHARED.get(id(con))
    if previous is not None and previous.valid and previous.key == previous.views == key:
        yield  # inside a block on the same selection already: share its tables
        return
    _SHARED.pop(id(con), None)
    apply_filter(con, log_id, flt)
    state = _Shared(key=key, views=key)
    _SHARED[id(con)] = state
    try:
        yield
    finally:
        del _SHARED[id(con)]
        for name in state.built:
            con.execute(f"DROP TABLE IF EXISTS {name}")
        if previous is not None:
            previous.valid = False
            _SHARED[id(con)] = previous


def sharing(con: duckdb.DuckDBPyConnection, log_id: int, flt: LogFilter | None) -> bool:
    """True inside a `shared_selection` block on this selection (tables built there are kept)."""
    state = _SHARED.get(id(con))
    return state is not None and state.valid and state.key == state.views == _key(log_id, flt)


def build_once(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    flt: LogFilter | None,
    tables: str | tuple[str, ...],
    build: Callable[[], object],
    version: Hashable = None,
) -> bool:
    """Build the temp table(s) `tables` of the selection with `build()`, unless a section of
    the same `shared_selection` block built them already (with the same `version`: the
    parameters they depend on). True when they are kept for the sections after (inside such a
    block; they are dropped when it ends)."""
    state = _SHARED.get(id(con))
    names = (tables,) if isinstance(tables, str) else tables
    if state is None or not sharing(con, log_id, flt):
        build()
        return False
    if any(state.built.get(name, _NOT_BUILT) != version for name in names):
        build()
        state.built.update(dict.fromkeys(names, version))
    return True


def release(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop the temp table `table` now (a large table no section after needs)."""
    state = _SHARED.get(id(con))
    if state is not None:
        state.built.pop(table, None)
    con.execute(f"DROP TABLE IF EXISTS {table}")


def apply_filter(con: duckdb.DuckDBPyConnection, log_id: int, flt: LogFilter | None = None) -> None:
    """(Re)define the temporary views `sf_cases` and `sf_events` for `log_id` under `flt`."""
    state = _SHARED.get(id(con))
    key = _key(log_id, flt)
    if state is not None and state.views == key:
        return  # defined by this shared_selection block already
    _define_views(con, log_id, flt)
    if state is not None:
        state.views = key
        state.valid = state.valid and key == state.key


def _define_views(con: duckdb.DuckDBPyConnection, log_id: int, flt: LogFilter | None) -> None:
    flt = flt or LogFilter()
    log = int(log_id)  # inlined into view text: an int, never user text
    if flt.selects_cases:
        where, params = _case_conditions(flt, log)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE sf_selected AS "
            f"SELECT case_no, variant FROM cases WHERE log_id = {log} {where}",
            params,
        )
        if flt.variants_top_k is not None or flt.variant_coverage is not None:
            _keep_top_variants(con, flt)
        con.execute(
            "CREATE OR REPLACE TEMP VIEW sf_cases AS SELECT c.* FROM cases c "
            f"SEMI JOIN sf_selected s ON c.case_no = s.case_no WHERE c.log_id = {log}"
        )
        base_events = (
            "SELECT e.* FROM events e SEMI JOIN sf_selected s ON e.case_no = s.case_no "
            f"WHERE e.log_id = {log}"
        )
    else:
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW sf_cases AS SELECT * FROM cases WHERE log_id = {log}"
        )
        base_events = f"SELECT * FROM events WHERE log_id = {log}"

    if not flt.projects_activities:
        con.execute(f"CREATE OR REPLACE TEMP VIEW sf_events AS {base_events}")
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sf_kept_activities AS "
        f"SELECT activity_id FROM activities WHERE log_id = {log}"
        + (" AND list_contains(?, name)" if flt.activities is not None else "")
        + (" AND NOT list_contains(?, name)" if flt.exclude_activities is not None else ""),
        [list(x) for x in (flt.activities, flt.exclude_activities) if x is not None],
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW sf_events AS
        SELECT * REPLACE (
                   (row_number() OVER w - 1)::INTEGER AS seq,
                   lead(activity_id) OVER w AS next_activity_id,
                   lead(ts) OVER w AS next_ts,
                   lead(team_id) OVER w AS next_team_id,
                   lead(resource_id) OVER w AS next_resource_id,
                   lead(start_ts) OVER w AS next_start_ts)
        FROM ({base_events}) e
        SEMI JOIN sf_kept_activities k ON e.activity_id = k.activity_id
        WINDOW w AS (PARTITION BY case_no ORDER BY seq)
        """
    )


def json_path(key: str) -> str:
    """A JSONPath selecting the top-level key `key` exactly, whatever characters it holds.

    >>> json_path('渠道 "A"')
    '$."渠道 \\\\"A\\\\""'
    """
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _case_conditions(flt: LogFilter, log: int) -> tuple[str, list[Any]]:
    parts: list[str] = []
    params: list[Any] = []
    if flt.start or flt.end:
        lo = flt.start.replace(tzinfo=None) if flt.start else datetime.min
        hi = flt.end.replace(tzinfo=None) if flt.end else datetime.max
        column = {
            "started": ("start_ts", "start_ts"),
            "completed": ("end_ts", "end_ts"),
            "contained": ("start_ts", "end_ts"),
            "intersecting": ("end_ts", "start_ts"),
        }[flt.time_mode]
        parts.append(f"{column[0]} >= ? AND {column[1]} <= ?")
        params += [lo, hi]
    for attribute, values in flt.case_attributes:
        parts.append("list_contains(?, attributes ->> ?)")
        params += [list(values), json_path(attribute)]
    # a case with at least one event by one of the named teams (resources); its events stay whole
    for names, table, key in (
        (flt.teams, "teams", "team_id"),
        (flt.resources, "resources", "resource_id"),
    ):
        if names:
            parts.append(
                f"case_no IN (SELECT e.case_no FROM events e WHERE e.log_id = {log} "
                f"AND e.{key} IN (SELECT {key} FROM {table} "
                f"WHERE log_id = {log} AND list_contains(?, name)))"
            )
            params.append(list(names))
    where = "".join(f" AND ({p})" for p in parts)
    return where, params


def _keep_top_variants(con: duckdb.DuckDBPyConnection, flt: LogFilter) -> None:
    # Rank variants among the cases selected so far; ties broken by the variant itself so the
    # result does not depend on scan order.
    ranked = """
        SELECT variant, count(*) AS n,
               row_number() OVER (ORDER BY count(*) DESC, variant) AS rank,
               sum(count(*)) OVER (ORDER BY count(*) DESC, variant
                                   ROWS UNBOUNDED PRECEDING) AS cum,
               sum(count(*)) OVER () AS total
        FROM sf_selected GROUP BY variant
    """
    conditions: list[str] = []
    params: list[Any] = []
    if flt.variants_top_k is not None:
        conditions.append("rank <= ?")
        params.append(int(flt.variants_top_k))
    if flt.variant_coverage is not None:
        # keep a variant while the share covered before it is still below the target
        conditions.append("(cum - n) < ? * total")
        params.append(float(flt.variant_coverage))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sf_selected AS SELECT s.case_no, s.variant FROM sf_selected s "
        f"SEMI JOIN (SELECT variant FROM ({ranked}) WHERE {' AND '.join(conditions)}) v "
        "ON s.variant = v.variant",
        params,
    )
