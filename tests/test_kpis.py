"""Service-quality scorecard: every KPI recomputed by hand with pandas, and absent data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mining import store
from mining.errors import InputError
from mining.filters import LogFilter
from mining.ingest import IngestOptions, ingest_file
from mining.kpis import KPI_NAMES, KpiColumns, compute_kpis, json_path

HANDLING = ("咨询解答", "故障诊断", "投诉处理")
COLUMNS = KpiColumns(
    handling_activities=HANDLING,
    resolution_activities=("问题解决",),
    repeat_contact_activities=("催单",),
    escalation_activities=("升级",),
    satisfaction_attribute="satisfaction",
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from servflow.samplegen import generate_log

    folder = tmp_path_factory.mktemp("gen")
    log = generate_log(folder / "tickets.parquet", tickets=1500, seed=9).log_path
    db = folder / "db.duckdb"
    with store.connect(db) as con:
        ingest_file(con, log, IngestOptions(log_name="t"))
    return log, db


def _events(log: Path):
    import pandas as pd

    frame = pd.read_parquet(log)
    frame["ts"] = pd.to_datetime(frame["timestamp"], utc=True)
    frame["begun"] = pd.to_datetime(frame["start_timestamp"], utc=True).fillna(frame["ts"])
    frame["row"] = np.arange(len(frame))
    # case order = time order, ties in file order (as stored)
    return frame.sort_values(["ticket_id", "ts", "row"], kind="stable").reset_index(drop=True)


def _by_hand(frame, cols: KpiColumns) -> dict[str, float]:
    """The scorecard's definitions, case by case in plain Python."""
    response, resolution, lead, scores = [], [], [], []
    resolved = fcr_basis = fcr = reopened = repeats = escalations = 0
    cases = 0
    for _, case in frame.groupby("ticket_id", sort=False):
        cases += 1
        acts = case["activity"].tolist()
        ts = case["ts"].tolist()
        begun = case["begun"].tolist()
        teams = case["team"].tolist()
        first = ts[0]
        lead.append((ts[-1] - first).total_seconds())
        handling = [i for i, a in enumerate(acts) if a in cols.handling_activities]
        if handling:
            response.append(max((begun[handling[0]] - first).total_seconds(), 0.0))
        res = [i for i, a in enumerate(acts) if a in cols.resolution_activities]
        if res:
            r = res[0]
            resolved += 1
            resolution.append((ts[r] - first).total_seconds())
            if any(t is not None for t in teams[: r + 1]):
                fcr_basis += 1
                handovers = sum(
                    1
                    for i in range(r)
                    if teams[i] is not None
                    and teams[i + 1] is not None
                    and teams[i] != teams[i + 1]
                )
                fcr += handovers == 0
            if len(res) > 1 or set(acts[:r]) & set(acts[r + 1 :]):
                reopened += 1
        repeats += any(a in cols.repeat_contact_activities for a in acts)
        escalations += any(a in cols.escalation_activities for a in acts)
        score = case["satisfaction"].dropna()
        if len(score):
            scores.append(float(score.iloc[-1]))
    return {
        "responsiveness": float(np.median(response)),
        "responsiveness_p90": float(np.quantile(response, 0.9)),
        "resolution_rate": resolved / cases,
        "resolution_time": float(np.median(resolution)),
        "lead_time": float(np.median(lead)),
        "lead_time_mean": float(np.mean(lead)),
        "first_contact_resolution": fcr / fcr_basis,
        "reopen_rate": reopened / resolved,
        "repeat_contact_rate": repeats / cases,
        "escalation_rate": escalations / cases,
        "satisfaction": float(np.mean(scores)),
        "satisfaction_cases": len(scores),
        "cases": cases,
        "resolved": resolved,
        "response_cases": len(response),
        "fcr_basis": fcr_basis,
    }


def _assert_card_matches(card, expected) -> None:
    assert card.cases == expected["cases"]
    for name in KPI_NAMES:
        assert card.get(name).value == pytest.approx(expected[name], rel=1e-12), name
    assert card.get("responsiveness").p90 == pytest.approx(expected["responsiveness_p90"])
    assert card.get("responsiveness").basis_cases == expected["response_cases"]
    assert card.get("lead_time").mean == pytest.approx(expected["lead_time_mean"])
    assert card.get("resolution_rate").cases == expected["resolved"]
    assert card.get("first_contact_resolution").basis_cases == expected["fcr_basis"]
    assert card.get("satisfaction").basis_cases == expected["satisfaction_cases"]


def test_scorecard_equals_a_hand_computation(generated):
    log, db = generated
    with store.connect(db) as con:
        card = compute_kpis(con, store.log_id_for(con, "t"), columns=COLUMNS)
    expected = _by_hand(_events(log), COLUMNS)
    _assert_card_matches(card, expected)
    assert card.handover_level == "team"
    assert not card.resolution_learned
    assert 0 < expected["first_contact_resolution"] < 1  # a real test: some hand-overs, not all
    assert 0 < expected["escalation_rate"] < 1


def test_scorecard_under_a_case_filter(generated):
    log, db = generated
    frame = _events(log)
    subset = frame[frame["ticket_type"] == "报障"]
    with store.connect(db) as con:
        card = compute_kpis(
            con,
            store.log_id_for(con, "t"),
            flt=LogFilter(case_attributes=(("ticket_type", ("报障",)),)),
            columns=COLUMNS,
        )
    _assert_card_matches(card, _by_hand(subset, COLUMNS))


def test_unconfigured_scorecard_learns_resolution_and_says_what_is_missing(generated):
    log, db = generated
    truth = json.loads(log.with_name("tickets.truth.json").read_text(encoding="utf-8"))
    with store.connect(db) as con:
        card = compute_kpis(con, store.log_id_for(con, "t"))
    assert card.resolution_learned
    assert list(card.resolution_activities) == truth["end_activities"]
    for name in ("repeat_contact_rate", "escalation_rate", "satisfaction"):
        kpi = card.get(name)
        assert kpi.value is None and kpi.basis_cases is None
        assert kpi.note is not None and "not configured" in kpi.note
    assert card.get("responsiveness").value is not None
    assert "second event" in card.get("responsiveness").definition
    assert card.values()["satisfaction"] is None
    # learned resolution = archiving, after the callback team: every case changes team first
    assert "learned end activity" in (card.get("first_contact_resolution").note or "")


def test_repeat_contacts_by_customer_within_a_window(generated):
    log, db = generated
    import pandas as pd

    frame = _events(log)
    starts = frame.groupby("ticket_id", sort=False).agg(
        customer=("customer_id", "first"), start=("ts", "first")
    )
    starts = starts.sort_values(["customer", "start"], kind="stable")
    gap = starts.groupby("customer")["start"].diff()
    window = pd.Timedelta(days=3)
    expected = float((gap <= window).sum()) / len(starts)
    with store.connect(db) as con:
        card = compute_kpis(
            con,
            store.log_id_for(con, "t"),
            columns=KpiColumns(customer_attribute="customer_id", repeat_window_s=3 * 86400.0),
        )
    kpi = card.get("repeat_contact_rate")
    assert kpi.value == pytest.approx(expected)
    assert kpi.basis_cases == len(starts)
    assert 0 < expected < 1


def _tiny_log(folder: Path, header: str, rows: list[str]) -> tuple[Path, str]:
    path = folder / "tiny.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path, "tiny"


def test_a_small_log_by_hand_with_reopen_and_flags(tmp_path):
    path, name = _tiny_log(
        tmp_path,
        "case,activity,timestamp,team,escalated,score",
        [
            # 1: intake, handled by the same team, resolved, closed: FCR; 1 h response
            "1,intake,2024-01-01 08:00,fl,no,",
            "1,handle,2024-01-01 09:00,fl,no,",
            "1,resolve,2024-01-01 10:00,fl,no,",
            "1,close,2024-01-01 11:00,qc,no,4",
            # 2: handed over to the back office before resolution; reopened (handle again)
            "2,intake,2024-01-02 08:00,fl,no,",
            "2,handle,2024-01-02 12:00,bo,yes,",
            "2,resolve,2024-01-02 13:00,bo,no,",
            "2,handle,2024-01-03 08:00,bo,no,",
            "2,resolve,2024-01-03 09:00,bo,no,2",
            # 3: never resolved, never handled
            "3,intake,2024-01-04 08:00,fl,no,",
        ],
    )
    with store.connect(tmp_path / "db.duckdb") as con:
        ingest_file(con, path, IngestOptions(log_name=name, team="team"))
        card = compute_kpis(
            con,
            store.log_id_for(con, name),
            columns=KpiColumns(
                handling_activities=("handle",),
                resolution_activities=("resolve",),
                escalation_attribute="escalated",
                satisfaction_attribute="score",
            ),
        )
    got = card.values()
    assert got["responsiveness"] == pytest.approx((3600 + 4 * 3600) / 2)
    assert card.get("responsiveness").basis_cases == 2
    assert got["resolution_rate"] == pytest.approx(2 / 3)
    assert got["resolution_time"] == pytest.approx((2 * 3600 + 5 * 3600) / 2)
    assert got["first_contact_resolution"] == pytest.approx(1 / 2)
    assert got["reopen_rate"] == pytest.approx(1 / 2)
    assert got["escalation_rate"] == pytest.approx(1 / 3)
    assert got["satisfaction"] == pytest.approx(3.0)
    assert card.get("satisfaction").basis_cases == 2
    assert got["repeat_contact_rate"] is None


def test_absent_data_is_not_available_never_zero(tmp_path):
    path, name = _tiny_log(
        tmp_path,
        "case,activity,timestamp",
        ["1,open,2024-01-01 08:00", "1,done,2024-01-01 09:00", "2,open,2024-01-02 08:00"],
    )
    with store.connect(tmp_path / "db.duckdb") as con:
        ingest_file(con, path, IngestOptions(log_name=name))
        log_id = store.log_id_for(con, name)
        card = compute_kpis(
            con,
            log_id,
            columns=KpiColumns(
                resolution_activities=("solved",),
                satisfaction_attribute="csat",
                escalation_activities=("escalate",),
            ),
        )
        learned = compute_kpis(con, log_id)
        with pytest.raises(InputError, match="list of activity labels"):
            compute_kpis(con, log_id, columns=KpiColumns(handling_activities="open"))  # type: ignore[arg-type]
    assert card.handover_level is None
    fcr = card.get("first_contact_resolution")
    assert fcr.value is None and fcr.note is not None
    for kpi_name in ("resolution_rate", "resolution_time", "reopen_rate", "satisfaction"):
        assert card.get(kpi_name).value is None, kpi_name
    assert "solved" in (card.get("resolution_rate").note or "")
    assert "escalate" in (card.get("escalation_rate").note or "")
    assert "csat" in (card.get("satisfaction").note or "")
    assert card.get("lead_time").value == pytest.approx(1800.0)  # median of 3600 and 0
    assert learned.resolution_activities == ("done",)
    assert learned.get("resolution_rate").value == pytest.approx(0.5)
    assert learned.get("first_contact_resolution").value is None


def test_json_path_selects_keys_with_any_characters():
    import duckdb

    con = duckdb.connect()
    for key in ("$x", "/p", "a.b", 'q"uote', "渠道 A", "back\\slash"):
        doc = json.dumps({key: "v"})
        assert con.execute("SELECT ?::JSON ->> ?", [doc, json_path(key)]).fetchone() == ("v",)
