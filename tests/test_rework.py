"""Rework and ping-pong: hand-checked small logs, and BPI Challenge 2013 team ping-pong checked
with pandas."""

from __future__ import annotations

from pathlib import Path

import pytest

from mining import store
from mining.errors import InputError
from mining.filters import LogFilter
from mining.ingest import IngestOptions, ingest_file
from mining.rework import find_pingpong, find_rework

H = 3600.0

# case 1: a b b a c      -> b self-loop (2 h), a repeated after "b b" (4 h); teams X Y Y X X
# case 2: a b a b c      -> a after "b" (3 h), b after "a" (4 h), A-B-A and B-A-B; X Y X Y Z
# case 3: a b            -> no rework; X Y
SMALL_LOG = """case,activity,timestamp,team,agent
1,a,2024-01-01 00:00,X,ann
1,b,2024-01-01 01:00,Y,bob
1,b,2024-01-01 03:00,Y,bob
1,a,2024-01-01 04:00,X,ann
1,c,2024-01-01 05:00,X,cid
2,a,2024-01-01 00:00,X,ann
2,b,2024-01-01 02:00,Y,bob
2,a,2024-01-01 03:00,X,cid
2,b,2024-01-01 06:00,Y,bob
2,c,2024-01-01 07:00,Z,dan
3,a,2024-01-02 00:00,X,ann
3,b,2024-01-02 01:00,Y,bob
"""


def _load(tmp_path: Path, text: str, **options: str) -> tuple[object, int]:
    source = tmp_path / "log.csv"
    source.write_text(text, encoding="utf-8")
    con = store.connect(tmp_path / "test.duckdb")
    ingest_file(con, source, IngestOptions(log_name="small", **options))
    return con, store.log_id_for(con, "small")


@pytest.fixture
def small(tmp_path: Path):
    con, log_id = _load(tmp_path, SMALL_LOG, team="team", resource="agent")
    yield con, log_id
    con.close()


def test_rework_per_activity_matches_hand_count(small) -> None:
    con, log_id = small
    report = find_rework(con, log_id)
    assert (report.cases, report.cases_with_rework) == (3, 2)
    assert report.share_with_rework == pytest.approx(2 / 3)
    a, b = report.rows  # ranked by extra time: a (4 h + 3 h) before b (2 h + 4 h)
    assert (a.activity, a.cases, a.repetitions, a.self_loops, a.longer_loops) == ("a", 2, 2, 0, 2)
    assert a.extra_time_s == 7 * H
    assert a.median_extra_time_s == 3.5 * H
    assert (b.activity, b.cases, b.repetitions, b.self_loops, b.longer_loops) == ("b", 2, 2, 1, 1)
    assert b.extra_time_s == 6 * H
    assert a.share == pytest.approx(2 / 3)
    # affected cases last 5 h and 7 h; case 3, doing each once, lasts 1 h
    assert (a.cases_with_activity, a.median_lead_time_s, a.median_lead_time_once_s) == (3, 6 * H, H)
    assert a.lead_time_excess_s == 5 * H
    assert all(r.activity != "c" for r in report.rows)


def test_rework_loops_show_what_was_done_in_between(small) -> None:
    con, log_id = small
    loops = {(x.activity, x.body): x for x in find_rework(con, log_id).loops}
    assert set(loops) == {("a", ("b", "b")), ("b", ("a",)), ("a", ("b",)), ("b", ())}
    assert loops[("a", ("b", "b"))].extra_time_s == 4 * H
    assert loops[("b", ())].extra_time_s == 2 * H
    assert loops[("b", ())].occurrences == 1
    capped = {(x.activity, x.body) for x in find_rework(con, log_id, max_loop_body=1).loops}
    assert ("a", None) in capped  # "b b" is longer than one activity
    assert len(find_rework(con, log_id, top_loops=2).loops) == 2


def test_rework_follows_the_activity_projection(small) -> None:
    con, log_id = small
    # without b, case 1 is a a c: the longer loop becomes a self-loop
    report = find_rework(con, log_id, flt=LogFilter(exclude_activities=("b",)))
    (a,) = report.rows
    assert (a.activity, a.cases, a.self_loops, a.extra_time_s) == ("a", 2, 2, 7 * H)


def test_pingpong_activity_team_and_resource_levels(small) -> None:
    con, log_id = small
    report = find_pingpong(con, log_id, levels=("activity", "team", "resource"))
    assert report.available == ("activity", "team", "resource")
    (act,) = report.level("activity")
    assert (act.activities, act.cases, act.occurrences) == (("a", "b"), 1, 2)
    assert act.share == pytest.approx(1 / 3)
    # teams as stays: case 1 X Y X, case 2 X Y X Y Z, case 3 X Y
    (team,) = report.level("team")
    assert (team.activities, team.cases, team.occurrences) == (("X", "Y"), 2, 3)
    assert (team.returns_to_first, team.returns_to_second) == (2, 1)
    # agents: case 1 ann bob ann cid, case 2 ann bob cid bob dan
    resources = {r.activities: r for r in report.level("resource")}
    assert set(resources) == {("ann", "bob"), ("bob", "cid")}
    assert resources[("bob", "cid")].occurrences == 1


def test_pingpong_team_stays_skip_events_without_team(tmp_path: Path) -> None:
    # 前台 passes to 后台 and gets it back; the event in between names no team
    text = (
        "case,activity,timestamp,team\n"
        "T1,受理,2024-03-01 08:00,前台\n"
        "T1,派单,2024-03-01 09:00,\n"
        "T1,处理,2024-03-01 10:00,后台\n"
        "T1,处理,2024-03-01 11:00,后台\n"
        "T1,回访,2024-03-01 12:00,前台\n"
        "T2,受理,2024-03-01 08:00,前台\n"
        "T2,回访,2024-03-01 09:00,前台\n"
    )
    con, log_id = _load(tmp_path, text, team="team")
    report = find_pingpong(con, log_id)
    assert report.level("activity") == ()
    (team,) = report.level("team")
    assert (team.activities, team.cases, team.occurrences, team.share) == (
        ("前台", "后台"),
        1,
        1,
        0.5,
    )
    # rework of 处理 is a self-loop of one hour
    (row,) = find_rework(con, log_id).rows
    assert (row.activity, row.self_loops, row.extra_time_s) == ("处理", 1, H)


def test_pingpong_without_teams_reports_activity_level_only(tmp_path: Path) -> None:
    con, log_id = _load(tmp_path, "case,activity,timestamp\n1,a,2024-01-01\n1,b,2024-01-02\n")
    report = find_pingpong(con, log_id, levels=("activity", "team"))
    assert report.available == ("activity",)
    assert report.rows == ()


def test_pingpong_rejects_unknown_level(small) -> None:
    con, log_id = small
    with pytest.raises(InputError, match="level"):
        find_pingpong(con, log_id, levels=("department",))  # type: ignore[arg-type]


# --- generated telecom log: injected rework and ping-pong found, ranked first, gone when off

SCALES = [(7, 2000), (11, 2000), (7, 20000), (11, 20000)]


@pytest.mark.parametrize(("seed", "tickets"), SCALES)
def test_generated_rework_found_and_ranked_first(telecom, seed: int, tickets: int) -> None:
    db, truth = telecom(seed, tickets)
    with store.connect(db, read_only=True) as con:
        report = find_rework(con, store.log_id_for(con, "telecom"))
    repeated = {r["activity"]: r["cases"] for r in truth["repeated_activities"]}
    assert len(repeated) == 4  # re-diagnosis, re-dispatch, and the ping-pong's repeats
    ranked = [r.activity for r in report.rows]
    assert set(ranked[: len(repeated)]) == set(repeated)
    rows = {r.activity: r for r in report.rows}
    for activity, cases in repeated.items():
        assert rows[activity].cases == cases
    for injected in truth["rework_activities"]:
        row = rows[injected["activity"]]
        assert (row.repetitions, row.self_loops) == (
            injected["repetitions"],
            injected["self_loops"],
        )
        assert row.extra_time_s > 0


@pytest.mark.parametrize(("seed", "tickets"), SCALES)
def test_generated_pingpong_found_and_ranked_first(telecom, seed: int, tickets: int) -> None:
    db, truth = telecom(seed, tickets)
    with store.connect(db, read_only=True) as con:
        report = find_pingpong(con, store.log_id_for(con, "telecom"))
    for level, key, injected in (
        ("activity", "activities", truth["pingpong_pairs"]),
        ("team", "teams", truth["pingpong_teams"]),
    ):
        assert injected
        rows = report.level(level)
        top = rows[: len(injected)]
        assert {frozenset(r.activities) for r in top} == {frozenset(p[key]) for p in injected}
        for row in top:
            (pair,) = [p for p in injected if set(p[key]) == set(row.activities)]
            assert row.cases == pair["cases"]
            assert row.share == pytest.approx(pair["cases"] / truth["counts"]["tickets"])
            # cases bouncing twice give more than one X-Y-X
            assert row.occurrences > row.cases
        # the front line is the side work comes back to at team level
        if level == "team":
            assert rows[0].activities[0] == truth["pingpong_teams"][0]["teams"][0]


@pytest.mark.parametrize("seed", [7, 11])
def test_generated_counterfactuals_show_none_of_it(telecom, seed: int) -> None:
    _, truth = telecom(seed, 2000)
    rework_activities = {r["activity"] for r in truth["rework_activities"]}
    pingpong_activities = {a for p in truth["pingpong_pairs"] for a in p["activities"]}

    db, truth_off = telecom(seed, 2000, "rework")
    assert truth_off["rework_activities"] == []
    with store.connect(db, read_only=True) as con:
        report = find_rework(con, store.log_id_for(con, "telecom"))
    assert {r.activity for r in report.rows} == pingpong_activities  # only the ping-pong's

    db, truth_off = telecom(seed, 2000, "pingpong")
    assert truth_off["pingpong_pairs"] == []
    with store.connect(db, read_only=True) as con:
        log_id = store.log_id_for(con, "telecom")
        assert find_pingpong(con, log_id, levels=("activity", "team")).rows == ()
        remaining = {r.activity for r in find_rework(con, log_id).rows}
    assert remaining == rework_activities


# --- real log: BPI Challenge 2013 incidents, team ping-pong between support groups (org:group)


def _team_triples_with_pandas(source: Path) -> dict[tuple[str, str], tuple[int, set[str]]]:
    """Independent count: per unordered pair, X-Y-X triples over each case's team stays."""
    import pm4py

    frame = pm4py.read_xes(str(source), variant="iterparse", show_progress_bar=False)
    frame = frame.sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    frame = frame[frame["org:group"].notna()]
    found: dict[tuple[str, str], tuple[int, set[str]]] = {}
    for case, groups in frame.groupby("case:concept:name", sort=False)["org:group"]:
        stays = [g for i, g in enumerate(groups) if i == 0 or g != groups.iloc[i - 1]]
        for x, y, z in zip(stays, stays[1:], stays[2:], strict=False):
            if x == z:
                key = (min(x, y), max(x, y))
                count, cases = found.get(key, (0, set()))
                cases.add(str(case))
                found[key] = (count + 1, cases)
    return found


@pytest.mark.slow
def test_bpic2013_team_pingpong_agrees_with_pandas(real_db: Path, real_log_path) -> None:
    with store.connect(real_db, read_only=True) as con:
        log_id = store.log_id_for(con, "bpic2013_incidents")
        teams = find_pingpong(con, log_id, levels=("team",)).level("team")
    expected = _team_triples_with_pandas(real_log_path("bpic2013_incidents"))
    assert len(teams) == len(expected)
    for row in teams[:10]:
        count, cases = expected[(min(row.activities), max(row.activities))]
        assert (row.occurrences, row.cases) == (count, len(cases))
    top = max(expected.items(), key=lambda kv: (len(kv[1][1]), kv[1][0]))
    assert set(teams[0].activities) == set(top[0])
    # plausible: support groups bounce a small minority of the 7,554 incidents between them,
    # the most frequent pair a few dozen; and the team returned to is mostly one side
    assert 10 <= teams[0].cases <= 0.05 * 7554
    assert teams[0].returns_to_first > teams[0].returns_to_second
