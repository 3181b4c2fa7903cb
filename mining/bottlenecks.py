"""Bottlenecks: the hand-overs and activities whose waiting adds the most delay to all cases.

A hand-over is one directly-follows step within a case (`source -> target`). Its wait runs from
the source's completion to the target's start where the log has start timestamps (to the
target's completion where the target has none: it is taken as instant), and to the target's
completion in a log without start timestamps. Waits are floored at 0 where the target started
before the source completed.

Ranking rule, learned from the log (no fixed threshold):

- the **baseline** is the log-wide median hand-over wait of the filtered log (the
  `baseline_quantile` quantile of all hand-over waits, linear interpolation; 0.5 by default):
  what a normal hand-over in this log costs;
- a hand-over's **excess** is its wait above the baseline (0 when at or below it);
- an edge's **delay** (`delay_s`) is the sum of its hand-overs' excesses: the waiting time the
  edge adds over normal hand-overs, summed over all cases (= frequency x mean excess);
- `delay_share` is the edge's delay divided by the delay of all edges together (0 when no
  hand-over waits longer than the baseline).

Edges are ranked by `delay_s` (then count, source, target). Per activity, where the log has
start timestamps, `find_activity_bottlenecks` splits each activity's time into service
(`ts - start_ts`) and the waiting before it, and ranks activities by the same delay measure.

>>> import tempfile, pathlib
>>> from mining import store
>>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
>>> find_bottlenecks(con, 1)   # no log 1 stored: nothing to rank
()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import duckdb

from mining import store
from mining.errors import InputError
from mining.filters import LogFilter, build_once
from mining.flows import prepare_activity_times, prepare_case_views

__all__ = [
    "ActivityBottleneck",
    "Bottleneck",
    "find_activity_bottlenecks",
    "find_bottlenecks",
]

WaitBasis = Literal["start", "complete"]


@dataclass(frozen=True, slots=True)
class Bottleneck:
    """A hand-over `source -> target` and the delay its waits add (seconds).

    `count`/`cases`: hand-overs and cases; `median_s`/`mean_s`/`p90_s`/`total_wait_s`: their
    waits; `baseline_s`: the log-wide baseline wait; `excess_count`: hand-overs waiting longer
    than it; `delay_s`: summed excess; `delay_share`: share of all edges' delay;
    `delay_per_case_s`: `delay_s` spread over all cases of the filtered log; `wait_basis`:
    'start' where waits run to the target's start timestamp, 'complete' where the log has no
    start timestamps.
    """

    source: str
    target: str
    count: int
    cases: int
    median_s: float
    mean_s: float
    p90_s: float
    total_wait_s: float
    baseline_s: float
    excess_count: int
    delay_s: float
    delay_share: float
    delay_per_case_s: float
    wait_basis: WaitBasis


@dataclass(frozen=True, slots=True)
class ActivityBottleneck:
    """An activity's service time against the waiting before it (seconds), and the delay that
    waiting adds over the log-wide baseline hand-over wait.

    Service figures are None for an activity none of whose events has a start timestamp (it is
    recorded as instant); waiting figures are None for an activity that only ever starts a case.
    `service_share` is service / (service + waiting) over the activity's events.
    """

    activity: str
    occurrences: int
    cases: int
    service_mean_s: float | None
    service_median_s: float | None
    waiting_mean_s: float | None
    waiting_median_s: float | None
    service_share: float | None
    baseline_s: float
    delay_s: float
    delay_share: float


def find_bottlenecks(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    baseline_quantile: float = 0.5,
) -> tuple[Bottleneck, ...]:
    """Hand-overs of the log under `flt`, ranked by the delay they add (see the module).

    >>> import tempfile, pathlib
    >>> from mining import store
    >>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
    >>> find_bottlenecks(con, 1, baseline_quantile=0.25)
    ()
    """
    _check_quantile(baseline_quantile)
    prepare_case_views(con, log_id, flt)
    basis: WaitBasis = "start" if _has_start_timestamps(con) else "complete"
    _define_edges(con, log_id, flt, basis, baseline_quantile)
    rows = con.execute(store.sql("bottleneck_edge_rows"), {"log_id": int(log_id)}).fetchall()
    if not rows:
        return ()
    cases = _case_count(con)
    total_delay = sum(float(r[10]) for r in rows)
    return tuple(
        Bottleneck(
            source=r[0],
            target=r[1],
            count=int(r[2]),
            cases=int(r[3]),
            median_s=float(r[4]),
            mean_s=float(r[5]),
            p90_s=float(r[6]),
            total_wait_s=float(r[7]),
            baseline_s=float(r[8]),
            excess_count=int(r[9]),
            delay_s=float(r[10]),
            delay_share=float(r[10]) / total_delay if total_delay > 0 else 0.0,
            delay_per_case_s=float(r[10]) / cases,
            wait_basis=basis,
        )
        for r in rows
    )


def find_activity_bottlenecks(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    baseline_quantile: float = 0.5,
) -> tuple[ActivityBottleneck, ...]:
    """Activities of the log under `flt`, ranked by the delay their waiting adds; empty where
    the filtered log has no start timestamps (service and waiting cannot be told apart).

    >>> import tempfile, pathlib
    >>> from mining import store
    >>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
    >>> find_activity_bottlenecks(con, 1)
    ()
    """
    _check_quantile(baseline_quantile)
    prepare_case_views(con, log_id, flt)
    if not _has_start_timestamps(con):
        return ()
    _define_edges(con, log_id, flt, "start", baseline_quantile)
    prepare_activity_times(con, log_id, flt)
    params = {"log_id": int(log_id)}
    counts = {
        r[0]: (int(r[1]), int(r[2]))
        for r in con.execute(store.sql("flow_activity_counts"), params).fetchall()
    }
    rows = con.execute(store.sql("bottleneck_activities"), params).fetchall()
    total_delay = sum(float(r[10]) for r in rows)
    result = []
    for r in rows:
        activity, service_n, service_mean, service_median, service_total = r[:5]
        waiting_n, waiting_mean, waiting_median, waiting_total = r[5:9]
        baseline_s, delay_s = r[9], float(r[10])
        occurrences, cases = counts[activity]
        service_total = float(service_total) if service_n else None
        waiting_total = float(waiting_total) if waiting_n else None
        both = (service_total or 0.0) + (waiting_total or 0.0)
        result.append(
            ActivityBottleneck(
                activity=activity,
                occurrences=occurrences,
                cases=cases,
                service_mean_s=float(service_mean) if service_n else None,
                service_median_s=float(service_median) if service_n else None,
                waiting_mean_s=float(waiting_mean) if waiting_n else None,
                waiting_median_s=float(waiting_median) if waiting_n else None,
                service_share=(
                    service_total / both if service_total is not None and both > 0 else None
                ),
                baseline_s=float(baseline_s) if baseline_s is not None else 0.0,
                delay_s=delay_s,
                delay_share=delay_s / total_delay if total_delay > 0 else 0.0,
            )
        )
    return tuple(sorted(result, key=lambda a: (-a.delay_s, -a.occurrences, a.activity)))


def _check_quantile(q: float) -> None:
    if not 0.0 <= q <= 1.0:
        raise InputError(f"baseline_quantile must be between 0 and 1 (got {q}); 0.5 is the median.")


def _has_start_timestamps(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(store.sql("flow_has_start_timestamps")).fetchone()
    return bool(row and row[0])


def _define_edges(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    flt: LogFilter | None,
    basis: WaitBasis,
    baseline_quantile: float,
) -> None:
    """Fill sf_bottleneck_edges, once per shared selection and baseline quantile (the case
    views are prepared)."""

    def build() -> None:
        con.execute(store.sql("bottleneck_waits_start" if basis == "start" else "bottleneck_waits"))
        con.execute(store.sql("bottleneck_edges"), {"baseline_quantile": float(baseline_quantile)})

    build_once(con, log_id, flt, "sf_bottleneck_edges", build, float(baseline_quantile))


def _case_count(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(store.sql("bottleneck_case_count")).fetchone()
    return int(row[0]) if row else 0
