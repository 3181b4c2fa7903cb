"""Break points and SLA breaches: a hand-checked small log, the generated telecom log's injected
break points (and their counterfactual), SLA figures checked with pandas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from mining import store
from mining.breakpoints import find_breakpoints, find_end_activities, find_sla_breaches
from mining.errors import InputError
from mining.filters import LogFilter
from mining.ingest import IngestOptions, ingest_file

H = 3600.0

# Follow-up gaps: open -> 1, 3, 2, 1, 1, 1 h (P90 2.5 h); work -> 1 h four times (P90 1 h);
# wait -> 10 h and 2 h (P90 9.2 h). close always ends its case, so it is the end activity;
# open, work and wait end a case only once each (1/7, 1/5, 1/3 of their occurrences).
# As of the last event (Jan 10 00:00): c4 idles 191 h after wait, c5 119 h after work (stalled);
# c6 has just opened; c1, c2, c3, c7 are closed.
SMALL_LOG = """case,activity,timestamp,kind
c1,open,2024-01-01 00:00,fault
c1,work,2024-01-01 01:00,fault
c1,close,2024-01-01 02:00,fault
c2,open,2024-01-01 00:00,fault
c2,work,2024-01-01 03:00,fault
c2,close,2024-01-01 04:00,fault
c3,open,2024-01-01 00:00,query
c3,wait,2024-01-01 02:00,query
c3,work,2024-01-01 12:00,query
c3,close,2024-01-01 13:00,query
c4,open,2024-01-02 00:00,fault
c4,wait,2024-01-02 01:00,fault
c5,open,2024-01-05 00:00,query
c5,work,2024-01-05 01:00,query
c6,open,2024-01-10 00:00,query
c7,open,2024-01-03 00:00,complaint
c7,wait,2024-01-03 01:00,complaint
c7,work,2024-01-03 03:00,complaint
c7,close,2024-01-03 04:00,complaint
"""


@pytest.fixture
def small(tmp_path: Path):
    source = tmp_path / "log.csv"
    source.write_text(SMALL_LOG, encoding="utf-8")
    con = store.connect(tmp_path / "test.duckdb")
    ingest_file(con, source, IngestOptions(log_name="small"))
    yield con, store.log_id_for(con, "small")
    con.close()


def test_stalled_cases_with_thresholds_learned_per_activity(small) -> None:
    con, log_id = small
    report = find_breakpoints(con, log_id, min_samples=1)
    assert report.as_of == datetime(2024, 1, 10)
    assert (report.end_activities, report.end_activities_configured) == (("close",), False)
    assert (report.cases, report.ended_cases, report.stalled_cases, report.open_cases) == (
        7,
        4,
        2,
        1,
    )
    assert report.stalled_case_ids == ("c4", "c5")  # longest idle first
    wait, work = report.rows  # one stalled case each; wait loses 1 of 3, work 1 of 5
    assert (wait.activity, wait.stalled_cases, wait.cases_reached) == ("wait", 1, 3)
    assert wait.dropout_share == pytest.approx(1 / 3)
    assert (wait.median_idle_s, wait.threshold_s, wait.threshold_source) == (
        191 * H,
        pytest.approx(9.2 * H),
        "learned",
    )
    assert (work.activity, work.stalled_cases, work.cases_reached, work.dropout_share) == (
        "work",
        1,
        5,
        0.2,
    )
    assert (work.median_idle_s, work.threshold_s) == (119 * H, H)
    assert work.case_share == pytest.approx(1 / 7)


def test_few_follow_ups_fall_back_to_the_log_wide_threshold(small) -> None:
    con, log_id = small
    report = find_breakpoints(con, log_id)  # min_samples 5: work has 4 follow-ups, wait 2
    # all twelve gaps: eight of 1 h, 2, 2, 3, 10 h -> P90 = 2 + 0.9 * (3 - 2) h
    assert {r.activity: (r.threshold_source, r.threshold_s) for r in report.rows} == {
        "wait": ("log-wide", pytest.approx(2.9 * H)),
        "work": ("log-wide", pytest.approx(2.9 * H)),
    }


def test_configured_threshold_end_activities_and_as_of(small) -> None:
    con, log_id = small
    report = find_breakpoints(con, log_id, idle_threshold_s=150 * H)
    assert report.stalled_case_ids == ("c4",)  # c5's 119 h is within 150 h
    assert [(r.activity, r.threshold_source, r.threshold_s) for r in report.rows] == [
        ("wait", "configured", 150 * H)
    ]
    report = find_breakpoints(con, log_id, min_samples=1, end_activities=["close", "work"])
    assert (report.end_activities, report.end_activities_configured) == (("close", "work"), True)
    assert report.stalled_case_ids == ("c4",)
    # as of Jan 5 02:00, c5 has idled exactly its normal 1 h: not (yet) stalled
    report = find_breakpoints(con, log_id, min_samples=1, as_of=datetime(2024, 1, 5, 2))
    assert (report.stalled_case_ids, report.rows[0].median_idle_s) == (("c4",), 73 * H)
    # an aware "as of" is converted to UTC
    beijing = timezone(timedelta(hours=8))
    aware = find_breakpoints(
        con, log_id, min_samples=1, as_of=datetime(2024, 1, 10, 8, tzinfo=beijing)
    )
    assert aware.as_of == datetime(2024, 1, 10)
    assert aware.stalled_case_ids == ("c4", "c5")


def test_filters_select_the_cases_judged(small) -> None:
    con, log_id = small
    flt = LogFilter(case_attributes=(("kind", ("fault",)),))
    # learned from the selection: among c1, c2, c4, wait occurs once and ends its case
    assert find_end_activities(con, log_id, flt=flt) == ("close", "wait")
    report = find_breakpoints(con, log_id, flt=flt, idle_threshold_s=H, end_activities=["close"])
    assert (report.cases, report.ended_cases, report.stalled_case_ids) == (3, 2, ("c4",))
    assert report.as_of == datetime(2024, 1, 10)  # the log's last event, not the selection's


def test_bad_breakpoint_options_are_rejected(small) -> None:
    con, log_id = small
    with pytest.raises(InputError, match="'archive'"):
        find_breakpoints(con, log_id, end_activities=["archive"])
    with pytest.raises(InputError, match="list of activity names"):
        find_breakpoints(con, log_id, end_activities="close")
    with pytest.raises(InputError, match="quantile"):
        find_breakpoints(con, log_id, quantile=1.5)
    with pytest.raises(InputError, match="idle_threshold_s"):
        find_breakpoints(con, log_id, idle_threshold_s=-1)


def test_sla_breaches_per_type_match_hand_count(small) -> None:
    con, log_id = small
    report = find_sla_breaches(
        con, log_id, targets={"fault": 3 * H, "query": 24 * H}, type_attribute="kind"
    )
    rows = {r.ticket_type: r for r in report.rows}
    # fault: c1 2 h, c2 4 h, c4 open for 192 h; query: c3 13 h, c5 open 120 h, c6 open 0 h
    fault, query, complaint = rows["fault"], rows["query"], rows["complaint"]
    assert (fault.cases, fault.breached, fault.open_cases, fault.open_breached) == (3, 2, 1, 1)
    assert (fault.target_s, fault.median_lead_time_s, fault.breach_share) == (3 * H, 4 * H, 2 / 3)
    assert (query.cases, query.breached, query.open_cases, query.open_breached) == (3, 1, 2, 1)
    assert query.median_lead_time_s == 13 * H
    # no target for complaints and no default: not available, not zero
    assert (complaint.target_s, complaint.breached, complaint.breach_share) == (None, None, None)
    assert (report.cases, report.breached, report.end_activities) == (7, 3, ("close",))
    with_default = find_sla_breaches(
        con, log_id, targets={"fault": 3 * H}, type_attribute="kind", default_target_s=3 * H
    )
    assert {r.ticket_type: r.breached for r in with_default.rows} == {
        "complaint": 1,
        "fault": 2,
        "query": 2,
    }


def test_sla_rejects_unknown_attribute_and_bad_targets(small) -> None:
    con, log_id = small
    with pytest.raises(InputError, match=r"'segment'.*kind"):
        find_sla_breaches(con, log_id, targets={}, type_attribute="segment")
    with pytest.raises(InputError, match="'fault'"):
        find_sla_breaches(con, log_id, targets={"fault": -5.0}, type_attribute="kind")


# --- generated telecom log


@pytest.mark.parametrize(("seed", "tickets"), [(7, 2000), (11, 2000), (7, 20000), (11, 20000)])
def test_generated_breakpoints_found_and_ranked_first(telecom, seed: int, tickets: int) -> None:
    db, truth = telecom(seed, tickets)
    with store.connect(db, read_only=True) as con:
        report = find_breakpoints(con, store.log_id_for(con, "telecom"))
    assert list(report.end_activities) == truth["end_activities"]
    assert report.as_of == datetime.fromisoformat(truth["as_of"]).astimezone(UTC).replace(
        tzinfo=None
    )
    injected = {b["activity"]: b for b in truth["breakpoints"]}
    assert len(injected) == 2
    assert {r.activity for r in report.rows[: len(injected)]} == set(injected)
    rows = {r.activity: r for r in report.rows}
    for activity, item in injected.items():
        row = rows[activity]
        # all injected stalls, and at most a few tickets merely slow at the log's end
        assert item["stalled_cases"] <= row.stalled_cases <= item["stalled_cases"] * 1.02 + 2
        assert row.median_idle_s >= item["min_idle_s"]
        if item["case_ids"] is not None:
            assert set(item["case_ids"]) <= set(report.stalled_case_ids)


@pytest.mark.parametrize("seed", [7, 11])
def test_generated_without_breakpoints_nothing_stalls(telecom, seed: int) -> None:
    db, truth = telecom(seed, 2000, "breakpoint")
    assert truth["breakpoints"] == []
    with store.connect(db, read_only=True) as con:
        report = find_breakpoints(con, store.log_id_for(con, "telecom"))
    assert (report.stalled_cases, report.rows, report.stalled_case_ids) == (0, (), ())
    assert list(report.end_activities) == truth["end_activities"]


def test_generated_sla_breaches_agree_with_pandas(telecom) -> None:
    import pandas as pd

    db, truth = telecom(7, 2000)
    frame = pd.read_csv(db.with_suffix(".csv"), dtype=str)
    frame["ts"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    frame = frame.sort_values(["ticket_id", "ts"], kind="stable")
    per_case = frame.groupby("ticket_id").agg(
        kind=("ticket_type", "first"),
        start=("ts", "min"),
        end=("ts", "max"),
        last=("activity", "last"),
    )
    as_of = pd.Timestamp(truth["as_of"]).tz_convert("UTC")
    ended = per_case["last"].isin(truth["end_activities"])
    lead = (per_case["end"].where(ended, as_of) - per_case["start"]).dt.total_seconds()
    medians = lead.groupby(per_case["kind"]).median()
    targets = {kind: float(seconds) for kind, seconds in medians.items()}

    with store.connect(db, read_only=True) as con:
        report = find_sla_breaches(
            con, store.log_id_for(con, "telecom"), targets=targets, type_attribute="ticket_type"
        )
    assert {r.ticket_type for r in report.rows} == set(truth["counts"]["tickets_by_type"])
    for row in report.rows:
        mine = per_case["kind"] == row.ticket_type
        assert row.cases == truth["counts"]["tickets_by_type"][row.ticket_type]
        assert row.breached == int((lead[mine] > targets[row.ticket_type]).sum())
        assert row.open_cases == int((mine & ~ended).sum())
        assert row.median_lead_time_s == pytest.approx(medians[row.ticket_type])
    assert report.breached == int((lead > per_case["kind"].map(targets)).sum())
