"""What-if estimates against truth: the generator's counterfactual logs, and a log by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mining import store
from optimization import candidates_for_run, estimate_whatif
from optimization.whatif import case_lead_times


def _ids(found, kind: str, activities_list) -> str:
    ids = []
    for activities in activities_list:
        match = [c.id for c in found.restructuring if c.kind == kind and c.activities == activities]
        assert len(match) == 1, (kind, activities)
        ids.append(match[0])
    return "+".join(ids)


@pytest.mark.parametrize(
    ("seed", "problem"),
    [(7, "rework"), (7, "pingpong"), (7, "breakpoint"), (11, "breakpoint")],
)
def test_estimate_lands_within_15_percent_of_the_switched_off_log(mined_telecom, seed, problem):
    db, truth, run_id = mined_telecom(seed, 3000)
    off_db, off_truth, off_run = mined_telecom(seed, 3000, problem)
    assert off_truth["switched_off"] == problem
    with store.connect(db, read_only=True) as con:
        found = candidates_for_run(con, run_id)
        assert found is not None
        if problem == "rework":
            cid = _ids(
                found, "task_elimination", [(r["activity"],) for r in truth["rework_activities"]]
            )
        elif problem == "pingpong":
            cid = _ids(
                found, "fewer_handovers", [tuple(p["activities"]) for p in truth["pingpong_pairs"]]
            )
        else:
            cid = _ids(found, "time_limits", [(b["activity"],) for b in truth["breakpoints"]])
        result = estimate_whatif(con, run_id, cid, seed=0)
        before = case_lead_times(con, run_id)
    with store.connect(off_db, read_only=True) as con:
        true_after = case_lead_times(con, off_run)
    assert result.cases == len(before) == len(true_after) == 3000
    assert result.lead_time_before.mean == pytest.approx(before.mean())
    true_change = true_after.mean() - before.mean()
    estimated_change = result.lead_time_after.mean - result.lead_time_before.mean
    assert true_change < 0
    assert abs(estimated_change - true_change) <= 0.15 * abs(true_change)
    assert result.lead_time_after_low.mean <= true_after.mean() <= result.lead_time_after_high.mean
    assert result.lead_time_after_low.mean < result.lead_time_after.mean
    assert result.lead_time_after.mean < result.lead_time_after_high.mean
    if problem == "breakpoint":
        stalled = sum(b["stalled_cases"] for b in truth["breakpoints"])
        assert result.stalled_before - result.stalled_after == stalled
        assert result.cases_changed == stalled
    # distributions, not only a point
    assert len(result.before_sample_s) == len(result.after_sample_s) == 2000
    assert result.assumptions


def _hand_log(folder: Path) -> Path:
    """Eight cases A -> B -> C (hours 0, 1, 2) and eight A -> C -> B (hours 0, 0.5, 2), and the
    same eight again with C and B waiting longer: B and C run in both orders with waits."""
    rows = ["case,activity,start,time"]
    for c in range(8):
        day = f"2024-03-{1 + c:02d}"
        rows += [
            f"x{c},A,{day} 08:00,{day} 08:00",
            f"x{c},B,{day} 08:30,{day} 09:00",
            f"x{c},C,{day} 09:30,{day} 10:00",
            f"y{c},A,{day} 08:00,{day} 08:00",
            f"y{c},C,{day} 08:10,{day} 08:30",
            f"y{c},B,{day} 09:00,{day} 10:00",
        ]
    path = folder / "hand.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    from mining.ingest import IngestOptions, ingest_file
    from mining.run import MiningOptions, mine_log
    from optimization import CandidateOptions
    from optimization.candidates import compute_and_store

    folder = tmp_path_factory.mktemp("hand")
    db = folder / "hand.duckdb"
    with store.connect(db) as con:
        ingest_file(
            con,
            _hand_log(folder),
            IngestOptions(log_name="hand", start_timestamp="start", fail_on=None),
        )
        run = mine_log(con, "hand", MiningOptions(conformance=False, end_activities=("B", "C")))
        # 16 cases: below the default minimum support of 30 executions; B (30-90 min of
        # service, next step C or the end) would be judgement work: proposed here to check the
        # replay of automating it
        options = CandidateOptions(min_executions=5, judgement_signals=6)
        compute_and_store(con, run.run_id, options)
    return db, run.run_id


def test_parallel_and_automate_by_hand(hand_db):
    db, run_id = hand_db
    with store.connect(db, read_only=True) as con:
        found = candidates_for_run(con, run_id)
        assert found is not None
        parallel = [c for c in found.restructuring if c.kind == "parallelism"]
        assert [set(c.activities) for c in parallel] == [{"B", "C"}]
        assert parallel[0].cases == 16
        result = estimate_whatif(con, run_id, parallel[0].id)
        automate_b = next(c for c in found.automation if c.activity == "B")
        automated = estimate_whatif(con, run_id, automate_b.id)
    # x: B 1 h then C 1 h -> in parallel 1 h; y: C 0.5 h then B 1.5 h -> in parallel 1.5 h
    assert result.lead_time_before.mean == pytest.approx(7200)
    assert result.lead_time_after.mean == pytest.approx((3600 + 5400) / 2)
    assert result.cases_changed == 16
    # automating B: it runs right after its predecessor and takes no time;
    # x: 2 h - 1 h = 1 h; y: 2 h - 1.5 h = 0.5 h; B's 30 + 60 min of service are no longer work
    assert automated.lead_time_after.mean == pytest.approx((3600 + 1800) / 2)
    assert automated.work_hours_before - automated.work_hours_after == pytest.approx(8 * 1.5)
    assert automate_b.hours_saved_per_month > 0


def test_cases_read_once_serve_the_ranking_and_the_what_if(hand_db):
    from dataclasses import replace

    from mining.errors import InputError
    from optimization import CandidateOptions
    from optimization.candidates import find_candidates
    from optimization.replay import load_cases

    db, run_id = hand_db
    options = CandidateOptions(min_executions=5, judgement_signals=6)
    with store.connect(db, read_only=True) as con:
        cases = load_cases(con, run_id)
        found = find_candidates(con, run_id, options, cases=cases)
        assert repr(found) == repr(find_candidates(con, run_id, options))
        cid = next(c.id for c in found.restructuring if c.kind == "parallelism")
        given = estimate_whatif(con, run_id, cid, candidates=found, cases=cases)
        assert repr(given) == repr(estimate_whatif(con, run_id, cid, candidates=found))
        other = replace(cases, run_id=run_id + 1)
        with pytest.raises(InputError, match="belong to run"):
            find_candidates(con, run_id, cases=other)
        with pytest.raises(InputError, match="belong to run"):
            estimate_whatif(con, run_id, cid, candidates=found, cases=other)
    assert given.cases_changed == 16


def test_cli_whatif_json_shape_and_bad_input(mined_telecom, capsys):
    from servflow.cli import main

    db, _truth, run_id = mined_telecom(7, 1500)
    with store.connect(db, read_only=True) as con:
        found = candidates_for_run(con, run_id)
    assert found is not None
    first = found.restructuring[0].id
    assert main(["whatif", "telecom", "--candidate", first, "--db", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["candidate"] == first
    assert set(data["lead_time_s"]) == {"before", "after", "after_low", "after_high"}
    for stats in data["lead_time_s"].values():
        assert set(stats) == {"mean", "median", "p90"}
    assert set(data["stalled"]) == {"before", "after"}
    assert set(data["work_hours"]) == {"before", "after"}
    assert data["assumptions"] and data["cases"] == 1500
    deciles = data["distribution"]
    assert len(deciles["before"]) == len(deciles["after"]) == 9
    assert deciles["before"] == sorted(deciles["before"])
    assert np.isfinite(data["lead_time_s"]["after"]["mean"])
    assert main(["whatif", "telecom", "--candidate", "R99", "--db", str(db)]) == 2
    assert "No candidate 'R99'" in capsys.readouterr().err
    assert main(["whatif", "nope", "--candidate", first, "--db", str(db)]) == 2
    assert "No log named 'nope'" in capsys.readouterr().err


def test_cli_whatif_on_a_log_never_mined(capsys, tmp_path):
    from mining.ingest import IngestOptions, ingest_file
    from servflow.cli import main

    db = tmp_path / "db.duckdb"
    path = tmp_path / "t.csv"
    path.write_text("case,activity,time\n1,A,2024-01-01 08:00\n1,B,2024-01-01 09:00\n")
    with store.connect(db) as con:
        ingest_file(con, path, IngestOptions(log_name="t"))
    assert main(["whatif", "t", "--candidate", "R01", "--db", str(db)]) == 2
    assert "has not been mined yet" in capsys.readouterr().err
    assert main(["candidates", "t", "--db", str(db)]) == 2
    assert "has not been mined yet" in capsys.readouterr().err


def test_cap_wait_by_hand(hand_db):
    from optimization.model import Change
    from optimization.replay import load_cases, replay

    db, run_id = hand_db
    with store.connect(db, read_only=True) as con:
        log = load_cases(con, run_id)
    # escalate waits from A to B at 10 min: the x cases wait 30 min before B (20 min saved);
    # the y cases go A -> C, untouched
    result = replay(log, (Change("cap_wait", ("A",), threshold_s=600, target="B"),))
    assert result.lead_before.mean() == pytest.approx(7200)
    assert result.lead_after.mean() == pytest.approx((7200 - 1200 + 7200) / 2)
    assert int(result.changed.sum()) == 8


def test_importing_optimization_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, optimization, servflow.cli_optimization; "
        "print(sorted(m for m in ('numpy', 'duckdb', 'pandas', 'pm4py') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
