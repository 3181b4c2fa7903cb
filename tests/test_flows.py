"""Flows on a 5-case log small enough to work out by hand.

The log (times on 2024-01-01, UTC; `start` is the start timestamp where one is recorded):

    case  channel  events (activity start-complete)
    c1    app      A 09:00 | B 09:05-09:10 | C 09:30-09:40
    c2    hotline  A 10:00 | B 10:10-10:20 | C 10:40-11:00
    c3    app      A 08:00 | C 09:00-09:10
    c4    hotline  A 12:00 | B 12:01-12:05 | B 12:15-12:25 | C 12:45-13:00
    c5    app      B 06:50-07:00 | C 07:30-07:45

Directly-follows, completion to completion (seconds):
    A->B: c1 600, c2 1200, c4 300      -> count 3, mean 700, median 600, P90 1080
    B->C: c1 1800, c2 2400, c4 2100, c5 2700 -> count 4, mean 2250, median 2250, P90 2610
    A->C: c3 4200;  B->B: c4 1200
P90 by linear interpolation: A->B sorted (300, 600, 1200), position 0.9 * 2 = 1.8 ->
600 + 0.8 * 600 = 1080; B->C position 0.9 * 3 = 2.7 -> 2400 + 0.7 * 300 = 2610.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from mining import store
from mining.errors import InputError
from mining.filters import LogFilter
from mining.flows import (
    discover_dfg,
    get_activity_statistics,
    get_case_lead_times,
    get_variants,
    simplify_map,
    summarize_lead_times,
)
from mining.ingest import IngestOptions, ingest_file

ROWS = [
    # case, channel, activity, start, complete
    ("c1", "app", "A", "", "09:00"),
    ("c1", "app", "B", "09:05", "09:10"),
    ("c1", "app", "C", "09:30", "09:40"),
    ("c2", "hotline", "A", "", "10:00"),
    ("c2", "hotline", "B", "10:10", "10:20"),
    ("c2", "hotline", "C", "10:40", "11:00"),
    ("c3", "app", "A", "", "08:00"),
    ("c3", "app", "C", "09:00", "09:10"),
    ("c4", "hotline", "A", "", "12:00"),
    ("c4", "hotline", "B", "12:01", "12:05"),
    ("c4", "hotline", "B", "12:15", "12:25"),
    ("c4", "hotline", "C", "12:45", "13:00"),
    ("c5", "app", "B", "06:50", "07:00"),
    ("c5", "app", "C", "07:30", "07:45"),
]


def write_hand_log(path: Path, *, with_start: bool = True) -> Path:
    """The 5-case log above as CSV (rows shuffled within the file: order must not matter)."""

    def stamp(hhmm: str) -> str:
        return f"2024-01-01 {hhmm}:00" if hhmm else ""

    header = "case,channel,activity," + ("start_timestamp," if with_start else "") + "timestamp"
    lines = [header]
    for case, channel, activity, start, complete in reversed(ROWS):
        cells = [case, channel, activity] + ([stamp(start)] if with_start else [])
        lines.append(",".join([*cells, stamp(complete)]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_hand_log(
    db: Path, csv: Path, *, with_start: bool = True
) -> tuple[duckdb.DuckDBPyConnection, int]:
    con = store.connect(db)
    options = IngestOptions(
        log_name="hand",
        case="case",
        activity="activity",
        timestamp="timestamp",
        start_timestamp="start_timestamp" if with_start else "",
    )
    ingest_file(con, write_hand_log(csv, with_start=with_start), options)
    return con, store.log_id_for(con, "hand")


@pytest.fixture
def hand(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, int]:
    return load_hand_log(tmp_path / "hand.duckdb", tmp_path / "hand.csv")


def test_dfg_counts_and_times_by_hand(hand: tuple[duckdb.DuckDBPyConnection, int]) -> None:
    con, log_id = hand
    dfg = discover_dfg(con, log_id)
    assert dfg.counts() == {("A", "B"): 3, ("B", "C"): 4, ("A", "C"): 1, ("B", "B"): 1}
    assert [(e.source, e.target) for e in dfg.edges] == [
        ("B", "C"),
        ("A", "B"),
        ("A", "C"),
        ("B", "B"),
    ]
    ab, bc = dfg.edge("A", "B"), dfg.edge("B", "C")
    assert ab is not None and bc is not None
    assert (ab.cases, ab.mean_s, ab.median_s, ab.p90_s) == (3, 700.0, 600.0, pytest.approx(1080.0))
    assert (ab.min_s, ab.max_s, ab.total_s) == (300.0, 1200.0, 2100.0)
    assert (bc.cases, bc.mean_s, bc.median_s, bc.p90_s) == (4, 2250.0, 2250.0, pytest.approx(2610))
    ac, bb = dfg.edge("A", "C"), dfg.edge("B", "B")
    assert ac is not None and bb is not None
    assert (ac.median_s, ac.p90_s, bb.median_s) == (4200.0, 4200.0, 1200.0)
    assert dfg.edge("C", "A") is None
    assert dfg.start_counts() == {"A": 4, "B": 1}
    assert dfg.end_counts() == {"C": 5}
    assert {a.activity: (a.occurrences, a.cases) for a in dfg.activities} == {
        "A": (4, 4),
        "B": (5, 4),
        "C": (5, 5),
    }
    assert (dfg.cases, dfg.events) == (5, 14)


def test_variants_by_hand(hand: tuple[duckdb.DuckDBPyConnection, int]) -> None:
    con, log_id = hand
    variants = get_variants(con, log_id)
    # ties (count 1) ranked by their activity sequence
    assert [(v.activities, v.count) for v in variants] == [
        (("A", "B", "C"), 2),
        (("A", "B", "B", "C"), 1),
        (("A", "C"), 1),
        (("B", "C"), 1),
    ]
    assert [v.share for v in variants] == [0.4, 0.2, 0.2, 0.2]
    # lead times: c1 2400, c2 3600 -> median 3000; c4 3600; c3 4200; c5 2700
    assert [v.median_lead_time_s for v in variants] == [3000.0, 3600.0, 4200.0, 2700.0]
    assert [v.activities for v in get_variants(con, log_id, top=2)] == [
        ("A", "B", "C"),
        ("A", "B", "B", "C"),
    ]


def test_lead_times_by_hand(hand: tuple[duckdb.DuckDBPyConnection, int]) -> None:
    con, log_id = hand
    leads = get_case_lead_times(con, log_id)
    # longest first, ties by case id
    assert [(c.case_id, c.lead_time_s, c.n_events) for c in leads] == [
        ("c3", 4200.0, 2),
        ("c2", 3600.0, 3),
        ("c4", 3600.0, 4),
        ("c5", 2700.0, 2),
        ("c1", 2400.0, 3),
    ]
    assert [c.case_id for c in get_case_lead_times(con, log_id, limit=2)] == ["c3", "c2"]
    summary = summarize_lead_times(con, log_id)
    # sorted (2400, 2700, 3600, 3600, 4200): P90 at 3.6 -> 3600 + 0.6 * 600
    assert (summary.cases, summary.events) == (5, 14)
    assert (summary.mean_s, summary.median_s, summary.min_s, summary.max_s) == (
        3300.0,
        3600.0,
        2400.0,
        4200.0,
    )
    assert summary.p90_s == pytest.approx(3960.0)


def test_service_and_waiting_time_by_hand(hand: tuple[duckdb.DuckDBPyConnection, int]) -> None:
    con, log_id = hand
    stats = {a.activity: a for a in get_activity_statistics(con, log_id)}
    a, b, c = stats["A"], stats["B"], stats["C"]
    # A has no start timestamps and always opens its case: nothing to measure
    assert (a.occurrences, a.cases) == (4, 4)
    assert (a.service_mean_s, a.service_median_s, a.waiting_mean_s, a.waiting_median_s) == (
        None,
        None,
        None,
        None,
    )
    # B service: 300, 600, 240, 600, 600; waiting: 300, 600, 60, 600 (c5 starts with B)
    assert (b.service_mean_s, b.service_median_s) == (468.0, 600.0)
    assert (b.waiting_mean_s, b.waiting_median_s) == (390.0, 450.0)
    # C service: 600, 1200, 600, 900, 900; waiting: 1200, 1200, 3600, 1200, 1800
    assert (c.service_mean_s, c.service_median_s) == (840.0, 900.0)
    assert (c.waiting_mean_s, c.waiting_median_s) == (1800.0, 1200.0)


def test_no_start_timestamps_means_not_available(tmp_path: Path) -> None:
    con, log_id = load_hand_log(tmp_path / "h.duckdb", tmp_path / "h.csv", with_start=False)
    stats = get_activity_statistics(con, log_id)
    assert {s.activity: s.occurrences for s in stats} == {"A": 4, "B": 5, "C": 5}
    assert all(
        (s.service_mean_s, s.service_median_s, s.waiting_mean_s, s.waiting_median_s)
        == (None, None, None, None)
        for s in stats
    )
    # the map does not depend on start timestamps
    with_start, _ = load_hand_log(tmp_path / "s.duckdb", tmp_path / "s.csv")
    assert discover_dfg(con, log_id) == discover_dfg(
        with_start, store.log_id_for(with_start, "hand")
    )


def test_case_attribute_filter_by_hand(hand: tuple[duckdb.DuckDBPyConnection, int]) -> None:
    con, log_id = hand
    hotline = LogFilter(case_attributes=(("channel", ("hotline",)),))
    dfg = discover_dfg(con, log_id, flt=hotline)  # c2 and c4
    assert dfg.counts() == {("A", "B"): 2, ("B", "C"): 2, ("B", "B"): 1}
    bc = dfg.edge("B", "C")
    assert bc is not None and (bc.median_s, bc.mean_s) == (2250.0, 2250.0)  # 2400, 2100
    assert (dfg.cases, dfg.events) == (2, 7)
    assert [v.activities for v in get_variants(con, log_id, flt=hotline)] == [
        ("A", "B", "B", "C"),
        ("A", "B", "C"),
    ]
    assert summarize_lead_times(con, log_id, flt=hotline).median_s == 3600.0


def test_activity_projection_by_hand(hand: tuple[duckdb.DuckDBPyConnection, int]) -> None:
    con, log_id = hand
    without_b = LogFilter(exclude_activities=("B",))
    dfg = discover_dfg(con, log_id, flt=without_b)
    # A->C now in c1 (2400), c2 (3600), c3 (4200), c4 (3600); c5 is the lone event C
    assert dfg.counts() == {("A", "C"): 4}
    ac = dfg.edge("A", "C")
    assert ac is not None and (ac.mean_s, ac.median_s) == (3450.0, 3600.0)
    assert dfg.start_counts() == {"A": 4, "C": 1}
    assert dfg.end_counts() == {"C": 5}
    assert [(v.activities, v.count) for v in get_variants(con, log_id, flt=without_b)] == [
        (("A", "C"), 4),
        (("C",), 1),
    ]
    leads = {c.case_id: c.lead_time_s for c in get_case_lead_times(con, log_id, flt=without_b)}
    assert leads == {"c1": 2400.0, "c2": 3600.0, "c3": 4200.0, "c4": 3600.0, "c5": 0.0}
    # keeping only B: c3 loses every event and drops out
    only_b = LogFilter(activities=("B",))
    assert discover_dfg(con, log_id, flt=only_b).cases == 4
    assert summarize_lead_times(con, log_id, flt=only_b).cases == 4


def test_empty_selection(hand: tuple[duckdb.DuckDBPyConnection, int]) -> None:
    con, log_id = hand
    nobody = LogFilter(case_attributes=(("channel", ("wechat",)),))
    dfg = discover_dfg(con, log_id, flt=nobody)
    assert (dfg.edges, dfg.start_activities, dfg.cases, dfg.events) == ((), (), 0, 0)
    assert get_variants(con, log_id, flt=nobody) == ()
    summary = summarize_lead_times(con, log_id, flt=nobody)
    assert (summary.cases, summary.median_s, summary.mean_s) == (0, None, None)


def test_activity_slider_by_hand(hand: tuple[duckdb.DuckDBPyConnection, int]) -> None:
    con, log_id = hand
    dfg = discover_dfg(con, log_id)
    # ranked C (5), B (5, label descending breaks the tie), A (4): only C must stay; A can go
    # (B still starts c5), B cannot (nothing would lead to C)
    kept = simplify_map(dfg, activity_share=0.0)
    assert kept.counts() == {("B", "C"): 4, ("B", "B"): 1}
    assert (kept.start_counts(), kept.end_counts()) == ({"B": 1}, {"C": 5})
    assert [a.activity for a in kept.activities] == ["B", "C"]
    assert (kept.cases, kept.events) == (5, 14)
    assert simplify_map(dfg, activity_share=1.0) == dfg
    assert discover_dfg(con, log_id, activity_share=0.0) == kept


def test_path_slider_by_hand(hand: tuple[duckdb.DuckDBPyConnection, int]) -> None:
    con, log_id = hand
    dfg = discover_dfg(con, log_id)
    # arcs by count: C->end 5, start->A 4, B->C 4, A->B 3, then the 1s; only C must stay.
    # Least frequent first: A->C, B->B, start->B go; A->B, B->C, start->A are needed for C.
    kept = simplify_map(dfg, path_share=0.0)
    assert kept.counts() == {("A", "B"): 3, ("B", "C"): 4}
    assert (kept.start_counts(), kept.end_counts()) == ({"A": 4}, {"C": 5})
    # the edges keep their figures
    assert kept.edge("A", "B") == dfg.edge("A", "B")
    assert simplify_map(dfg, path_share=1.0) == dfg


def test_bad_options_are_rejected(hand: tuple[duckdb.DuckDBPyConnection, int]) -> None:
    con, log_id = hand
    dfg = discover_dfg(con, log_id)
    with pytest.raises(InputError, match="activity_share must be between 0 and 1"):
        simplify_map(dfg, activity_share=1.5)
    with pytest.raises(InputError, match="path_share must be between 0 and 1"):
        discover_dfg(con, log_id, path_share=-0.1)
    with pytest.raises(InputError, match="top must be 0 or more"):
        get_variants(con, log_id, top=-1)
    with pytest.raises(InputError, match="limit must be 0 or more"):
        get_case_lead_times(con, log_id, limit=-3)


def test_chinese_labels_come_back_as_written(tmp_path: Path) -> None:
    csv = tmp_path / "zh.csv"
    csv.write_text(
        "工单号,环节,时间\n"
        "T1,受理,2024-05-01 08:00:00\nT1,派单至后台,2024-05-01 08:30:00\n"
        "T1,故障诊断,2024-05-01 10:30:00\nT2,受理,2024-05-01 09:00:00\n"
        "T2,故障诊断,2024-05-01 09:10:00\n",
        encoding="utf-8",
    )
    con = store.connect(tmp_path / "zh.duckdb")
    ingest_file(
        con, csv, IngestOptions(log_name="zh", case="工单号", activity="环节", timestamp="时间")
    )
    log_id = store.log_id_for(con, "zh")
    dfg = discover_dfg(con, log_id)
    assert dfg.counts() == {
        ("受理", "派单至后台"): 1,
        ("派单至后台", "故障诊断"): 1,
        ("受理", "故障诊断"): 1,
    }
    edge = dfg.edge("派单至后台", "故障诊断")
    assert edge is not None and edge.median_s == 7200.0
    # one case each: ties ranked by the labels' code points (故 U+6545 before 派 U+6D3E)
    assert [v.activities for v in get_variants(con, log_id)] == [
        ("受理", "故障诊断"),
        ("受理", "派单至后台", "故障诊断"),
    ]


# who did each event of the hand log: B of c2 and C of c3 by the back office, C of c4 by r9
BACK_OFFICE = {("c2", "B"), ("c3", "C")}


def test_team_and_resource_filters_by_hand(tmp_path: Path) -> None:
    lines = ["case,activity,timestamp,team,resource"]
    for case, _channel, activity, _start, complete in ROWS:
        team = "二线 支撑" if (case, activity) in BACK_OFFICE else "一线"
        resource = "r9" if (case, activity) == ("c4", "C") else f"r-{activity}"
        lines.append(f"{case},{activity},2024-01-01 {complete}:00,{team},{resource}")
    csv = tmp_path / "teams.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with store.connect(tmp_path / "teams.duckdb") as con:
        ingest_file(con, csv, IngestOptions(log_name="hand"))
        log_id = store.log_id_for(con, "hand")

        back = LogFilter(teams=("二线 支撑",))  # c2 and c3, with all their events
        dfg = discover_dfg(con, log_id, flt=back)
        assert dfg.counts() == {("A", "B"): 1, ("B", "C"): 1, ("A", "C"): 1}
        assert (dfg.cases, dfg.events) == (2, 5)
        # any of the teams: the front line worked on every case
        assert discover_dfg(con, log_id, flt=LogFilter(teams=("一线", "二线 支撑"))).cases == 5
        # resources alike; with a team too, a case must match both (c4 has no back-office event)
        assert discover_dfg(con, log_id, flt=LogFilter(resources=("r9",))).events == 4
        assert discover_dfg(con, log_id, flt=LogFilter(resources=("r9", "r-B"))).cases == 4
        both = LogFilter(teams=("二线 支撑",), resources=("r9", "r-B"))
        assert [c.case_id for c in get_case_lead_times(con, log_id, flt=both)] == ["c2"]
        # the team selection looks at the events the activity projection drops
        only_a = discover_dfg(con, log_id, flt=LogFilter(teams=("二线 支撑",), activities=("A",)))
        assert (only_a.cases, only_a.events, only_a.start_counts()) == (2, 2, {"A": 2})
        # names match exactly: no such team, no cases
        assert discover_dfg(con, log_id, flt=LogFilter(teams=("二线",))).cases == 0
