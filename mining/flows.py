"""Actual service flows: directly-follows graph, variants, lead times, activity statistics.

Everything is computed in SQL on DuckDB over the filtered views `sf_events` / `sf_cases`
(see `mining.filters`), so the log never has to fit in memory. The figures agree with pm4py's
front layer on the same log:

- `discover_dfg` edge counts = `pm4py.discover_dfg`, start/end activities =
  `pm4py.get_start_activities` / `pm4py.get_end_activities`; an edge's time is the time from the
  completion of the source to the completion of the target (`pm4py.discover_performance_dfg`
  on a log without start timestamps), with mean and median as pm4py computes them and P90 by
  linear interpolation between order statistics (numpy's default quantile method);
- `get_variants` counts = `pm4py.get_variants`;
- `get_case_lead_times` = `pm4py.get_all_case_durations`.

>>> import tempfile, pathlib
>>> from mining import store
>>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
>>> dfg = discover_dfg(con, 1)   # no log 1 stored: an empty map
>>> (dfg.cases, dfg.events, dfg.edges)
(0, 0, ())
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import duckdb

from mining import store
from mining.errors import InputError
from mining.filters import LogFilter, apply_filter, build_once, sharing

__all__ = [
    "ActivityCount",
    "ActivityFrequency",
    "ActivityStatistics",
    "CaseLeadTime",
    "Dfg",
    "DfgEdge",
    "LeadTimeSummary",
    "Variant",
    "discover_dfg",
    "get_activity_statistics",
    "get_case_lead_times",
    "get_variants",
    "simplify_map",
    "summarize_lead_times",
]


@dataclass(frozen=True, slots=True)
class DfgEdge:
    """One directly-follows relation `source -> target`.

    `count` is how often the target directly follows the source, `cases` in how many cases.
    Times (seconds) run from the source's completion to the target's completion.
    """

    source: str
    target: str
    count: int
    cases: int
    mean_s: float
    median_s: float
    p90_s: float
    min_s: float
    max_s: float
    total_s: float


@dataclass(frozen=True, slots=True)
class ActivityCount:
    """An activity with a count of cases (as a start or end activity)."""

    activity: str
    count: int


@dataclass(frozen=True, slots=True)
class ActivityFrequency:
    """How often an activity occurs (events) and in how many cases."""

    activity: str
    occurrences: int
    cases: int


@dataclass(frozen=True, slots=True)
class Dfg:
    """A directly-follows graph (process map) of a filtered log.

    Edges are ordered by count (descending), then source and target; start/end activities and
    the activity table by count (descending), then label. `cases` and `events` describe the
    filtered log the map was discovered from.
    """

    edges: tuple[DfgEdge, ...]
    start_activities: tuple[ActivityCount, ...]
    end_activities: tuple[ActivityCount, ...]
    activities: tuple[ActivityFrequency, ...]
    cases: int
    events: int

    def counts(self) -> dict[tuple[str, str], int]:
        """Edge counts keyed by (source, target), as `pm4py.discover_dfg` returns them."""
        return {(e.source, e.target): e.count for e in self.edges}

    def start_counts(self) -> dict[str, int]:
        """Start activities and their case counts, as `pm4py.get_start_activities`."""
        return {a.activity: a.count for a in self.start_activities}

    def end_counts(self) -> dict[str, int]:
        """End activities and their case counts, as `pm4py.get_end_activities`."""
        return {a.activity: a.count for a in self.end_activities}

    def edge(self, source: str, target: str) -> DfgEdge | None:
        """The edge `source -> target`, or None where the map has no such edge."""
        for e in self.edges:
            if e.source == source and e.target == target:
                return e
        return None


@dataclass(frozen=True, slots=True)
class Variant:
    """A variant: the sequence of activities its cases follow, and their lead times."""

    activities: tuple[str, ...]
    count: int
    share: float
    median_lead_time_s: float
    mean_lead_time_s: float


@dataclass(frozen=True, slots=True)
class CaseLeadTime:
    """One case's lead time: last minus first timestamp, in seconds."""

    case_id: str
    n_events: int
    start: datetime
    end: datetime
    lead_time_s: float


@dataclass(frozen=True, slots=True)
class LeadTimeSummary:
    """Lead times over the cases of a filtered log (None where there is no case)."""

    cases: int
    events: int
    mean_s: float | None
    median_s: float | None
    p90_s: float | None
    min_s: float | None
    max_s: float | None


@dataclass(frozen=True, slots=True)
class ActivityStatistics:
    """Per activity: occurrences, cases, and service vs waiting time where the log has start
    timestamps (all None in a log without any).

    Service time is `ts - start_ts` of the activity's events that have a start timestamp (None
    if none has). Waiting time is the event's start (its `ts` where it has no start timestamp,
    i.e. it is taken as instant) minus the previous event's `ts` in the same case, floored at 0
    where work overlaps; a case's first event has none.
    """

    activity: str
    occurrences: int
    cases: int
    service_mean_s: float | None
    service_median_s: float | None
    waiting_mean_s: float | None
    waiting_median_s: float | None


def discover_dfg(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    activity_share: float = 1.0,
    path_share: float = 1.0,
) -> Dfg:
    """The directly-follows graph of the log under `flt`, with frequency and performance.

    `activity_share` / `path_share` below 1 simplify the map (see `simplify_map`).

    >>> import tempfile, pathlib
    >>> from mining import store
    >>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
    >>> discover_dfg(con, 1, flt=LogFilter(variants_top_k=3)).counts()
    {}
    """
    prepare_case_views(con, log_id, flt, per_case=False)
    params = {"log_id": int(log_id)}
    edges = tuple(
        DfgEdge(
            source=r[0],
            target=r[1],
            count=int(r[2]),
            cases=int(r[3]),
            mean_s=float(r[4]),
            median_s=float(r[5]),
            p90_s=float(r[6]),
            min_s=float(r[7]),
            max_s=float(r[8]),
            total_s=float(r[9]),
        )
        for r in con.execute(store.sql("flow_dfg_edges"), params).fetchall()
    )
    rows = con.execute(store.sql("flow_activity_counts"), params).fetchall()
    dfg = Dfg(
        edges=edges,
        start_activities=_endpoint_counts((r[0], int(r[3])) for r in rows),
        end_activities=_endpoint_counts((r[0], int(r[4])) for r in rows),
        activities=tuple(ActivityFrequency(r[0], int(r[1]), int(r[2])) for r in rows),
        cases=sum(int(r[3]) for r in rows),
        events=sum(int(r[1]) for r in rows),
    )
    if activity_share < 1.0 or path_share < 1.0:
        return simplify_map(dfg, activity_share=activity_share, path_share=path_share)
    return dfg


def _endpoint_counts(pairs: Iterable[tuple[str, int]]) -> tuple[ActivityCount, ...]:
    kept = [ActivityCount(a, n) for a, n in pairs if n > 0]
    return tuple(sorted(kept, key=lambda x: (-x.count, x.activity)))


def get_variants(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    top: int | None = None,
) -> tuple[Variant, ...]:
    """The variants of the log under `flt`, most frequent first (ties by activity labels).

    `share` is the variant's share of the filtered cases; `top` keeps only the first ones.

    >>> import tempfile, pathlib
    >>> from mining import store
    >>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
    >>> get_variants(con, 1, top=10)
    ()
    """
    if top is not None and top < 0:
        raise InputError(f"top must be 0 or more (got {top}); leave it unset for all variants.")
    prepare_case_views(con, log_id, flt)
    names = _activity_names(con, log_id)
    rows = con.execute(store.sql("flow_variants")).fetchall()
    total = sum(int(r[1]) for r in rows)
    variants = sorted(
        (
            Variant(
                activities=tuple(names[i] for i in r[0]),
                count=int(r[1]),
                share=int(r[1]) / total,
                median_lead_time_s=float(r[2]),
                mean_lead_time_s=float(r[3]),
            )
            for r in rows
        ),
        key=lambda v: (-v.count, v.activities),
    )
    return tuple(variants if top is None else variants[:top])


def get_case_lead_times(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    limit: int | None = None,
) -> tuple[CaseLeadTime, ...]:
    """Each case's lead time under `flt`, longest first (ties by case id); `limit` keeps the
    first ones (the full list of a large log is long: summarize with `summarize_lead_times`).

    >>> import tempfile, pathlib
    >>> from mining import store
    >>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
    >>> get_case_lead_times(con, 1, limit=5)
    ()
    """
    if limit is not None and limit < 0:
        raise InputError(f"limit must be 0 or more (got {limit}); leave it unset for all cases.")
    _define_case_facts(con, log_id, flt)
    rows = con.execute(store.sql("flow_case_lead_times"), {"limit": limit}).fetchall()
    return tuple(CaseLeadTime(r[0], int(r[1]), r[2], r[3], float(r[4])) for r in rows)


def summarize_lead_times(
    con: duckdb.DuckDBPyConnection, log_id: int, *, flt: LogFilter | None = None
) -> LeadTimeSummary:
    """Cases, events and mean/median/P90 lead time of the log under `flt`.

    >>> import tempfile, pathlib
    >>> from mining import store
    >>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
    >>> summarize_lead_times(con, 1).median_s is None
    True
    """
    prepare_case_views(con, log_id, flt)
    row = con.execute(store.sql("flow_lead_time_summary")).fetchone()
    assert row is not None  # an aggregate without GROUP BY returns one row
    cases, events, mean_s, q, min_s, max_s = row
    return LeadTimeSummary(
        cases=int(cases),
        events=int(events),
        mean_s=_float_or_none(mean_s),
        median_s=_float_or_none(q[0]) if q is not None else None,
        p90_s=_float_or_none(q[1]) if q is not None else None,
        min_s=_float_or_none(min_s),
        max_s=_float_or_none(max_s),
    )


def get_activity_statistics(
    con: duckdb.DuckDBPyConnection, log_id: int, *, flt: LogFilter | None = None
) -> tuple[ActivityStatistics, ...]:
    """Per activity under `flt`: occurrences, cases, service and waiting time (most frequent
    first; see `ActivityStatistics`). Service and waiting figures are None where the filtered
    log has no start timestamps at all.

    >>> import tempfile, pathlib
    >>> from mining import store
    >>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
    >>> get_activity_statistics(con, 1)
    ()
    """
    prepare_case_views(con, log_id, flt)
    params = {"log_id": int(log_id)}
    counts = con.execute(store.sql("flow_activity_counts"), params).fetchall()
    has_start = con.execute(store.sql("flow_has_start_timestamps")).fetchone()
    times: dict[str, tuple[Any, ...]] = {}
    if has_start and has_start[0]:
        prepare_activity_times(con, log_id, flt)
        rows = con.execute(store.sql("flow_activity_time_rows"), params).fetchall()
        times = {r[0]: tuple(r[1:]) for r in rows}
    result = []
    for activity, occurrences, cases, _starts, _ends in counts:
        service_n, service_mean, service_median, waiting_n, waiting_mean, waiting_median = (
            times.get(activity, (0, None, None, 0, None, None))
        )
        result.append(
            ActivityStatistics(
                activity=activity,
                occurrences=int(occurrences),
                cases=int(cases),
                service_mean_s=_float_or_none(service_mean) if service_n else None,
                service_median_s=_float_or_none(service_median) if service_n else None,
                waiting_mean_s=_float_or_none(waiting_mean) if waiting_n else None,
                waiting_median_s=_float_or_none(waiting_median) if waiting_n else None,
            )
        )
    return tuple(result)


def prepare_case_views(
    con: duckdb.DuckDBPyConnection, log_id: int, flt: LogFilter | None, *, per_case: bool = True
) -> None:
    """Apply `flt` and define the case-level tables and views the flow queries read:
    `sf_flow_case_facts` (view, per case: id, variant, size, first/last timestamp),
    `sf_flow_variant_counts` (numbered variants and their cases), `sf_flow_cases` (per case:
    variant number, size, first/last timestamp, lead time), `sf_flow_edge_cases` (cases per
    directly-follows edge) and `sf_flow_activity_case_counts` (occurrences, cases, starts, ends
    per activity). For other mining modules that need the same case facts (built once per
    `shared_selection`); not part of the public API. `per_case=False`: the caller reads no
    `sf_flow_cases`, so outside a `shared_selection` it is not built.

    Case counts are sums over the variants' case counts: a log has far fewer variants than
    events, and counting distinct cases over millions of events is the slow part of a map.
    """
    # the filter is applied by _define_case_facts when building; inside a shared_selection
    # whose tables are built its views are in force already

    def build(with_cases: bool = True) -> None:
        _define_case_facts(con, log_id, flt)
        names = ("flow_variant_counts", "flow_cases") if with_cases else ("flow_variant_counts",)
        for name in (*names, "flow_edge_cases", "flow_activity_case_counts"):
            con.execute(store.sql(name))

    if not per_case and not sharing(con, log_id, flt):
        # a map on its own (the dashboard's filter changes) reads the variant counts only
        build(with_cases=False)
        return

    # the views over these tables are (re)defined with them
    build_once(con, log_id, flt, ("sf_flow_variant_counts", "sf_flow_cases"), build)


def prepare_activity_times(
    con: duckdb.DuckDBPyConnection, log_id: int, flt: LogFilter | None
) -> None:
    """Keep the service and waiting time per activity of a log with start timestamps in the
    temp table `sf_activity_times` (see flow_activity_times.sql), built once per
    `shared_selection`; the case views of `flt` are prepared (`prepare_case_views`). Not part of
    the public API."""
    build_once(
        con,
        log_id,
        flt,
        "sf_activity_times",
        lambda: con.execute(store.sql("flow_activity_times")),
    )


def _define_case_facts(con: duckdb.DuckDBPyConnection, log_id: int, flt: LogFilter | None) -> None:
    apply_filter(con, log_id, flt)
    projected = flt is not None and flt.projects_activities
    con.execute(store.sql("flow_case_facts_projected" if projected else "flow_case_facts"))


def _activity_names(con: duckdb.DuckDBPyConnection, log_id: int) -> dict[int, str]:
    rows = con.execute(store.sql("flow_activity_names"), {"log_id": int(log_id)}).fetchall()
    return {int(i): name for i, name in rows}


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


# --- map simplification ------------------------------------------------------------------------

# Terminal nodes of the map, distinct from every activity label (which are str).
_START = 0
_END = 1
Node = str | int
# pm4py names its artificial nodes so; used only to break frequency ties the same way it does.
_TIE_NAMES: dict[Node, str] = {_START: "_S_START_", _END: "_S_END_"}


def simplify_map(dfg: Dfg, *, activity_share: float = 1.0, path_share: float = 1.0) -> Dfg:
    """The map `dfg` simplified by Disco-style activity and path sliders (1.0 keeps all).

    The rule is pm4py's (`pm4py.filter_dfg_activities_percentage`, then
    `pm4py.filter_dfg_paths_percentage`), applied to the real activity occurrences:

    1. Activities: rank them by occurrences (ties by label, descending); the first
       `ceil((n - 1) * activity_share) + 1` must stay. The others are tried for removal least
       frequent first; a removal (with all its edges) is kept only if every must-stay activity is
       still reachable from the start and still reaches the end.
    2. Paths: rank the edges together with the start->activity and activity->end arcs by count;
       the first `ceil((m - 1) * path_share) + 1` must stay, and so must the activities they
       touch. The other arcs are tried for removal least frequent first, kept removed only if
       every must-stay activity stays connected from start to end.
    3. After each step, activities no longer on any start-to-end path are dropped.

    Edge and activity figures are not changed, only omitted; `cases`/`events` still describe the
    log. A map with one activity or one edge is returned as it is.

    >>> m = Dfg((DfgEdge("a", "b", 3, 3, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0),), (ActivityCount("a", 3),),
    ...         (ActivityCount("b", 3),), (ActivityFrequency("a", 3, 3),
    ...         ActivityFrequency("b", 3, 3)), 3, 6)
    >>> simplify_map(m, activity_share=0.0) == m
    True
    """
    for name, share in (("activity_share", activity_share), ("path_share", path_share)):
        if not 0.0 <= share <= 1.0:
            raise InputError(f"{name} must be between 0 and 1 (got {share}).")
    if activity_share < 1.0:
        dfg = _keep_frequent_activities(dfg, activity_share)
    if path_share < 1.0:
        dfg = _keep_frequent_paths(dfg, path_share)
    return dfg


def _arcs(dfg: Dfg) -> dict[tuple[Node, Node], int]:
    arcs: dict[tuple[Node, Node], int] = {(e.source, e.target): e.count for e in dfg.edges}
    arcs.update({(_START, a.activity): a.count for a in dfg.start_activities})
    arcs.update({(a.activity, _END): a.count for a in dfg.end_activities})
    return arcs


class _Graph:
    """Adjacency of the map with the terminal nodes, for start-to-end reachability."""

    def __init__(self, arcs: Iterable[tuple[Node, Node]]) -> None:
        self.succ: dict[Node, set[Node]] = {_START: set(), _END: set()}
        self.pred: dict[Node, set[Node]] = {_START: set(), _END: set()}
        for u, v in arcs:
            self.add(u, v)

    def add(self, u: Node, v: Node) -> None:
        self.succ.setdefault(u, set()).add(v)
        self.pred.setdefault(v, set()).add(u)
        self.succ.setdefault(v, set())
        self.pred.setdefault(u, set())

    def discard(self, u: Node, v: Node) -> None:
        self.succ[u].discard(v)
        self.pred[v].discard(u)

    def connected(self) -> set[Node]:
        """Nodes on some start-to-end path (terminals excluded)."""
        return (_reach(_START, self.succ) & _reach(_END, self.pred)) - {_START, _END}


def _reach(origin: Node, adjacency: dict[Node, set[Node]]) -> set[Node]:
    seen = {origin}
    queue = deque([origin])
    while queue:
        for nxt in adjacency.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _tie_name(node: Node) -> str:
    return node if isinstance(node, str) else _TIE_NAMES[node]


def _must_keep_count(n: int, share: float) -> int:
    return math.ceil((n - 1) * share) + 1


def _keep_frequent_activities(dfg: Dfg, share: float) -> Dfg:
    if len(dfg.activities) <= 1 or len(dfg.edges) <= 1:
        return dfg
    ranked = sorted(dfg.activities, key=lambda a: (a.occurrences, a.activity), reverse=True)
    cut = _must_keep_count(len(ranked), share)
    must_keep: set[Node] = {a.activity for a in ranked[:cut]}
    arcs = _arcs(dfg)
    graph = _Graph(arcs)
    for candidate in reversed(ranked[cut:]):
        act = candidate.activity
        incoming = [(u, act) for u in graph.pred.get(act, set())]
        outgoing = [(act, v) for v in graph.succ.get(act, set())]
        for u, v in incoming + outgoing:
            graph.discard(u, v)
        if not must_keep <= graph.connected():
            for u, v in incoming + outgoing:
                graph.add(u, v)
    return _restrict(dfg, graph, removed_arcs=set())


def _keep_frequent_paths(dfg: Dfg, share: float) -> Dfg:
    if len(dfg.activities) <= 1 or len(dfg.edges) <= 1:
        return dfg
    arcs = _arcs(dfg)
    ranked = sorted(
        arcs.items(),
        key=lambda item: (item[1], _tie_name(item[0][0]), _tie_name(item[0][1])),
        reverse=True,
    )
    cut = _must_keep_count(len(ranked), share)
    must_keep = {n for (u, v), _ in ranked[:cut] for n in (u, v)} - {_START, _END}
    graph = _Graph(arcs)
    removed: set[tuple[Node, Node]] = set()
    for (u, v), _ in reversed(ranked[cut:]):
        graph.discard(u, v)
        if must_keep <= graph.connected():
            removed.add((u, v))
        else:
            graph.add(u, v)
    return _restrict(dfg, graph, removed_arcs=removed)


def _restrict(dfg: Dfg, graph: _Graph, removed_arcs: set[tuple[Node, Node]]) -> Dfg:
    """`dfg` without the removed arcs and without activities off every start-to-end path."""
    keep = graph.connected()

    def arc_kept(u: Node, v: Node) -> bool:
        return (u, v) not in removed_arcs and v in graph.succ.get(u, ())

    return replace(
        dfg,
        edges=tuple(
            e
            for e in dfg.edges
            if e.source in keep and e.target in keep and arc_kept(e.source, e.target)
        ),
        start_activities=tuple(
            a for a in dfg.start_activities if a.activity in keep and arc_kept(_START, a.activity)
        ),
        end_activities=tuple(
            a for a in dfg.end_activities if a.activity in keep and arc_kept(a.activity, _END)
        ),
        activities=tuple(a for a in dfg.activities if a.activity in keep),
    )
