"""The generated telecom ticket log: determinism, counterfactuals, and a truth that matches the data.

Every fact of the truth file is recomputed here from the log with plain pandas.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from servflow.samplegen import PROBLEMS, generate_log, main, truth_path_for

SAMPLE_LOGS = Path(__file__).resolve().parent.parent / "sample_logs"
TICKETS = 600


def _read(path: Path) -> pd.DataFrame:
    """The log as strings plus parsed `ts`/`st` columns (UTC), in file order."""
    if path.suffix == ".parquet":
        raw = pd.read_parquet(path)
        frame = raw.astype({c: "string" for c in raw.columns if raw[c].dtype == object})
        return frame.assign(ts=raw["timestamp"], st=raw["start_timestamp"])
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return frame.assign(
        ts=pd.to_datetime(frame["timestamp"], utc=True),
        st=pd.to_datetime(frame["start_timestamp"].replace("", None), utc=True),
    )


def _generate(tmp_path: Path, name: str, **options: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    options.setdefault("tickets", TICKETS)
    result = generate_log(tmp_path / name, **options)
    return _read(result.log_path), json.loads(result.truth_path.read_text("utf-8"))


@pytest.fixture(scope="module")
def factual(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict[str, Any]]:
    return _generate(tmp_path_factory.mktemp("factual"), "tickets.csv", seed=11)


def _rows_by_ticket(frame: pd.DataFrame) -> dict[str, list[tuple[str, ...]]]:
    rows = frame.drop(columns=["ts", "st"]).astype(str).itertuples(index=False, name=None)
    grouped: dict[str, list[tuple[str, ...]]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    return grouped


def _collapse(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        if not out or out[-1] != value:
            out.append(value)
    return out


def _self_loop_cases(frame: pd.DataFrame, activity: str) -> set[str]:
    following = frame.groupby("ticket_id")["activity"].shift(-1)
    return set(frame.loc[(frame["activity"] == activity) & (following == activity), "ticket_id"])


def _aba_cases(frame: pd.DataFrame, a: str, b: str) -> set[str]:
    cases = set()
    for ticket, acts in frame.groupby("ticket_id")["activity"]:
        seq = list(acts)
        if any(seq[i : i + 3] == [a, b, a] for i in range(len(seq) - 2)):
            cases.add(ticket)
    return cases


def _edge_waits(frame: pd.DataFrame) -> pd.DataFrame:
    nxt = frame.groupby("ticket_id").shift(-1)
    wait = (nxt["st"].fillna(nxt["ts"]) - frame["ts"]).dt.total_seconds()
    edges = pd.DataFrame({"source": frame["activity"], "target": nxt["activity"], "wait": wait})
    return (
        edges.dropna()
        .groupby(["source", "target"])["wait"]
        .agg(["count", "mean", "sum"])
        .reset_index()
    )


def _work_steps(frame: pd.DataFrame) -> pd.DataFrame:
    work = frame[frame["st"].notna()]
    service = (work["ts"] - work["st"]).dt.total_seconds()
    steps = pd.DataFrame({"activity": work["activity"], "s": service, "r": work["resource"]})
    stats = steps.groupby("activity").agg(
        mean=("s", "mean"), std=("s", "std"), resources=("r", "nunique")
    )
    return stats.assign(cv=stats["std"] / stats["mean"])


# --------------------------------------------------------------------------------------------
# Determinism


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_same_seed_gives_identical_bytes(tmp_path: Path, suffix: str) -> None:
    first = generate_log(tmp_path / f"a{suffix}", tickets=300, seed=5)
    second = generate_log(tmp_path / f"b{suffix}", tickets=300, seed=5)
    assert first.log_path.read_bytes() == second.log_path.read_bytes()
    truth_a = json.loads(first.truth_path.read_text("utf-8"))
    truth_b = json.loads(second.truth_path.read_text("utf-8"))
    assert truth_a["log"].pop("file") == "a" + suffix
    truth_b["log"].pop("file")
    assert truth_a == truth_b


def test_different_seeds_give_different_logs(tmp_path: Path) -> None:
    a = generate_log(tmp_path / "a.csv", tickets=300, seed=1)
    b = generate_log(tmp_path / "b.csv", tickets=300, seed=2)
    assert a.log_path.read_bytes() != b.log_path.read_bytes()
    assert a.truth["rework_activities"] != b.truth["rework_activities"]


def test_parquet_holds_the_same_events_as_csv(tmp_path: Path) -> None:
    csv, _ = _generate(tmp_path, "t.csv", tickets=200, seed=3)
    parquet, _ = _generate(tmp_path, "t.parquet", tickets=200, seed=3)
    assert parquet["ts"].iloc[0].utcoffset() == pd.Timedelta(hours=8)
    assert list(parquet.columns) == list(csv.columns)
    assert (parquet["ts"] == csv["ts"]).all()
    assert ((parquet["st"] == csv["st"]) | (parquet["st"].isna() & csv["st"].isna())).all()
    assert parquet["st"].isna().sum() == (csv["start_timestamp"] == "").sum() > 0
    for column in ("ticket_id", "activity", "resource", "team", "channel", "customer_id"):
        assert parquet[column].tolist() == csv[column].tolist()
    scores = [None if pd.isna(v) else str(int(v)) for v in parquet["satisfaction"]]
    assert scores == [v or None for v in csv["satisfaction"]]


# --------------------------------------------------------------------------------------------
# Counterfactuals


@pytest.mark.parametrize("problem", PROBLEMS)
def test_switching_off_changes_only_that_problems_tickets(
    tmp_path: Path, factual: tuple[pd.DataFrame, dict[str, Any]], problem: str
) -> None:
    log, truth = factual
    counter, counter_truth = _generate(tmp_path, "cf.csv", seed=11, switch_off=problem)

    before, after = _rows_by_ticket(log), _rows_by_ticket(counter)
    assert before.keys() == after.keys()
    changed = {ticket for ticket in before if before[ticket] != after[ticket]}
    affected = truth["affected_tickets"][problem]
    assert counter_truth["affected_tickets"][problem]["count"] == affected["count"]
    if affected["case_ids"] is not None:
        assert changed == set(affected["case_ids"])
        assert counter_truth["affected_tickets"][problem]["case_ids"] == affected["case_ids"]
    else:
        assert len(changed) == affected["count"]
    assert 0 < len(changed) <= TICKETS

    assert counter_truth["switched_off"] == problem
    assert problem not in counter_truth["problems_injected"]
    # Case attributes never move.
    attributes = ["ticket_id", "channel", "ticket_type", "priority", "customer_segment"]
    assert (
        log[attributes].drop_duplicates().values.tolist()
        == counter[attributes].drop_duplicates().values.tolist()
    )
    # The other problems' items stay what they were (a stall removed lets its ticket reach the
    # bottleneck edges, the only way one problem reaches into another's items).
    sections = {
        "bottleneck": ["bottleneck_edges"],
        "rework": ["rework_activities"],
        "pingpong": ["pingpong_pairs", "pingpong_teams"],
        "breakpoint": ["breakpoints"],
        "automation": ["automation_friendly"],
        "judgement": ["judgement_heavy"],
    }
    for other, names in sections.items():
        if other == problem or (problem == "breakpoint" and other == "bottleneck"):
            continue
        for name in names:
            assert _ids_of(counter_truth[name]) == _ids_of(truth[name]), (other, name)


def _ids_of(items: list[Any]) -> list[Any]:
    return [
        (item.get("activity"), item.get("source"), item.get("case_ids"))
        if isinstance(item, dict)
        else item
        for item in items
    ]


def test_switched_off_problems_leave_no_trace(tmp_path: Path) -> None:
    log, truth = _generate(tmp_path, "clean.csv", seed=11, switch_off=list(PROBLEMS))
    for key in (
        "bottleneck_edges",
        "rework_activities",
        "pingpong_pairs",
        "pingpong_teams",
        "breakpoints",
        "automation_friendly",
        "judgement_heavy",
        "repeated_activities",
    ):
        assert truth[key] == []
    assert sorted(truth["switched_off"]) == sorted(PROBLEMS)
    # No repeated activity, no team coming back, every ticket archived, no long hand-over.
    assert log.groupby(["ticket_id", "activity"]).size().max() == 1
    for _ticket, teams in log.groupby("ticket_id")["team"]:
        collapsed = _collapse(list(teams))
        assert len(collapsed) == len(set(collapsed))
    assert set(log.groupby("ticket_id")["activity"].last()) == set(truth["end_activities"])
    assert _edge_waits(log)["mean"].max() < 3 * 3600


def test_rework_off_leaves_only_pingpong_repeats(
    tmp_path: Path, factual: tuple[pd.DataFrame, dict[str, Any]]
) -> None:
    log, truth = _generate(tmp_path, "cf.csv", seed=11, switch_off="rework")
    counts = log.groupby(["ticket_id", "activity"]).size()
    repeated = counts[counts > 1].reset_index()
    pingpong_cases = set(truth["pingpong_pairs"][0]["case_ids"])
    assert set(repeated["ticket_id"]) == pingpong_cases
    assert set(repeated["activity"]) <= set(truth["pingpong_pairs"][0]["activities"])
    for activity in ("故障诊断", "派单至现场"):
        assert not _self_loop_cases(log, activity)
    assert truth["rework_activities"] == []


def test_breakpoint_off_archives_every_ticket(tmp_path: Path) -> None:
    log, truth = _generate(tmp_path, "cf.csv", seed=11, switch_off="breakpoint")
    assert set(log.groupby("ticket_id")["activity"].last()) == {"归档"}
    assert truth["breakpoints"] == []


def test_bottleneck_off_removes_the_long_handovers(
    tmp_path: Path, factual: tuple[pd.DataFrame, dict[str, Any]]
) -> None:
    _log, truth = factual
    counter, counter_truth = _generate(tmp_path, "cf.csv", seed=11, switch_off="bottleneck")
    waits = _edge_waits(counter).set_index(["source", "target"])
    for edge in truth["bottleneck_edges"]:
        before = edge["mean_wait_s"]
        after = waits.loc[(edge["source"], edge["target"]), "mean"]
        assert after == pytest.approx(edge["baseline_mean_wait_s"], abs=0.1)
        assert before - after == pytest.approx(edge["extra_wait_s"], abs=0.1)
    assert waits["mean"].max() < 3 * 3600
    assert counter_truth["bottleneck_edges"] == []


def test_automation_and_judgement_off_make_those_steps_ordinary(tmp_path: Path) -> None:
    log, truth = _generate(tmp_path, "cf.csv", seed=11, switch_off=["automation", "judgement"])
    stats = _work_steps(log)
    for activity in ("工单分类", "短信通知", "归档"):
        assert stats.loc[activity, "cv"] > 0.3
        assert stats.loc[activity, "resources"] > 3
    for activity in ("故障诊断", "投诉处理", "上门维修"):
        assert stats.loc[activity, "cv"] < 0.6
    assert truth["automation_friendly"] == [] and truth["judgement_heavy"] == []


# --------------------------------------------------------------------------------------------
# The truth, recomputed from the log


def test_log_shape_and_order(factual: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    log, truth = factual
    assert list(log.columns[:12]) == list(truth["log"]["columns"])
    assert truth["counts"]["tickets"] == log["ticket_id"].nunique() == TICKETS
    assert truth["counts"]["events"] == len(log)
    types = log.groupby("ticket_id")["ticket_type"].first().value_counts().to_dict()
    assert types == truth["counts"]["tickets_by_type"]
    # sorted by ticket, then strictly by completion time; a start never after its completion
    assert log["ticket_id"].is_monotonic_increasing
    assert (log.groupby("ticket_id")["ts"].diff().dropna() > pd.Timedelta(0)).all()
    assert (log["st"].dropna() <= log.loc[log["st"].notna(), "ts"]).all()
    assert log["timestamp"].str.endswith("+08:00").all()
    # case attributes repeated on every row of the ticket
    for column in ("channel", "ticket_type", "priority", "customer_segment", "customer_id"):
        assert log.groupby("ticket_id")[column].nunique().max() == 1
    # one satisfaction score 1..5 on every callback row, nowhere else
    callback = log["activity"] == "满意度回访"
    assert set(log.loc[callback, "satisfaction"]) <= {"1", "2", "3", "4", "5"}
    assert (log.loc[~callback, "satisfaction"] == "").all()
    assert set(log.groupby("ticket_id")["activity"].first()) == set(truth["start_activities"])
    assert truth["as_of"] == log["ts"].max().tz_convert("+08:00").isoformat()
    assert set(log["channel"]) == {"10000热线", "APP", "微信", "营业厅"}
    assert set(log["ticket_type"]) == {"咨询", "报障", "投诉"}
    assert {"催单", "升级"} <= set(log["activity"])
    assert set(log["team"]) == {"一线客服", "后台支撑", "现场装维", "投诉处理组", "质检回访组"}


def test_truth_rework_matches_log(factual: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    log, truth = factual
    assert [item["activity"] for item in truth["rework_activities"]] == ["故障诊断", "派单至现场"]
    for item in truth["rework_activities"]:
        cases = _self_loop_cases(log, item["activity"])
        assert cases == set(item["case_ids"])
        assert len(cases) == item["cases"] > 0
    # every repetition in the log is listed, with its cause
    counts = log.groupby(["ticket_id", "activity"]).size()
    repeated = counts[counts > 1].reset_index().groupby("activity")["ticket_id"].nunique()
    assert repeated.to_dict() == {
        item["activity"]: item["cases"] for item in truth["repeated_activities"]
    }


def test_truth_pingpong_matches_log(factual: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    log, truth = factual
    (pair,) = truth["pingpong_pairs"]
    a, b = pair["activities"]
    assert (a, b) == ("派单至后台", "退回一线")
    assert _aba_cases(log, a, b) == set(pair["case_ids"])
    assert len(pair["case_ids"]) == pair["cases"] > 0
    # at team level: X-Y-X after merging consecutive events of one team, in exactly those cases
    (teams,) = truth["pingpong_teams"]
    bouncing: dict[str, set[tuple[str, str]]] = {}
    for ticket, values in log.groupby("ticket_id")["team"]:
        seq = _collapse(list(values))
        for i in range(len(seq) - 2):
            if seq[i] == seq[i + 2]:
                bouncing.setdefault(str(ticket), set()).add((seq[i], seq[i + 1]))
    assert set(bouncing) == set(teams["case_ids"])
    pairs = set().union(*bouncing.values())
    assert {tuple(sorted(p)) for p in pairs} == {tuple(sorted(teams["teams"]))}


def test_truth_breakpoints_match_log(factual: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    log, truth = factual
    last = log.groupby("ticket_id")["activity"].last()
    stalled = last[~last.isin(truth["end_activities"])]
    expected = {item["activity"]: set(item["case_ids"]) for item in truth["breakpoints"]}
    assert {a: set(g.index) for a, g in stalled.groupby(stalled)} == expected
    assert list(expected) == ["派单至后台", "结单"]
    as_of = log["ts"].max()
    idle = (as_of - log.groupby("ticket_id")["ts"].max()[stalled.index]).dt.total_seconds()
    for item in truth["breakpoints"]:
        assert item["stalled_cases"] == len(item["case_ids"]) > 0
        assert idle[item["case_ids"]].min() == item["min_idle_s"]
        assert item["min_idle_s"] > 10 * 86400
    # "never called back": closed tickets without a callback
    callback = set(log.loc[log["activity"] == "满意度回访", "ticket_id"])
    closed = set(log.loc[log["activity"] == "结单", "ticket_id"])
    assert closed - callback == expected["结单"]


def test_truth_bottlenecks_are_the_slowest_handovers(
    factual: tuple[pd.DataFrame, dict[str, Any]],
) -> None:
    log, truth = factual
    waits = _edge_waits(log)
    expected = [(edge["source"], edge["target"]) for edge in truth["bottleneck_edges"]]
    by_mean = waits.sort_values("mean", ascending=False)
    by_total = waits.sort_values("sum", ascending=False)
    assert set(zip(by_mean["source"][:2], by_mean["target"][:2], strict=True)) == set(expected)
    assert set(zip(by_total["source"][:2], by_total["target"][:2], strict=True)) == set(expected)
    # the injected edges stand far above every other edge
    assert by_mean["mean"].iloc[1] > 5 * by_mean["mean"].iloc[2]
    indexed = waits.set_index(["source", "target"])
    for edge in truth["bottleneck_edges"]:
        row = indexed.loc[(edge["source"], edge["target"])]
        assert row["mean"] == pytest.approx(edge["mean_wait_s"], abs=0.1)
        assert row["count"] == edge["traversals"] == len(edge["case_ids"])
        assert edge["extra_wait_s"] > 10 * edge["baseline_mean_wait_s"]


def test_truth_automation_and_judgement_match_log(
    factual: tuple[pd.DataFrame, dict[str, Any]],
) -> None:
    log, truth = factual
    stats = _work_steps(log)
    automation = set(truth["automation_friendly"])
    judgement = set(truth["judgement_heavy"])
    assert automation == set(stats.sort_values("cv").index[:3])
    assert judgement == set(stats.sort_values("cv").index[-3:])
    assert judgement == set(stats.sort_values("mean").index[-3:])
    others = stats.drop(index=list(automation))
    assert stats.loc[list(automation), "resources"].max() < others["resources"].min()
    assert stats.loc[list(automation), "cv"].max() < 0.5 * others["cv"].min()
    # automation-friendly steps never vary their neighbours (few exceptions)
    following = log.groupby("ticket_id")["activity"].shift(-1)
    assert following[log["activity"] == "工单分类"].nunique() == 1


# --------------------------------------------------------------------------------------------
# Labels, sizes, command line, committed sample


def test_english_labels_have_the_same_structure(
    tmp_path: Path, factual: tuple[pd.DataFrame, dict[str, Any]]
) -> None:
    zh, zh_truth = factual
    en, en_truth = _generate(tmp_path, "en.csv", seed=11, labels="en")
    assert len(en) == len(zh)
    for column in ("ticket_id", "timestamp", "start_timestamp", "customer_id", "satisfaction"):
        assert en[column].tolist() == zh[column].tolist()
    for column in ("activity", "resource", "team", "channel", "ticket_type", "priority"):
        pairs = set(zip(zh[column], en[column], strict=True))
        assert len(pairs) == zh[column].nunique() == en[column].nunique(), column
        assert en[column].map(str.isascii).all()
    assert en_truth["labels"] == "en"
    assert en_truth["end_activities"] == ["Archive"]
    assert en_truth["pingpong_teams"][0]["teams"] == ["Front line", "Back office"]
    assert set(en_truth["automation_friendly"]) <= set(en["activity"])
    assert [e["case_ids"] for e in en_truth["bottleneck_edges"]] == [
        e["case_ids"] for e in zh_truth["bottleneck_edges"]
    ]
    assert set(en.groupby("ticket_id")["activity"].last()) == {"Archive", "Close ticket"} | {
        "Dispatch to back office"
    }


@pytest.mark.parametrize("events", [1_000, 8_000, 40_000])
def test_requested_event_count_is_roughly_met(tmp_path: Path, events: int) -> None:
    result = generate_log(tmp_path / "n.parquet", events=events, seed=4)
    assert abs(result.events - events) <= 0.1 * events
    assert result.truth["parameters"]["events_requested"] == events


def test_cli_writes_log_and_truth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.csv"
    args = ["--tickets", "50", "--seed", "3", "--out", str(out), "--labels", "en"]
    assert main([*args, "--switch-off", "rework", "--format", "csv"]) == 0
    assert "50 tickets" in capsys.readouterr().out
    truth = json.loads(truth_path_for(out).read_text("utf-8"))
    assert truth["switched_off"] == "rework" and truth["labels"] == "en"
    assert out.read_text("utf-8").startswith("ticket_id,activity,timestamp,start_timestamp,")


def test_cli_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--tickets", "0", "--out", str(tmp_path / "x.csv")]) == 2
    assert "--tickets" in capsys.readouterr().err
    assert main(["--events", "100", "--out", str(tmp_path / "missing" / "x.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["--tickets", "5", "--out", str(tmp_path / "x.csv"), "--switch-off", "nothing"])
    assert exit_info.value.code == 2


def test_committed_sample_is_reproducible(tmp_path: Path) -> None:
    committed = SAMPLE_LOGS / "telecom_tickets.csv"
    truth = json.loads(truth_path_for(committed).read_text("utf-8"))
    assert committed.stat().st_size < 5_000_000
    assert truth["seed"] == 7 and truth["labels"] == "zh" and truth["switched_off"] is None
    result = generate_log(
        tmp_path / committed.name,
        tickets=truth["parameters"]["tickets_requested"],
        seed=truth["seed"],
        labels=truth["labels"],
    )
    assert result.log_path.read_bytes() == committed.read_bytes()
    assert result.truth_path.read_bytes() == truth_path_for(committed).read_bytes()
