"""Break points: cases that stalled or fell out of the closed loop, and SLA breaches.

A case is judged by its last event, as of a point in time (`as_of`, by default the log's last
event):

- **ended**: its last activity is an end activity;
- **stalled**: it did not end, and has been idle (from its last event to `as_of`) longer than is
  normal after that activity: the P90 (`quantile`) of the follow-up gap after that activity in
  the cases that did continue, learned from the log (an activity with fewer than `min_samples`
  follow-ups uses the log-wide P90 of all follow-up gaps), or a configured `idle_threshold_s`;
- **open**: neither (still within its normal pace).

**End activities** are learned from the selected cases unless configured: an activity is an end
activity when more than `min_end_ratio` (default half) of its occurrences are the last event of
their case.
Activities where cases finish almost never have successors (a reopened ticket is the exception),
while activities where cases drop out are mostly followed by something: even a break point that
loses a tenth of its cases is followed in the other nine tenths. Counting cases that *end* at an
activity instead would mistake a frequent drop-out point for an end. On a small selection the
ratio rests on few occurrences: configure the end activities there.

The **drop-out rate** of an activity is the share of the cases that reached it whose stalled last
event it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from mining import store
from mining.errors import InputError
from mining.filters import LogFilter
from mining.flows import prepare_case_views

__all__ = [
    "BreakpointReport",
    "BreakpointRow",
    "SlaReport",
    "SlaRow",
    "find_breakpoints",
    "find_end_activities",
    "find_sla_breaches",
]


@dataclass(frozen=True, slots=True)
class BreakpointRow:
    """An activity where cases stall: `stalled_cases` end there and are idle beyond
    `threshold_s` ('learned' from follow-ups after it, 'log-wide', or 'configured');
    `dropout_share` = stalled_cases / `cases_reached` (cases doing the activity at all);
    `case_share` = stalled_cases / all selected cases; `open_cases` end there but are not
    (yet) idle too long."""

    activity: str
    stalled_cases: int
    dropout_share: float
    median_idle_s: float
    threshold_s: float
    threshold_source: str
    cases_reached: int
    open_cases: int
    case_share: float


@dataclass(frozen=True, slots=True)
class BreakpointReport:
    """Stalled cases as of `as_of` (UTC), ranked by stalled cases, then drop-out rate.

    `end_activities` were learned from the log unless `end_activities_configured`.
    `stalled_case_ids` are the log's own case ids, longest idle first.
    """

    as_of: datetime | None
    end_activities: tuple[str, ...]
    end_activities_configured: bool
    cases: int
    ended_cases: int
    open_cases: int
    stalled_cases: int
    rows: tuple[BreakpointRow, ...]
    stalled_case_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SlaRow:
    """Lead time against the target of one ticket type (`ticket_type` None: cases without the
    attribute). `target_s` None: no target for this type and no default, so `breached` and
    `breach_share` are not available. Open cases count with their lead time so far."""

    ticket_type: str | None
    target_s: float | None
    cases: int
    breached: int | None
    breach_share: float | None
    open_cases: int
    open_breached: int | None
    median_lead_time_s: float
    p90_lead_time_s: float


@dataclass(frozen=True, slots=True)
class SlaReport:
    """SLA breaches per ticket type (case attribute `type_attribute`), as of `as_of` (UTC)."""

    as_of: datetime | None
    type_attribute: str
    end_activities: tuple[str, ...]
    cases: int
    breached: int
    rows: tuple[SlaRow, ...]


def find_end_activities(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    min_end_ratio: float = 0.5,
) -> tuple[str, ...]:
    """The activities where cases finish, learned from the log (see the module docstring).

    >>> import tempfile, pathlib
    >>> from mining.ingest import ingest_file, IngestOptions
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.csv").write_text("case,activity,timestamp\\n"
    ...     "1,open,2024-01-01 00:00\\n1,close,2024-01-01 01:00\\n2,open,2024-01-01 02:00\\n")
    >>> con = store.connect(d / "x.duckdb")
    >>> _ = ingest_file(con, d / "t.csv", IngestOptions(log_name="t"))
    >>> find_end_activities(con, store.log_id_for(con, "t"))
    ('close',)
    """
    _check_end_ratio(min_end_ratio)
    prepare_case_views(con, log_id, flt)
    return tuple(name for _, name in _learned_end_activities(con, log_id, min_end_ratio))


def find_breakpoints(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    as_of: datetime | None = None,
    idle_threshold_s: float | None = None,
    end_activities: Sequence[str] | None = None,
    quantile: float = 0.9,
    min_samples: int = 5,
    min_end_ratio: float = 0.5,
) -> BreakpointReport:
    """Stalled cases and the activities where they stall, ranked by stalled cases.

    The log is not cut at `as_of`: a case whose last event lies after it counts as not idle.

    >>> import tempfile, pathlib
    >>> from mining.ingest import ingest_file, IngestOptions
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.csv").write_text("case,activity,timestamp\\n"
    ...     "1,open,2024-01-01 00:00\\n1,close,2024-01-01 01:00\\n2,open,2024-01-01 02:00\\n"
    ...     "3,open,2024-01-02 00:00\\n3,close,2024-01-02 01:00\\n")
    >>> con = store.connect(d / "x.duckdb")
    >>> _ = ingest_file(con, d / "t.csv", IngestOptions(log_name="t"))
    >>> report = find_breakpoints(con, store.log_id_for(con, "t"), idle_threshold_s=3600)
    >>> (report.stalled_case_ids, report.rows[0].activity, report.rows[0].dropout_share)
    (('2',), 'open', 0.3333333333333333)
    """
    when = _status(
        con,
        log_id,
        flt,
        as_of=as_of,
        idle_threshold_s=idle_threshold_s,
        end_activities=end_activities,
        quantile=quantile,
        min_samples=min_samples,
        min_end_ratio=min_end_ratio,
    )
    rows = tuple(
        BreakpointRow(
            activity=activity,
            stalled_cases=int(stalled),
            dropout_share=float(dropout),
            median_idle_s=float(median_idle),
            threshold_s=float(threshold),
            threshold_source=str(source),
            cases_reached=int(reached),
            open_cases=int(open_cases),
            case_share=float(case_share),
        )
        for (
            activity,
            stalled,
            dropout,
            median_idle,
            threshold,
            source,
            reached,
            open_cases,
            case_share,
        ) in con.execute(store.sql("breakpoint_by_activity"), {"log_id": int(log_id)}).fetchall()
    )
    n_cases, ended, stalled = con.execute(store.sql("breakpoint_case_totals")).fetchall()[0]
    ids = con.execute(store.sql("breakpoint_stalled_cases")).fetchall()
    return BreakpointReport(
        as_of=when.as_of,
        end_activities=when.end_activities,
        end_activities_configured=end_activities is not None,
        cases=n_cases,
        ended_cases=ended,
        open_cases=n_cases - ended - stalled,
        stalled_cases=stalled,
        rows=rows,
        stalled_case_ids=tuple(str(r[0]) for r in ids),
    )


def find_sla_breaches(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    targets: Mapping[str, float],
    type_attribute: str,
    default_target_s: float | None = None,
    flt: LogFilter | None = None,
    as_of: datetime | None = None,
    end_activities: Sequence[str] | None = None,
    min_end_ratio: float = 0.5,
) -> SlaReport:
    """Cases over their ticket type's lead-time target (seconds), per type.

    Cases that have not ended (see `find_breakpoints`) are measured up to `as_of`.

    >>> import tempfile, pathlib
    >>> from mining.ingest import ingest_file, IngestOptions
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.csv").write_text("case,activity,timestamp,kind\\n"
    ...     "1,open,2024-01-01 00:00,fault\\n1,close,2024-01-01 05:00,fault\\n"
    ...     "2,open,2024-01-01 00:00,query\\n2,close,2024-01-01 01:00,query\\n")
    >>> con = store.connect(d / "x.duckdb")
    >>> _ = ingest_file(con, d / "t.csv", IngestOptions(log_name="t"))
    >>> report = find_sla_breaches(con, store.log_id_for(con, "t"),
    ...                            targets={"fault": 4 * 3600.0}, type_attribute="kind")
    >>> [(r.ticket_type, r.cases, r.breached) for r in report.rows]
    [('fault', 1, 1), ('query', 1, None)]
    """
    for name, seconds in targets.items():
        if not isinstance(seconds, int | float) or seconds < 0:
            raise InputError(f"SLA target for {name!r} must be a number of seconds >= 0.")
    if default_target_s is not None and default_target_s < 0:
        raise InputError("default_target_s must be a number of seconds >= 0.")
    when = _status(
        con,
        log_id,
        flt,
        as_of=as_of,
        idle_threshold_s=None,
        end_activities=end_activities,
        quantile=0.9,
        min_samples=5,
        min_end_ratio=min_end_ratio,
    )
    keys = dict(con.execute(store.sql("breakpoint_case_attribute_keys")).fetchall())
    if type_attribute not in keys:
        known = ", ".join(sorted(keys)) or "none"
        raise InputError(
            f"No selected case has the attribute {type_attribute!r} (case attributes: {known}). "
            "Name the attribute that holds the ticket type with --sla-attribute "
            "(type_attribute in Python)."
        )
    params: dict[str, Any] = {
        "attribute": type_attribute,
        "types": list(targets),
        "targets_s": [float(v) for v in targets.values()],
        "default_target_s": default_target_s,
        "as_of": when.as_of,
    }
    rows = []
    for ticket_type, target, cases, breached, open_cases, open_breached, median, p90 in con.execute(
        store.sql("breakpoint_sla_by_type"), params
    ).fetchall():
        has_target = target is not None
        rows.append(
            SlaRow(
                ticket_type=ticket_type,
                target_s=float(target) if has_target else None,
                cases=int(cases),
                breached=int(breached) if has_target else None,
                breach_share=breached / cases if has_target else None,
                open_cases=int(open_cases),
                open_breached=int(open_breached) if has_target else None,
                median_lead_time_s=float(median),
                p90_lead_time_s=float(p90),
            )
        )
    return SlaReport(
        as_of=when.as_of,
        type_attribute=type_attribute,
        end_activities=when.end_activities,
        cases=sum(r.cases for r in rows),
        breached=sum(r.breached or 0 for r in rows),
        rows=tuple(rows),
    )


@dataclass(frozen=True, slots=True)
class _Judged:
    as_of: datetime | None
    end_activities: tuple[str, ...]


def _status(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    flt: LogFilter | None,
    *,
    as_of: datetime | None,
    idle_threshold_s: float | None,
    end_activities: Sequence[str] | None,
    quantile: float,
    min_samples: int,
    min_end_ratio: float,
) -> _Judged:
    """Fill the temp table sf_case_status for the selection; returns what it was judged by."""
    if not 0.0 < quantile < 1.0:
        raise InputError(f"quantile must be between 0 and 1 (exclusive), got {quantile}.")
    _check_end_ratio(min_end_ratio)
    if idle_threshold_s is not None and idle_threshold_s < 0:
        raise InputError("idle_threshold_s must be a number of seconds >= 0.")
    if isinstance(end_activities, str):
        raise InputError("end_activities must be a list of activity names, not one string.")
    prepare_case_views(con, log_id, flt)
    if end_activities is None:
        ends = _learned_end_activities(con, log_id, min_end_ratio)
    else:
        ends = _configured_end_activities(con, log_id, end_activities)
    when = _utc_naive(as_of) if as_of is not None else _last_event(con, log_id)
    con.execute(
        store.sql("breakpoint_case_status"),
        {
            "as_of": when,
            "end_ids": [i for i, _ in ends],
            "quantile": float(quantile),
            "min_samples": int(min_samples),
            "idle_threshold_s": None if idle_threshold_s is None else float(idle_threshold_s),
        },
    )
    return _Judged(as_of=when, end_activities=tuple(name for _, name in ends))


def _check_end_ratio(min_end_ratio: float) -> None:
    if not 0.0 <= min_end_ratio < 1.0:
        raise InputError(f"min_end_ratio must be in [0, 1), got {min_end_ratio}.")


def _learned_end_activities(
    con: duckdb.DuckDBPyConnection, log_id: int, min_end_ratio: float
) -> list[tuple[int, str]]:
    stats = con.execute(store.sql("breakpoint_end_activity_stats"), {"log_id": int(log_id)})
    return [
        (int(activity_id), name)
        for activity_id, name, occurrences, last in stats.fetchall()
        if last > min_end_ratio * occurrences
    ]


def _configured_end_activities(
    con: duckdb.DuckDBPyConnection, log_id: int, names: Sequence[str]
) -> list[tuple[int, str]]:
    labels = con.execute(store.sql("rework_labels"), {"log_id": int(log_id), "level": "activity"})
    by_name = {name: int(i) for i, name in labels.fetchall()}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = sorted(by_name)
        raise InputError(
            f"End activities {unknown} are not activities of this log. Its activities: "
            + ", ".join(known[:30])
            + (f" ... ({len(known)} in all)" if len(known) > 30 else "")
        )
    return [(by_name[n], n) for n in dict.fromkeys(names)]


def _last_event(con: duckdb.DuckDBPyConnection, log_id: int) -> datetime | None:
    found = con.execute(store.sql("breakpoint_last_event_ts"), {"log_id": int(log_id)})
    moment: datetime | None = found.fetchall()[0][0]
    return moment


def _utc_naive(moment: datetime) -> datetime:
    # stored timestamps are naive UTC; a naive as_of is taken to be UTC as well
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
