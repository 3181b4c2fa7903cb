"""The hand-over network: which teams (or agents) pass work to whom, how often, how long it waits.

A hand-over is a pair of consecutive events of a case held by different teams (or resources);
events that name no team are skipped. The edges are computed in SQL on DuckDB over the filtered
views (see `mining.filters`); networkx then finds the cycles (work that comes back round) and
the teams everything flows through:

- `case_share`: the share of selected cases a team touches (flow share);
- `betweenness`: how often a team lies on the shortest hand-over routes between the others,
  with frequent hand-overs as short links (distance = 1 / count), normalized to 0..1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Literal

import duckdb

from mining import store
from mining.errors import InputError
from mining.filters import LogFilter, apply_filter, build_once, release

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "HandoverCycle",
    "HandoverEdge",
    "HandoverNetwork",
    "HandoverNode",
    "HandoverRanking",
    "build_handover_network",
    "rank_handovers",
]

NetworkLevel = Literal["team", "resource"]

# Betweenness runs one shortest-path search per source node, each visiting every edge. Exact
# when nodes x edges is within this budget; beyond it, estimated from as many sampled sources
# (fixed seed) as the budget allows, at least BETWEENNESS_MIN_SOURCES: a dense agent network
# of a million-event log would otherwise take minutes, and the sample still ranks the hubs.
BETWEENNESS_BUDGET = 2_000_000
BETWEENNESS_MIN_SOURCES = 10
# Agent pairs detailed by rank_handovers (and stored with a mining run).
DEFAULT_TOP_PAIRS = 1000
# Cap on cycles enumerated in one search (dense graphs have astronomically many).
MAX_CYCLES_SEARCHED = 200_000


@dataclass(frozen=True, slots=True)
class HandoverEdge:
    """Work passed from `source` to `target`: `count` hand-overs in `cases` cases, with the wait
    between the two events (seconds)."""

    source: str
    target: str
    count: int
    cases: int
    mean_wait_s: float
    median_wait_s: float
    p90_wait_s: float
    total_wait_s: float


@dataclass(frozen=True, slots=True)
class HandoverNode:
    """A team (or resource): its events, the cases it touches and its place in the network."""

    name: str
    events: int
    cases: int
    case_share: float
    handovers_in: int
    handovers_out: int
    betweenness: float


@dataclass(frozen=True, slots=True)
class HandoverCycle:
    """A simple cycle of hand-overs (X -> Y -> ... -> X), starting at its smallest label.

    `min_count` is the count of its rarest hand-over: at most that many times can work have gone
    all the way round.
    """

    nodes: tuple[str, ...]
    min_count: int
    total_count: int


@dataclass(frozen=True, slots=True)
class HandoverRanking:
    """Hand-over pairs at one level ranked by count, the most frequent ones in detail.

    `pairs` and `handovers` count every pair and hand-over; `edges` are the `pairs_detailed`
    most frequent pairs with exact figures, holding `handovers_detailed` of the hand-overs.
    """

    level: NetworkLevel
    available: bool
    cases: int
    handovers: int
    pairs: int
    pairs_detailed: int
    handovers_detailed: int
    edges: tuple[HandoverEdge, ...]


@dataclass(frozen=True, slots=True)
class HandoverNetwork:
    """Hand-overs at one level ('team' or 'resource').

    `edges` ranked by count; `nodes` ranked by case share, then betweenness (the teams
    everything flows through first); `cycles` ranked by `min_count`, then length.
    `available` is False when no selected event names a team (resource): everything is empty.
    `betweenness_sources` is None when betweenness is exact, else the number of sampled
    sources it was estimated from (large networks).
    `graph` is the networkx DiGraph with the same figures as node and edge attributes.
    """

    level: NetworkLevel
    available: bool
    cases: int
    handovers: int
    edges: tuple[HandoverEdge, ...]
    nodes: tuple[HandoverNode, ...]
    cycles: tuple[HandoverCycle, ...]
    betweenness_sources: int | None
    graph: nx.DiGraph = field(repr=False, compare=False)


def build_handover_network(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    level: NetworkLevel = "team",
    cycle_length_bound: int = 4,
    max_cycles: int = 50,
) -> HandoverNetwork:
    """Who passes work to whom (teams, or resources with `level='resource'`).

    >>> import tempfile, pathlib
    >>> from mining.ingest import ingest_file, IngestOptions
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.csv").write_text("case,activity,timestamp,team\\n"
    ...     "1,a,2024-01-01 00:00,X\\n1,b,2024-01-01 01:00,Y\\n1,c,2024-01-01 03:00,X\\n")
    >>> con = store.connect(d / "x.duckdb")
    >>> _ = ingest_file(con, d / "t.csv", IngestOptions(log_name="t", team="team"))
    >>> net = build_handover_network(con, store.log_id_for(con, "t"))
    >>> [(e.source, e.target, e.count, e.median_wait_s) for e in net.edges]
    [('X', 'Y', 1, 3600.0), ('Y', 'X', 1, 7200.0)]
    >>> net.cycles[0].nodes
    ('X', 'Y')
    """
    import networkx as nx

    if level not in ("team", "resource"):
        raise InputError(f"Unknown hand-over level {level!r}; use 'team' or 'resource'.")
    if cycle_length_bound < 2 or max_cycles < 0:
        raise InputError("cycle_length_bound must be >= 2 and max_cycles >= 0.")
    apply_filter(con, log_id, flt)
    params = {"log_id": int(log_id), "level": level}
    n_cases = int(con.execute(store.sql("rework_case_count")).fetchall()[0][0])
    edges, _, _ = _ranked_edges(con, log_id, flt, level, None)
    node_rows = con.execute(store.sql("handover_nodes"), params).fetchall()

    graph = nx.DiGraph(level=level)
    for name, events, cases in node_rows:
        graph.add_node(
            name,
            events=int(events),
            cases=int(cases),
            case_share=cases / n_cases if n_cases else 0.0,
        )
    for e in edges:
        graph.add_edge(
            e.source,
            e.target,
            count=e.count,
            cases=e.cases,
            median_wait_s=e.median_wait_s,
            mean_wait_s=e.mean_wait_s,
            p90_wait_s=e.p90_wait_s,
            distance=1.0 / e.count,
        )
    betweenness, sampled_sources = _betweenness(graph)
    nx.set_node_attributes(graph, betweenness, "betweenness")

    nodes = sorted(
        (
            HandoverNode(
                name=name,
                events=data["events"],
                cases=data["cases"],
                case_share=data["case_share"],
                handovers_in=int(graph.in_degree(name, weight="count")),
                handovers_out=int(graph.out_degree(name, weight="count")),
                betweenness=betweenness.get(name, 0.0),
            )
            for name, data in graph.nodes(data=True)
        ),
        key=lambda n: (-n.case_share, -n.betweenness, n.name),
    )
    return HandoverNetwork(
        level=level,
        available=bool(node_rows),
        cases=n_cases,
        handovers=sum(e.count for e in edges),
        edges=edges,
        nodes=tuple(nodes),
        cycles=_cycles(graph, edges, cycle_length_bound, max_cycles),
        betweenness_sources=sampled_sources,
        graph=graph,
    )


def rank_handovers(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    level: NetworkLevel = "resource",
    top: int = DEFAULT_TOP_PAIRS,
) -> HandoverRanking:
    """Every hand-over pair counted and ranked; the `top` most frequent detailed (exact).

    For agent networks, where a large log has millions of distinct pairs: counting them is one
    hash aggregate, while medians, P90s and distinct cases per pair are what grows with the
    pairs. Those are computed for the top pairs only; the rest are counted in `pairs` and
    `handovers`, not listed. No graph is built.

    >>> import tempfile, pathlib
    >>> from mining.ingest import ingest_file, IngestOptions
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.csv").write_text("case,activity,timestamp,resource\\n"
    ...     "1,a,2024-01-01 00:00,ann\\n1,b,2024-01-01 01:00,bob\\n1,c,2024-01-01 03:00,ann\\n"
    ...     "2,a,2024-01-01 00:00,ann\\n2,b,2024-01-01 02:00,bob\\n")
    >>> con = store.connect(d / "x.duckdb")
    >>> _ = ingest_file(con, d / "t.csv", IngestOptions(log_name="t", resource="resource"))
    >>> ranked = rank_handovers(con, store.log_id_for(con, "t"), top=1)
    >>> (ranked.pairs, ranked.handovers, ranked.handovers_detailed)
    (2, 3, 2)
    >>> [(e.source, e.target, e.count, e.cases, e.median_wait_s) for e in ranked.edges]
    [('ann', 'bob', 2, 2, 5400.0)]
    """
    if level not in ("team", "resource"):
        raise InputError(f"Unknown hand-over level {level!r}; use 'team' or 'resource'.")
    if top < 1:
        raise InputError(f"top must be at least 1 (got {top}).")
    apply_filter(con, log_id, flt)
    n_cases = int(con.execute(store.sql("rework_case_count")).fetchall()[0][0])
    edges, pairs, handovers = _ranked_edges(con, log_id, flt, level, top)
    return HandoverRanking(
        level=level,
        available=pairs > 0 or _names_any_group(con, level),
        cases=n_cases,
        handovers=handovers,
        pairs=pairs,
        pairs_detailed=len(edges),
        handovers_detailed=sum(e.count for e in edges),
        edges=edges,
    )


def _names_any_group(con: duckdb.DuckDBPyConnection, level: NetworkLevel) -> bool:
    column = "team_id" if level == "team" else "resource_id"
    row = con.execute(f"SELECT count({column}) > 0 FROM sf_events").fetchall()
    return bool(row and row[0][0])


def prepare_handovers(
    con: duckdb.DuckDBPyConnection, log_id: int, flt: LogFilter | None, level: NetworkLevel
) -> bool:
    """Apply `flt` and fill the temp table `sf_handovers` with the hand-overs at `level` (see
    handover_steps.sql), once per `shared_selection` (the ping-pong between groups reads them
    too). True when the table is kept for a later section. Not part of the public API."""
    apply_filter(con, log_id, flt)

    def build() -> None:
        missing = con.execute(store.sql("handover_missing_holders"), {"level": level}).fetchall()
        steps = "handover_steps_complete" if int(missing[0][0]) == 0 else "handover_steps"
        con.execute(store.sql(steps), {"level": level})

    return build_once(con, log_id, flt, "sf_handovers", build, level)


def _ranked_edges(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    flt: LogFilter | None,
    level: NetworkLevel,
    top: int | None,
) -> tuple[tuple[HandoverEdge, ...], int, int]:
    """(the pairs ranked up to `top` (None: all) in detail, distinct pairs, hand-overs)."""
    prepare_handovers(con, log_id, flt, level)
    con.execute(store.sql("handover_pairs"))
    limit = top if top is not None else 2**62
    pairs, handovers = con.execute(store.sql("handover_pair_totals")).fetchall()[0]
    edges = tuple(
        HandoverEdge(
            source=src,
            target=dst,
            count=int(count),
            cases=int(cases),
            mean_wait_s=float(mean),
            median_wait_s=float(median),
            p90_wait_s=float(p90),
            total_wait_s=float(total),
        )
        for src, dst, count, cases, mean, median, p90, total in con.execute(
            store.sql("handover_edges"), {"log_id": int(log_id), "level": level, "top": limit}
        ).fetchall()
    )
    con.execute(store.sql("handover_drop"))
    # a row per hand-over: kept, it would crowd DuckDB's memory limit for the sections after
    release(con, "sf_handovers")
    return edges, int(pairs), int(handovers)


def _betweenness(graph: nx.DiGraph) -> tuple[dict[str, float], int | None]:
    """Betweenness per node, and the number of sampled sources (None: exact)."""
    import networkx as nx

    nodes, edges = graph.number_of_nodes(), graph.number_of_edges()
    if nodes < 3:
        return dict.fromkeys(graph.nodes, 0.0), None
    sources = max(BETWEENNESS_MIN_SOURCES, BETWEENNESS_BUDGET // max(edges, 1))
    k = None if sources >= nodes else sources
    found: dict[str, float] = nx.betweenness_centrality(graph, k=k, weight="distance", seed=0)
    return found, k


def _cycles(
    graph: nx.DiGraph, edges: tuple[HandoverEdge, ...], length_bound: int, keep: int
) -> tuple[HandoverCycle, ...]:
    import networkx as nx

    if keep == 0 or not edges:
        return ()
    # A cycle's min_count is >= c exactly when it lies in the subgraph of edges counted >= c.
    # So grow that subgraph from the most frequent edges until it holds `keep` cycles: those
    # are then the top ones, without enumerating every cycle of a dense agent graph.
    size = 16
    while True:
        floor = edges[min(size, len(edges)) - 1].count
        search = nx.DiGraph()
        search.add_edges_from((e.source, e.target) for e in edges if e.count >= floor)
        found = list(
            islice(nx.simple_cycles(search, length_bound=length_bound), MAX_CYCLES_SEARCHED)
        )
        if len(found) >= keep or size >= len(edges) or len(found) == MAX_CYCLES_SEARCHED:
            break
        size *= 4
    cycles = []
    for cycle in found:
        start = cycle.index(min(cycle))
        nodes = tuple(cycle[start:] + cycle[:start])
        counts = [graph[a][b]["count"] for a, b in zip(nodes, nodes[1:] + nodes[:1], strict=True)]
        cycles.append(HandoverCycle(nodes=nodes, min_count=min(counts), total_count=sum(counts)))
    cycles.sort(key=lambda c: (-c.min_count, len(c.nodes), c.nodes))
    return tuple(cycles[:keep])
