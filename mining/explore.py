"""Read-only look-ups for exploring a stored log: filter choices, weekly trends, the tickets
behind a finding and the events of one ticket.

These are what an interactive reader (the dashboard) needs beside the analyses themselves; they
read the stored tables (or the filtered views of `mining.filters`) and return frozen
dataclasses. They never write to the database, so they run on a read-only snapshot.

>>> import tempfile, pathlib
>>> from mining import store
>>> from mining.ingest import ingest_file
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "t.csv").write_text(
...     "case,activity,time,channel,team\\n1,A,2024-01-01 08:00,app,desk\\n"
...     "1,B,2024-01-01 09:00,app,field\\n1,A,2024-01-01 10:00,app,desk\\n"
...     "2,A,2024-01-01 08:30,web,desk\\n2,B,2024-01-02 10:30,web,desk\\n")
>>> with store.connect(folder / "db.duckdb") as con:
...     _ = ingest_file(con, folder / "t.csv")
...     log_id = store.log_id_for(con, "t")
...     found = drill_down(con, log_id, CaseSelection.edge("A", "B"))
...     repeated = drill_down(con, log_id, CaseSelection.repeated("A"))
...     values = case_attribute_values(con, log_id)
...     teams = team_values(con, log_id)
>>> (found.total, [c.case_id for c in found.cases], [c.case_id for c in repeated.cases])
(2, ['2', '1'], ['1'])
>>> [(v.attribute, v.values) for v in values], teams
([('channel', (('app', 1), ('web', 1)))], (('desk', 2), ('field', 1)))
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import duckdb

from mining import store
from mining.errors import InputError
from mining.filters import LogFilter, apply_filter, json_path

__all__ = [
    "AttributeValues",
    "CaseEvent",
    "CaseSelection",
    "CaseSummary",
    "DrillDown",
    "RunInfo",
    "SourcePreview",
    "WeekTrend",
    "case_attribute_values",
    "case_events",
    "drill_down",
    "list_runs",
    "preview_source",
    "team_values",
    "weekly_trend",
]

SelectionKind = Literal["edge", "repeated", "pingpong", "variant", "case_ids", "longer_than"]


@dataclass(frozen=True, slots=True)
class AttributeValues:
    """A case attribute and its most frequent values with their case counts."""

    attribute: str
    values: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class WeekTrend:
    """Cases started in one week (Monday 00:00 UTC) and their lead times (seconds)."""

    week: datetime
    cases: int
    median_lead_time_s: float | None
    p90_lead_time_s: float | None


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One event of a case, in case order."""

    seq: int
    activity: str
    ts: datetime
    start_ts: datetime | None
    resource: str | None
    team: str | None
    lifecycle: str | None


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """A case behind a finding: its span, lead time so far, and where it is now."""

    case_id: str
    n_events: int
    start: datetime
    end: datetime
    lead_time_s: float
    last_activity: str | None


@dataclass(frozen=True, slots=True)
class DrillDown:
    """The cases a selection finds: how many in all, and the first `limit` of them."""

    total: int
    cases: tuple[CaseSummary, ...]


@dataclass(frozen=True, slots=True)
class RunInfo:
    """A stored mining run of a log; `stale` when loads arrived after it."""

    run_id: int
    started_at: datetime
    as_of: datetime | None
    cases: int
    events: int
    stale: bool


@dataclass(frozen=True, slots=True)
class CaseSelection:
    """Which cases a finding is about. Build one with the named constructors."""

    kind: SelectionKind
    labels: tuple[str, ...] = ()
    level: str = "activity"
    attribute: str | None = None
    value: str | None = None
    seconds: float = 0.0
    as_of: datetime | None = None

    @staticmethod
    def edge(source: str, target: str) -> CaseSelection:
        """Cases in which `target` directly follows `source` (a hand-over or bottleneck)."""
        return CaseSelection("edge", (source, target))

    @staticmethod
    def repeated(activity: str) -> CaseSelection:
        """Cases that do `activity` more than once (rework)."""
        return CaseSelection("repeated", (activity,))

    @staticmethod
    def pingpong(first: str, second: str, level: str = "activity") -> CaseSelection:
        """Cases bouncing first -> second -> first, between activities or teams."""
        if level not in ("activity", "team"):
            raise ValueError(f"ping-pong level must be 'activity' or 'team', not {level!r}")
        return CaseSelection("pingpong", (first, second), level=level)

    @staticmethod
    def variant(activities: tuple[str, ...]) -> CaseSelection:
        """Cases following exactly this sequence of activities."""
        return CaseSelection("variant", tuple(activities))

    @staticmethod
    def case_ids(ids: tuple[str, ...], last_activity: str | None = None) -> CaseSelection:
        """These cases (e.g. the stalled cases of a mining run); with `last_activity`, only
        those whose last activity it is (where they stalled)."""
        return CaseSelection("case_ids", tuple(ids), value=last_activity)

    @staticmethod
    def longer_than(
        seconds: float,
        attribute: str | None = None,
        value: str | None = None,
        *,
        as_of: datetime | None = None,
        end_activities: tuple[str, ...] = (),
    ) -> CaseSelection:
        """Cases (with `attribute` = `value`) whose lead time exceeds `seconds`: the SLA
        breaches of a ticket type. With `as_of`, cases that did not end at one of
        `end_activities` are measured up to `as_of`, as `breakpoints.find_sla_breaches` does."""
        return CaseSelection(
            "longer_than",
            tuple(end_activities),
            attribute=attribute,
            value=value,
            seconds=seconds,
            as_of=as_of,
        )


@dataclass(frozen=True, slots=True)
class SourcePreview:
    """What ingest would read from a file: its format, columns and the detected mapping."""

    format: str
    rows: int
    columns: tuple[str, ...]
    detected: dict[str, str | None]


def case_attribute_values(
    con: duckdb.DuckDBPyConnection, log_id: int, *, max_distinct: int = 200, max_values: int = 50
) -> tuple[AttributeValues, ...]:
    """Case attributes with at most `max_distinct` values, each with its top `max_values`."""
    rows = store.run_sql(
        con,
        "explore_case_attribute_values",
        log_id=log_id,
        max_distinct=max_distinct,
        max_values=max_values,
    ).fetchall()
    grouped: dict[str, list[tuple[str, int]]] = {}
    for attribute, value, cases in rows:
        grouped.setdefault(str(attribute), []).append((str(value), int(cases)))
    return tuple(AttributeValues(a, tuple(v)) for a, v in grouped.items())


def team_values(
    con: duckdb.DuckDBPyConnection, log_id: int, *, max_values: int = 500
) -> tuple[tuple[str, int], ...]:
    """The log's teams, each with the number of cases it did an event in (most first); the
    choices of `LogFilter.teams`."""
    rows = store.run_sql(
        con, "explore_team_values", log_id=log_id, max_values=max_values
    ).fetchall()
    return tuple((str(team), int(cases)) for team, cases in rows)


def weekly_trend(
    con: duckdb.DuckDBPyConnection, log_id: int, *, flt: LogFilter | None = None
) -> tuple[WeekTrend, ...]:
    """Cases per start week of the filtered log with their median and P90 lead time."""
    apply_filter(con, log_id, flt)
    rows = store.run_sql(con, "explore_weekly_trend").fetchall()
    return tuple(
        WeekTrend(r[0], int(r[1]), _float(r[2]), _float(r[3])) for r in rows if r[0] is not None
    )


def case_events(con: duckdb.DuckDBPyConnection, log_id: int, case_id: str) -> tuple[CaseEvent, ...]:
    """The events of case `case_id` in order (empty if there is no such case)."""
    rows = store.run_sql(con, "explore_case_events", log_id=log_id, case_id=case_id).fetchall()
    return tuple(CaseEvent(int(r[0]), str(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows)


def drill_down(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    selection: CaseSelection,
    *,
    flt: LogFilter | None = None,
    limit: int = 200,
) -> DrillDown:
    """The cases of the filtered log that `selection` finds, longest lead time first."""
    apply_filter(con, log_id, flt)
    kind = selection.kind
    if kind == "edge":
        source, target = selection.labels
        store.run_sql(con, "explore_select_edge", source=source, target=target)
    elif kind == "repeated":
        store.run_sql(con, "explore_select_repeated", activity=selection.labels[0])
    elif kind == "pingpong":
        first, second = selection.labels
        store.run_sql(
            con, "explore_select_pingpong", first=first, second=second, level=selection.level
        )
    elif kind == "variant":
        store.run_sql(
            con, "explore_select_variant", log_id=log_id, activities=list(selection.labels)
        )
    elif kind == "case_ids":
        store.run_sql(
            con,
            "explore_select_case_ids",
            case_ids=list(selection.labels),
            activity=selection.value,
        )
    else:
        store.run_sql(
            con,
            "explore_select_longer_than",
            attribute=selection.attribute,
            path=json_path(selection.attribute or ""),
            value=selection.value,
            seconds=selection.seconds,
            as_of=selection.as_of,
            end_activities=list(selection.labels),
        )
    total = store.run_sql(con, "explore_drill_count").fetchall()[0][0]
    rows = store.run_sql(con, "explore_drill_cases", limit=int(limit)).fetchall()
    return DrillDown(
        int(total),
        tuple(CaseSummary(str(r[0]), int(r[1]), r[2], r[3], float(r[4]), r[5]) for r in rows),
    )


def list_runs(con: duckdb.DuckDBPyConnection, log_id: int) -> tuple[RunInfo, ...]:
    """The stored mining runs of a log, newest first."""
    rows = store.run_sql(con, "explore_run_info", log_id=log_id).fetchall()
    return tuple(RunInfo(int(r[0]), r[1], r[2], int(r[3]), int(r[4]), bool(r[5])) for r in rows)


def preview_source(
    path: str | os.PathLike[str], *, fmt: str | None = None, delimiter: str | None = None
) -> SourcePreview:
    """Read a file the way ingest does and tell its columns and the mapping ingest would use.

    Raises the same `InputError` as ingest for a file it cannot read.
    """
    from mining.ingest.mapping import resolve_mapping
    from mining.ingest.readers import detect_format, read_source

    source = Path(path)
    chosen = fmt or detect_format(source)
    with store.connect_memory() as con:
        read = read_source(con, source, chosen, delimiter=delimiter)
    try:
        detected = resolve_mapping(read.columns, {}, str(source)).as_dict()
    except InputError:  # a required column not recognised: the person maps it by hand
        detected = {}
    return SourcePreview(chosen, read.rows, read.columns, detected)


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
