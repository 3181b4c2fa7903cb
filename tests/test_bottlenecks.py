"""Bottlenecks: a log worked out by hand, and the generated telecom log's injected bottlenecks.

The hand log (2024-01-01, UTC; start-complete where a start is recorded):

    c1 app      A 09:00 | B 09:05-09:10 | C 09:30-09:40
    c2 hotline  A 10:00 | B 10:10-10:20 | C 10:40-11:00
    c3 app      A 08:00 | C 09:00-09:10
    c4 hotline  A 12:00 | B 12:01-12:05 | B 12:15-12:25 | C 12:45-13:00
    c5 app      B 06:50-07:00 | C 07:30-07:45

Hand-over waits (the source's completion to the target's start, seconds):
    A->B 300, 600, 60 | B->C 1200, 1200, 1200, 1800 | A->C 3600 | B->B 600
All nine sorted: 60 300 600 600 1200 1200 1200 1800 3600 -> baseline (median) 1200.
Excess over 1200: A->C 2400, B->C 600, the rest 0 -> delay shares 0.8 and 0.2.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from mining import store
from mining.bottlenecks import find_activity_bottlenecks, find_bottlenecks
from mining.errors import InputError
from mining.filters import LogFilter
from mining.ingest import IngestOptions, ingest_file

HAND_LOG = """case,channel,activity,start_timestamp,timestamp
c1,app,A,,2024-01-01 09:00:00
c1,app,B,2024-01-01 09:05:00,2024-01-01 09:10:00
c1,app,C,2024-01-01 09:30:00,2024-01-01 09:40:00
c2,hotline,A,,2024-01-01 10:00:00
c2,hotline,B,2024-01-01 10:10:00,2024-01-01 10:20:00
c2,hotline,C,2024-01-01 10:40:00,2024-01-01 11:00:00
c3,app,A,,2024-01-01 08:00:00
c3,app,C,2024-01-01 09:00:00,2024-01-01 09:10:00
c4,hotline,A,,2024-01-01 12:00:00
c4,hotline,B,2024-01-01 12:01:00,2024-01-01 12:05:00
c4,hotline,B,2024-01-01 12:15:00,2024-01-01 12:25:00
c4,hotline,C,2024-01-01 12:45:00,2024-01-01 13:00:00
c5,app,B,2024-01-01 06:50:00,2024-01-01 07:00:00
c5,app,C,2024-01-01 07:30:00,2024-01-01 07:45:00
"""


def _load_hand(tmp_path: Path, *, with_start: bool) -> tuple[duckdb.DuckDBPyConnection, int]:
    text = HAND_LOG
    if not with_start:
        lines = [line.split(",") for line in text.splitlines()]
        text = "\n".join(",".join(cells[:3] + cells[4:]) for cells in lines) + "\n"
    csv = tmp_path / "hand.csv"
    csv.write_text(text, encoding="utf-8")
    con = store.connect(tmp_path / "hand.duckdb")
    options = IngestOptions(
        log_name="hand",
        case="case",
        activity="activity",
        timestamp="timestamp",
        start_timestamp="start_timestamp" if with_start else "",
    )
    ingest_file(con, csv, options)
    return con, store.log_id_for(con, "hand")


@pytest.fixture
def hand(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, int]:
    return _load_hand(tmp_path, with_start=True)


def test_edge_delays_by_hand(hand: tuple[duckdb.DuckDBPyConnection, int]) -> None:
    con, log_id = hand
    ranked = find_bottlenecks(con, log_id)
    assert [(b.source, b.target) for b in ranked] == [
        ("A", "C"),
        ("B", "C"),
        ("A", "B"),  # no delay: ties ranked by count
        ("B", "B"),
    ]
    assert [b.delay_s for b in ranked] == [2400.0, 600.0, 0.0, 0.0]
    assert [b.delay_share for b in ranked] == [pytest.approx(0.8), pytest.approx(0.2), 0.0, 0.0]
    assert {b.baseline_s for b in ranked} == {1200.0}
    assert {b.wait_basis for b in ranked} == {"start"}
    ac, bc, ab, _ = ranked
    assert (ac.count, ac.cases, ac.median_s, ac.mean_s, ac.p90_s) == (1, 1, 3600.0, 3600.0, 3600.0)
    assert (ac.excess_count, ac.delay_per_case_s) == (1, 480.0)
    # B->C waits 1200, 1200, 1200, 1800: P90 at 2.7 -> 1200 + 0.7 * 600
    assert (bc.count, bc.cases, bc.median_s, bc.mean_s) == (4, 4, 1200.0, 1350.0)
    assert bc.p90_s == pytest.approx(1620.0)
    assert (bc.total_wait_s, bc.excess_count, bc.delay_per_case_s) == (5400.0, 1, 120.0)
    # A->B waits 60, 300, 600: P90 at 1.8 -> 300 + 0.8 * 300
    assert (ab.median_s, ab.mean_s, ab.p90_s) == (300.0, 320.0, pytest.approx(540.0))


def test_baseline_quantile_is_an_option(hand: tuple[duckdb.DuckDBPyConnection, int]) -> None:
    con, log_id = hand
    # the lower quartile of the nine waits is 600: B->C adds 3 x 600 + 1200, A->C 3000
    ranked = find_bottlenecks(con, log_id, baseline_quantile=0.25)
    assert [(b.source, b.target, b.delay_s) for b in ranked[:2]] == [
        ("B", "C", 3000.0),  # equal delay: the more frequent hand-over first
        ("A", "C", 3000.0),
    ]
    assert ranked[0].baseline_s == 600.0
    with pytest.raises(InputError, match="baseline_quantile must be between 0 and 1"):
        find_bottlenecks(con, log_id, baseline_quantile=50)


def test_edge_delays_without_start_timestamps(tmp_path: Path) -> None:
    con, log_id = _load_hand(tmp_path, with_start=False)
    # waits run completion to completion: A->B 600 1200 300 | B->C 1800 2400 2100 2700 |
    # A->C 4200 | B->B 1200; median of the nine 1800; excess A->C 2400, B->C 600+300+900
    ranked = find_bottlenecks(con, log_id)
    assert [(b.source, b.target, b.delay_s) for b in ranked] == [
        ("A", "C", 2400.0),
        ("B", "C", 1800.0),
        ("A", "B", 0.0),
        ("B", "B", 0.0),
    ]
    assert ranked[0].delay_share == pytest.approx(4 / 7)
    assert {b.wait_basis for b in ranked} == {"complete"}
    assert {b.baseline_s for b in ranked} == {1800.0}
    # service and waiting cannot be told apart
    assert find_activity_bottlenecks(con, log_id) == ()


def test_activity_service_and_waiting_by_hand(hand: tuple[duckdb.DuckDBPyConnection, int]) -> None:
    con, log_id = hand
    ranked = find_activity_bottlenecks(con, log_id)
    assert [a.activity for a in ranked] == ["C", "B", "A"]
    c, b, a = ranked
    # C waits 1200, 1200, 3600, 1200, 1800 -> excess 2400 + 600; service 600 1200 600 900 900
    assert (c.delay_s, c.delay_share, c.baseline_s) == (3000.0, 1.0, 1200.0)
    assert (c.waiting_mean_s, c.waiting_median_s, c.service_mean_s, c.service_median_s) == (
        1800.0,
        1200.0,
        840.0,
        900.0,
    )
    assert c.service_share == pytest.approx(4200 / (4200 + 9000))
    # B waits 300, 600, 60, 600 (all under the baseline); service 300 600 240 600 600
    assert (b.delay_s, b.waiting_median_s, b.service_median_s) == (0.0, 450.0, 600.0)
    assert b.service_share == pytest.approx(2340 / (2340 + 1560))
    # A has no start timestamps and always opens its case: not available, not zero
    assert (a.service_mean_s, a.waiting_mean_s, a.service_share) == (None, None, None)


def test_bottlenecks_under_a_filter(hand: tuple[duckdb.DuckDBPyConnection, int]) -> None:
    con, log_id = hand
    hotline = LogFilter(case_attributes=(("channel", ("hotline",)),))
    # c2 and c4: A->B 600, 60 | B->C 1200, 1200 | B->B 600 -> baseline 600
    ranked = find_bottlenecks(con, log_id, flt=hotline)
    assert [(b.source, b.target, b.delay_s) for b in ranked] == [
        ("B", "C", 1200.0),
        ("A", "B", 0.0),
        ("B", "B", 0.0),
    ]
    assert (ranked[0].baseline_s, ranked[0].delay_share, ranked[0].delay_per_case_s) == (
        600.0,
        1.0,
        600.0,
    )
    nobody = LogFilter(case_attributes=(("channel", ("wechat",)),))
    assert find_bottlenecks(con, log_id, flt=nobody) == ()
    assert find_activity_bottlenecks(con, log_id, flt=nobody) == ()


# --- known truth: the generated telecom log ----------------------------------------------------


def _open(db: Path) -> duckdb.DuckDBPyConnection:
    return store.connect(db, read_only=True)


SCALES = [
    pytest.param(2_000, 7, id="2k-seed7"),
    pytest.param(2_000, 11, id="2k-seed11"),
    pytest.param(20_000, 7, id="20k-seed7", marks=pytest.mark.slow),
    pytest.param(20_000, 11, id="20k-seed11", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("tickets", "seed"), SCALES)
def test_injected_bottleneck_edges_rank_at_the_top(
    telecom: Callable[..., tuple[Path, dict]], tickets: int, seed: int
) -> None:
    db, truth = telecom(seed, tickets)
    injected = {(e["source"], e["target"]): e for e in truth["bottleneck_edges"]}
    assert injected, "the generated log should carry injected bottleneck edges"
    with _open(db) as con:
        ranked = find_bottlenecks(con, store.log_id_for(con, "telecom"))
    top = ranked[: len(injected)]
    # the injected edges, and nothing else, at the top
    assert {(b.source, b.target) for b in top} == set(injected)
    for b in top:
        expected = injected[(b.source, b.target)]
        assert b.wait_basis == "start"
        assert b.count == expected["traversals"]
        # the truth's wait: the target's start minus the source's completion
        assert b.mean_s == pytest.approx(expected["mean_wait_s"], abs=0.06)
        # every injected hand-over waits longer than the baseline
        assert b.excess_count == b.count
        assert b.delay_s == pytest.approx(b.count * (b.mean_s - b.baseline_s), rel=1e-9)
    assert sum(b.delay_share for b in top) > 0.5
    # and by a clear margin over the first edge that was not injected
    assert min(b.delay_s for b in top) > 3 * ranked[len(injected)].delay_s


@pytest.mark.parametrize(("tickets", "seed"), SCALES)
def test_injected_bottlenecks_show_as_waiting_before_their_targets(
    telecom: Callable[..., tuple[Path, dict]], tickets: int, seed: int
) -> None:
    db, truth = telecom(seed, tickets)
    targets = {e["target"] for e in truth["bottleneck_edges"]}
    with _open(db) as con:
        ranked = find_activity_bottlenecks(con, store.log_id_for(con, "telecom"))
    assert {a.activity for a in ranked[: len(targets)]} == targets
    for a in ranked[: len(targets)]:
        assert a.waiting_median_s is not None and a.service_median_s is not None
        assert a.waiting_median_s > 5 * a.service_median_s


def test_without_the_injected_bottleneck_its_edges_are_ordinary(
    telecom: Callable[..., tuple[Path, dict]],
) -> None:
    _, truth = telecom(7, 2_000)
    db, truth_off = telecom(7, 2_000, switch_off="bottleneck")
    assert truth_off["bottleneck_edges"] == []
    with _open(db) as con:
        ranked = find_bottlenecks(con, store.log_id_for(con, "telecom"))
    position = {(b.source, b.target): i for i, b in enumerate(ranked)}
    for edge in truth["bottleneck_edges"]:
        b = ranked[position[(edge["source"], edge["target"])]]
        # the same tickets, without the injected extra wait
        assert b.mean_s == pytest.approx(edge["baseline_mean_wait_s"], abs=0.06)
        assert b.delay_share < 0.2
