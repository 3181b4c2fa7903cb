"""Hand-over network: a hand-checked small log, the generated telecom log (checked against its
truth and against pandas), and BPI Challenge 2013 support groups."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from mining import store
from mining.errors import InputError
from mining.filters import LogFilter
from mining.handover import build_handover_network, rank_handovers
from mining.ingest import IngestOptions, ingest_file

H = 3600.0

# case 1: X, (no team), Y started 02:00, Z started 03:30, Y started 03:45 (before Z completed)
#   -> X->Y waits 2 h (00:00 -> 02:00), Y->Z 0.5 h, Z->Y overlaps: no wait
# case 2: X, Y started 01:00, Z started 04:00 -> X->Y 1 h, Y->Z 2 h
# case 3: X, X again at 01:00, Y started 01:30 -> X->Y 0.5 h (from the last X event)
SMALL_LOG = """case,activity,start,timestamp,team,agent
1,a,,2024-01-01 00:00,X,ann
1,b,,2024-01-01 01:00,,ann
1,c,2024-01-01 02:00,2024-01-01 03:00,Y,bob
1,d,2024-01-01 03:30,2024-01-01 04:00,Z,cid
1,e,2024-01-01 03:45,2024-01-01 05:00,Y,bob
2,a,,2024-01-02 00:00,X,ann
2,c,2024-01-02 01:00,2024-01-02 02:00,Y,dan
2,d,2024-01-02 04:00,2024-01-02 05:00,Z,cid
3,a,,2024-01-03 00:00,X,ann
3,a,,2024-01-03 01:00,X,ann
3,c,2024-01-03 01:30,2024-01-03 02:00,Y,bob
"""


@pytest.fixture
def small(tmp_path: Path):
    source = tmp_path / "log.csv"
    source.write_text(SMALL_LOG, encoding="utf-8")
    con = store.connect(tmp_path / "test.duckdb")
    options = IngestOptions(
        log_name="small", team="team", resource="agent", start_timestamp="start"
    )
    ingest_file(con, source, options)
    yield con, store.log_id_for(con, "small")
    con.close()


def test_team_edges_and_waits_match_hand_count(small) -> None:
    con, log_id = small
    net = build_handover_network(con, log_id)
    assert (net.level, net.available, net.cases, net.handovers) == ("team", True, 3, 6)
    edges = {(e.source, e.target): e for e in net.edges}
    assert set(edges) == {("X", "Y"), ("Y", "Z"), ("Z", "Y")}
    xy = edges[("X", "Y")]
    assert (xy.count, xy.cases) == (3, 3)
    assert (xy.median_wait_s, xy.total_wait_s) == (H, 3.5 * H)
    assert xy.mean_wait_s == pytest.approx(3.5 * H / 3)
    assert xy.p90_wait_s == pytest.approx(1.8 * H)  # 0.5, 1, 2 h: 1 + 0.8 * (2 - 1)
    yz = edges[("Y", "Z")]
    assert (yz.count, yz.cases, yz.median_wait_s) == (2, 2, 1.25 * H)
    assert edges[("Z", "Y")].median_wait_s == 0.0
    assert net.edges[0].source == "X"  # ranked by count


def test_team_nodes_cycles_and_graph(small) -> None:
    con, log_id = small
    net = build_handover_network(con, log_id)
    nodes = {n.name: n for n in net.nodes}
    assert (nodes["X"].events, nodes["X"].cases, nodes["X"].case_share) == (4, 3, 1.0)
    assert (nodes["Y"].events, nodes["Y"].handovers_in, nodes["Y"].handovers_out) == (4, 4, 2)
    assert nodes["Z"].case_share == pytest.approx(2 / 3)
    # only Y lies between others (X -> Y -> Z); directed normalization 1 / ((n-1)(n-2))
    assert (nodes["Y"].betweenness, nodes["X"].betweenness, nodes["Z"].betweenness) == (
        0.5,
        0.0,
        0.0,
    )
    # X and Y reach every case; Y is the one work flows through
    assert [n.name for n in net.nodes] == ["Y", "X", "Z"]
    (cycle,) = net.cycles
    assert (cycle.nodes, cycle.min_count, cycle.total_count) == (("Y", "Z"), 1, 3)
    assert net.graph["X"]["Y"]["count"] == 3
    assert net.graph.nodes["Y"]["betweenness"] == 0.5
    assert net.betweenness_sources is None  # exact on a small network


def test_resource_level_and_filters(small) -> None:
    con, log_id = small
    agents = build_handover_network(con, log_id, level="resource")
    edges = {(e.source, e.target): e.count for e in agents.edges}
    # case 1: ann ann bob cid bob; case 2: ann dan cid; case 3: ann ann bob
    assert edges == {
        ("ann", "bob"): 2,
        ("bob", "cid"): 1,
        ("cid", "bob"): 1,
        ("ann", "dan"): 1,
        ("dan", "cid"): 1,
    }
    # without activity e the way back from Z disappears, and with it the cycle
    net = build_handover_network(con, log_id, flt=LogFilter(exclude_activities=("e",)))
    assert {(e.source, e.target) for e in net.edges} == {("X", "Y"), ("Y", "Z")}
    assert net.cycles == ()


def test_log_without_teams_gives_an_empty_network(tmp_path: Path) -> None:
    source = tmp_path / "log.csv"
    source.write_text("case,activity,timestamp\n1,a,2024-01-01\n1,b,2024-01-02\n", "utf-8")
    with store.connect(tmp_path / "x.duckdb") as con:
        ingest_file(con, source, IngestOptions(log_name="plain"))
        net = build_handover_network(con, store.log_id_for(con, "plain"))
    assert (net.available, net.edges, net.nodes, net.cycles) == (False, (), (), ())
    assert net.graph.number_of_nodes() == 0


def test_bad_options_are_rejected(small) -> None:
    con, log_id = small
    with pytest.raises(InputError, match="level"):
        build_handover_network(con, log_id, level="department")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="cycle_length_bound"):
        build_handover_network(con, log_id, cycle_length_bound=1)


# --- generated telecom log


@pytest.mark.parametrize(("seed", "tickets"), [(7, 2000), (11, 2000), (7, 20000), (11, 20000)])
def test_generated_pingpong_is_the_network_cycle(telecom, seed: int, tickets: int) -> None:
    db, truth = telecom(seed, tickets)
    with store.connect(db, read_only=True) as con:
        net = build_handover_network(con, store.log_id_for(con, "telecom"))
    (bounce,) = truth["pingpong_teams"]
    front, back = bounce["teams"]
    edges = {(e.source, e.target): e for e in net.edges}
    # every bounce hands the ticket back once, a second bounce once more
    assert edges[(back, front)].cases == bounce["cases"]
    assert edges[(back, front)].count == bounce["cases"] + bounce["cases_bouncing_twice"]
    assert net.cycles[0].nodes == tuple(sorted((front, back)))
    assert net.cycles[0].min_count == edges[(back, front)].count
    # every ticket starts at the front line: the team everything flows through
    assert (net.nodes[0].name, net.nodes[0].case_share) == (front, 1.0)


@pytest.mark.parametrize("seed", [7, 11])
def test_generated_without_pingpong_has_no_way_back(telecom, seed: int) -> None:
    db, _ = telecom(seed, 2000, "pingpong")
    with store.connect(db, read_only=True) as con:
        net = build_handover_network(con, store.log_id_for(con, "telecom"))
    _, truth_on = telecom(seed, 2000)
    front, back = truth_on["pingpong_teams"][0]["teams"]
    assert (back, front) not in {(e.source, e.target) for e in net.edges}
    assert net.cycles == ()


def test_ranked_agent_pairs_are_the_top_of_the_full_network(telecom) -> None:
    db, _ = telecom(7, 2000)
    with store.connect(db, read_only=True) as con:
        log_id = store.log_id_for(con, "telecom")
        full = build_handover_network(con, log_id, level="resource")
        ranked = rank_handovers(con, log_id, level="resource", top=25)
    assert len(full.edges) > 100
    assert (ranked.pairs, ranked.handovers) == (len(full.edges), full.handovers)
    # the top 25 by count, each with the same exact figures as in the full network
    assert ranked.pairs_detailed == 25 and len(ranked.edges) == 25
    detail = {(e.source, e.target): e for e in full.edges}
    for edge in ranked.edges:
        assert detail[(edge.source, edge.target)] == edge
    assert min(e.count for e in ranked.edges) >= full.edges[25].count
    assert ranked.handovers_detailed == sum(e.count for e in ranked.edges)


def _handovers_with_pandas(csv: Path) -> dict[tuple[str, str], list[float]]:
    """Independent computation: waits of consecutive team changes per case, in file order."""
    import pandas as pd

    frame = pd.read_csv(csv, dtype=str)
    for column in ("timestamp", "start_timestamp"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    frame = frame[frame["team"].notna()].copy()
    frame["began"] = frame["start_timestamp"].fillna(frame["timestamp"])
    waits: dict[tuple[str, str], list[float]] = {}
    for _, case in frame.groupby("ticket_id", sort=False):
        case = case.sort_values("timestamp", kind="stable")
        rows = list(case[["team", "timestamp", "began"]].itertuples(index=False))
        for (team, done, _), (next_team, _, began) in pairwise(rows):
            if team != next_team:
                wait = max((began - done).total_seconds(), 0.0)
                waits.setdefault((team, next_team), []).append(wait)
    return waits


def test_generated_edges_agree_with_pandas(telecom) -> None:
    import statistics

    db, _ = telecom(7, 2000)
    with store.connect(db, read_only=True) as con:
        net = build_handover_network(con, store.log_id_for(con, "telecom"))
    expected = _handovers_with_pandas(db.with_suffix(".csv"))
    assert {(e.source, e.target) for e in net.edges} == set(expected)
    for edge in net.edges:
        waits = expected[(edge.source, edge.target)]
        assert edge.count == len(waits)
        assert edge.median_wait_s == pytest.approx(statistics.median(waits))
        assert edge.total_wait_s == pytest.approx(sum(waits))


@pytest.mark.slow
def test_bpic2013_support_group_network(real_db: Path) -> None:
    with store.connect(real_db, read_only=True) as con:
        log_id = store.log_id_for(con, "bpic2013_incidents")
        net = build_handover_network(con, log_id)
    assert net.available and len(net.nodes) > 100
    # a hand-over is one edge count, so counts add up to the network's total and degrees
    assert sum(e.count for e in net.edges) == net.handovers
    assert sum(n.handovers_out for n in net.nodes) == net.handovers
    # cycles come strongest first, and each one's rarest hand-over bounds it
    strengths = [c.min_count for c in net.cycles]
    assert strengths == sorted(strengths, reverse=True) and len(net.cycles) == 50
    for cycle in net.cycles[:5]:
        ring = cycle.nodes + cycle.nodes[:1]
        assert cycle.min_count == min(net.graph[a][b]["count"] for a, b in pairwise(ring))
