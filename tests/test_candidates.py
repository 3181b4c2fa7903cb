"""Automation and restructuring candidates against the generator's injected problems."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mining import store
from optimization import CandidateOptions, candidates_for_run, find_candidates
from optimization.model import CandidateSet

# (seed, tickets): two seeds and two scales
LOGS = [(7, 3000), (11, 3000), (7, 1500)]


def _stored(mined_telecom: Callable[..., tuple[Path, dict, int]], seed: int, tickets: int):
    db, truth, run_id = mined_telecom(seed, tickets)
    with store.connect(db, read_only=True) as con:
        found = candidates_for_run(con, run_id)
    assert found is not None
    return found, truth


@pytest.mark.parametrize(("seed", "tickets"), LOGS)
def test_automation_friendly_steps_rank_above_judgement_steps(mined_telecom, seed, tickets):
    found, truth = _stored(mined_telecom, seed, tickets)
    rank = {c.activity: i for i, c in enumerate(found.automation)}
    friendly, judgement = truth["automation_friendly"], truth["judgement_heavy"]
    assert len(friendly) == 3 and len(judgement) == 3
    assert all(a in rank for a in friendly + judgement)
    assert max(rank[a] for a in friendly) < min(rank[a] for a in judgement)
    top3 = {c.activity for c in found.automation[:3]}
    assert not top3 & set(judgement)
    # every criterion is shown with its value, unit and definition
    for c in found.automation:
        assert [k.name for k in c.criteria] == [
            "volume",
            "time",
            "standardization",
            "duration_uniformity",
            "predictability",
            "low_exceptions",
            "few_resources",
            "stability",
        ]
        assert all(k.unit and k.definition for k in c.criteria)
        assert 0.0 <= c.score <= 1.0


def test_criteria_values_match_the_log(mined_telecom):
    found, _truth = _stored(mined_telecom, 7, 3000)
    by_activity = {c.activity: c for c in found.automation}
    classify = by_activity["工单分类"]  # every ticket, always followed by the SMS notification
    values = {k.name: k.value for k in classify.criteria}
    assert values["standardization"] == pytest.approx(1.0)
    assert values["low_exceptions"] == 0.0
    assert values["duration_uniformity"] < 0.15  # log-normal sigma 0.08
    months = 91 / 30.44  # the generator's window, roughly what the log spans
    assert classify.executions_per_month == pytest.approx(3000 / months, rel=0.1)
    assert classify.median_duration_s == pytest.approx(45, abs=3)
    diagnose = {k.name: k.value for k in by_activity["故障诊断"].criteria}
    assert diagnose["duration_uniformity"] > 0.8  # sigma 1.0: judgement
    assert diagnose["low_exceptions"] > 0.1  # re-diagnosis, chases, escalations


def test_time_limit_rule_is_learned_from_normal_waits(mined_telecom):
    found, truth = _stored(mined_telecom, 7, 3000)
    rules = {c.activity: c for c in found.automation if c.kind == "time_limit_rule"}
    assert "派单至后台" in rules  # stalls after the dispatch to the back office and waits long
    rule = rules["派单至后台"].rule
    assert rule is not None
    assert rule.expected_activity == "故障诊断"
    assert rule.remind_team == "后台支撑"
    assert 20 * 3600 < rule.remind_after_s < rule.escalate_after_s < 96 * 3600
    assert "remind 后台支撑" in rule.describe()
    stalled = next(b for b in truth["breakpoints"] if b["activity"] == "派单至后台")
    # the rule would have caught at least the tickets that stalled there
    assert rule.tickets_per_month_caught * (91 / 30.44) >= stalled["stalled_cases"]


def test_self_service_shift_for_consultations_answered_at_first_contact(mined_telecom):
    found, _truth = _stored(mined_telecom, 7, 3000)
    kinds = {c.activity: c.kind for c in found.automation}
    assert kinds["咨询解答"] == "self_service"
    assert kinds["工单分类"] == "system_integration"


def test_system_resources_and_flagged_steps_are_never_proposed(mined_telecom):
    db, _truth, run_id = mined_telecom(7, 3000)
    options = CandidateOptions(system_resources=("调度台",), automated_activities=("归档",))
    with store.connect(db, read_only=True) as con:
        found = find_candidates(con, run_id, options)
    automated = {a.activity: a.reason for a in found.already_automated}
    # classification and SMS are done by the 调度台 (dispatch desk) pool in this log
    assert set(automated) == {"工单分类", "短信通知", "归档"}
    assert "system or robot" in automated["工单分类"]
    assert "flagged" in automated["归档"]
    assert not {c.activity for c in found.automation} & set(automated)


@pytest.mark.parametrize(("seed", "tickets"), LOGS)
def test_every_injected_problem_is_a_restructuring_candidate_at_the_top(
    mined_telecom, seed, tickets
):
    found, truth = _stored(mined_telecom, seed, tickets)
    by_key = {(c.kind, c.activities): c for c in found.restructuring}
    expected = []
    for r in truth["rework_activities"]:  # self-loops
        c = by_key[("task_elimination", (r["activity"],))]
        assert c.cases == r["cases"]
        assert set(c.case_ids) == set(r["case_ids"])
        expected.append(c)
    for p in truth["pingpong_pairs"]:
        c = by_key[("fewer_handovers", tuple(p["activities"]))]
        assert c.cases == p["cases"]
        assert set(c.case_ids) == set(p["case_ids"])
        expected.append(c)
    for b in truth["breakpoints"]:
        c = by_key[("time_limits", (b["activity"],))]
        assert c.cases == b["stalled_cases"]
        assert set(c.case_ids) == set(b["case_ids"])
        expected.append(c)
    for e in truth["bottleneck_edges"]:
        expected.append(by_key[("time_limits", (e["source"], e["target"]))])
    assert len(expected) == 7
    # at the top: the injected problems fill the first places; the only other candidate allowed
    # among them is the customers' chasing, which the generator always produces
    top = found.restructuring[: len(expected) + 1]
    assert set(c.id for c in expected) <= {c.id for c in top}
    assert all(c in expected or c.kind == "contact_reduction" for c in top)
    for c in expected:
        assert c.lead_time_change_s < 0 and c.score > 0 and c.change is not None
        assert c.rationale and c.evidence


def test_stored_set_round_trips_and_matches_a_fresh_computation(mined_telecom):
    db, _truth, run_id = mined_telecom(7, 1500)
    with store.connect(db, read_only=True) as con:
        stored = candidates_for_run(con, run_id)
        fresh = find_candidates(con, run_id)
        assert candidates_for_run(con, run_id + 1000) is None
    assert isinstance(stored, CandidateSet)
    assert stored == fresh
    data = json.loads(json.dumps(stored.as_dict(), ensure_ascii=False))
    first = data["automation"][0]
    assert set(first) >= {
        "id",
        "activity",
        "score",
        "kind",
        "executions_per_month",
        "median_duration_s",
        "hours_saved_per_month",
        "lead_time_change_s",
        "criteria",
        "rationale",
    }
    assert set(data["restructuring"][0]) >= {
        "id",
        "kind",
        "activities",
        "cases",
        "score",
        "lead_time_change_s",
        "evidence",
        "rationale",
    }
    assert "already_automated" in data


def test_cli_candidates_json_and_bad_input(mined_telecom, capsys, tmp_path):
    from servflow.cli import main

    db, _truth, _run_id = mined_telecom(7, 1500)
    assert main(["candidates", "telecom", "--db", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["automation"] and data["restructuring"]
    assert main(["candidates", "nope", "--db", str(db)]) == 2
    assert "No log named 'nope'" in capsys.readouterr().err
    assert main(["candidates", "telecom", "--db", str(db), "--weight", "speed=2"]) == 2
    assert "--weight" in capsys.readouterr().err
    assert main(["candidates", "telecom", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_helpdesk_candidates_match_what_was_checked_by_hand(real_log_path, tmp_path):
    """Figures counted with SQL on the stored events (docs/optimization.md)."""
    from mining.ingest import IngestOptions, ingest_file
    from mining.run import MiningOptions, mine_log

    db = tmp_path / "helpdesk.duckdb"
    with store.connect(db) as con:
        ingest_file(
            con, real_log_path("helpdesk"), IngestOptions(log_name="helpdesk", fail_on=None)
        )
        run = mine_log(con, "helpdesk", MiningOptions(conformance=False))
        found = find_candidates(con, run.run_id)
    by_key = {(c.kind, c.activities): c for c in found.restructuring}
    pingpong = by_key[("fewer_handovers", ("Take in charge ticket", "Wait"))]
    assert pingpong.cases == 439 and pingpong is found.restructuring[0]
    assert by_key[("task_elimination", ("Assign seriousness",))].cases == 392
    rules = {c.activity: c.rule for c in found.automation if c.rule is not None}
    rule = rules["Resolve ticket"]
    assert rule.expected_activity == "Closed"
    # P80 and P95 of the 4,973 waits after Resolve ticket: 987.6 h and 1,194.2 h, in whole days
    assert (rule.remind_after_s, rule.escalate_after_s) == (42 * 86400, 50 * 86400)


def test_flagged_activity_is_never_proposed_again(mined_telecom, capsys, tmp_path):
    import shutil

    from mining.run import MiningOptions, mine_log
    from optimization.candidates import compute_and_store
    from servflow.cli import main

    source, _truth, _run_id = mined_telecom(7, 1500)
    db = tmp_path / "flags.duckdb"
    shutil.copy(source, db)
    assert (
        main(["candidates", "telecom", "--db", str(db), "--flag-automated", "归档", "--json"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert "归档" not in [a["activity"] for a in data["automation"]]
    assert "归档" in [a["activity"] for a in data["already_automated"]]
    with store.connect(db) as con:  # a later run of the same log leaves it out too
        run = mine_log(con, "telecom", MiningOptions(conformance=False))
        later = compute_and_store(con, run.run_id)
    assert "归档" not in [a.activity for a in later.automation]
    assert main(["candidates", "telecom", "--db", str(db), "--flag-automated", "不存在"]) == 2
    assert "has no activity '不存在'" in capsys.readouterr().err
