"""Mining runs end to end: the CLI's mine/report on the sample logs, the stored results and
the report's JSON keys."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mining import store
from mining.results import column_types
from mining.run import SECTIONS, build_report, mine_log
from servflow.cli import main

REPO = Path(__file__).resolve().parents[1]
TELECOM = REPO / "sample_logs" / "telecom_tickets.csv"


@pytest.fixture(scope="module")
def mined(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    db = tmp_path_factory.mktemp("run") / "db.duckdb"
    assert main(["ingest", str(TELECOM), "--db", str(db), "--log", "telecom", "--quiet"]) == 0
    assert (
        main(
            [
                "mine",
                "telecom",
                "--db",
                str(db),
                "--quiet",
                "--sla-attribute",
                "ticket_type",
                "--sla",
                "投诉=72",
                "--default-sla",
                "48",
                "--escalation-activity",
                "升级",
                "--satisfaction-attribute",
                "satisfaction",
            ]
        )
        == 0
    )
    with store.connect(db, read_only=True) as con:
        return db, build_report(con, "telecom")


def test_report_has_the_documented_keys_and_shapes(mined):
    _, report = mined
    truth = json.loads(TELECOM.with_suffix(".truth.json").read_text(encoding="utf-8"))
    assert (report["cases"], report["events"]) == (
        truth["counts"]["tickets"],
        truth["counts"]["events"],
    )
    assert isinstance(report["kpis"], dict)
    shapes = {
        "dfg": {"source", "target", "count", "mean_s", "median_s", "p90_s"},
        "variants": {"activities", "count", "share", "median_lead_time_s"},
        "bottlenecks": {"source", "target", "median_s", "delay_share"},
        "rework": {"activity", "cases", "share", "extra_time_s"},
        "pingpong": {"activities", "cases"},
        "breakpoints": {"activity", "stalled_cases", "dropout_share"},
    }
    for key, fields in shapes.items():
        assert report[key], key
        assert fields <= set(report[key][0]), key
    assert sum(v["count"] for v in report["variants"]) == report["cases"]
    assert {p["level"] for p in report["pingpong"]} == {"activity", "team"}


def test_report_finds_the_injected_problems_of_the_sample(mined):
    _, report = mined
    truth = json.loads(TELECOM.with_suffix(".truth.json").read_text(encoding="utf-8"))
    injected_edges = {(b["source"], b["target"]) for b in truth["bottleneck_edges"]}
    top_edges = {(b["source"], b["target"]) for b in report["bottlenecks"][: len(injected_edges)]}
    assert top_edges == injected_edges
    stalled = {b["activity"]: b["stalled_cases"] for b in report["breakpoints"]}
    for b in truth["breakpoints"]:
        assert stalled[b["activity"]] == b["stalled_cases"]
    team_pairs = [set(p["activities"]) for p in report["pingpong"] if p["level"] == "team"]
    assert set(truth["pingpong_teams"][0]["teams"]) == team_pairs[0]


def test_kpis_say_not_available_instead_of_zero(mined):
    _, report = mined
    kpis = report["kpis"]
    assert kpis["escalation_rate"]["value"] is not None and kpis["escalation_rate"]["value"] > 0
    assert 1 <= kpis["satisfaction"]["value"] <= 5
    assert kpis["repeat_contact_rate"]["value"] is None  # not configured, not guessed
    assert kpis["repeat_contact_rate"]["note"]


def test_results_are_stored_per_run_with_the_documented_schema(mined, tmp_path):
    db, _ = mined
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    with store.connect(copy) as con:
        second = mine_log(con, "telecom")
        runs = con.execute("SELECT run_id, cases FROM mining_runs ORDER BY run_id").fetchall()
        for section, row_type in SECTIONS.items():
            columns = {
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = ?",
                    [f"run_{section}"],
                ).fetchall()
            }
            assert set(column_types(row_type)) | {"run_id", "rank"} == columns, section
        per_run = con.execute(
            "SELECT run_id, count(*) FROM run_dfg GROUP BY run_id ORDER BY run_id"
        ).fetchall()
    assert [r[0] for r in runs] == [1, second.run_id] == [1, 2]
    assert per_run[0][1] == per_run[1][1] > 0
    documented = (REPO / "docs" / "results-schema.md").read_text(encoding="utf-8")
    from mining.results import schema_markdown

    assert documented == schema_markdown(SECTIONS), "regenerate: python -m mining.run --schema"


def test_each_section_is_told_once_as_it_is_read_back(mined, tmp_path):
    """`mine_log(on_section=...)` tells every section once, as soon as its rows are final, with
    the run's as-of time from the break points on; the rows, as `as_stored` turns them into
    dicts, equal what `read_section` reads back from the stored run (values and types)."""
    from mining.results import as_stored, read_section
    from mining.run import MiningOptions

    db, _ = mined
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    told: list[tuple[str, tuple, object]] = []
    options = MiningOptions(
        sla_targets_s=(("投诉", 72 * 3600.0),),
        sla_attribute="ticket_type",
        default_sla_s=48 * 3600.0,
    )
    with store.connect(copy) as con:
        run = mine_log(con, "telecom", options, on_section=lambda *section: told.append(section))
        names = [name for name, _rows, _as_of in told]
        assert sorted(names) == sorted(SECTIONS) and len(names) == len(set(names))
        assert names.index("stalled_cases") < names.index("bottlenecks")
        assert run.as_of is not None
        for name, rows, as_of in told:
            early = name in ("dfg", "endpoints", "activities", "variants")
            assert as_of == (None if early else run.as_of), name
            stored = read_section(con, run.run_id, name)
            assert repr(as_stored(SECTIONS[name], rows)) == repr(stored), name
        assert sum(bool(rows) for _name, rows, _as_of in told) >= len(SECTIONS) - 2


def test_mine_publishes_a_snapshot_holding_the_new_run_and_its_candidates(mined):
    """`servflow mine` publishes the read-only snapshot from its own connection after storing:
    the snapshot holds the same runs, results and candidates as the database."""
    from servflow.pipeline import snapshot_path_for

    db, report = mined
    snapshot = snapshot_path_for(db)
    assert snapshot.is_file() and not Path(f"{snapshot}.wal").exists()
    query = (
        "SELECT (SELECT list(run_id ORDER BY run_id) FROM mining_runs), "
        "(SELECT count(*) FROM run_dfg), (SELECT count(*) FROM run_stalled_cases), "
        "(SELECT list(run_id) FROM candidate_sets), (SELECT count(*) FROM automation_candidates)"
    )
    with store.connect(db, read_only=True) as con:
        written = con.execute(query).fetchone()
    with store.connect(snapshot, read_only=True) as con:
        published = con.execute(query).fetchone()
    assert written == published
    assert written[0] == [report["run_id"]] and written[1] > 0 and written[3] == [report["run_id"]]


def test_report_marks_runs_stale_after_new_loads(mined, tmp_path):
    db, _ = mined
    copy = tmp_path / "stale.duckdb"
    shutil.copy(db, copy)
    extra = tmp_path / "more.csv"
    extra.write_text(
        "ticket_id,activity,timestamp\nNEW1,受理,2024-07-01T10:00:00+08:00\n", encoding="utf-8"
    )
    assert main(["ingest", str(extra), "--db", str(copy), "--log", "telecom", "--quiet"]) == 0
    with store.connect(copy, read_only=True) as con:
        assert build_report(con, "telecom")["stale"] is True


def test_report_cli_json_and_errors(mined, capsys):
    db, _ = mined
    capsys.readouterr()
    assert main(["report", "telecom", "--db", str(db), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["log"] == "telecom" and "故障诊断" in json.dumps(report, ensure_ascii=False)
    assert main(["report", "nope", "--db", str(db)]) == 2
    assert "No log named 'nope'" in capsys.readouterr().err
    assert main(["mine", "telecom", "--db", str(db), "--sla", "bad"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err
    assert main(["mine", "telecom", "--db", str(db), "--where", "channel=nowhere"]) == 2
    assert "no cases" in capsys.readouterr().err


def test_team_filter_runs_through_mine_report_export_and_replay(telecom, tmp_path, capsys):
    import pandas as pd

    from mining.filters import LogFilter
    from optimization.replay import load_cases
    from servflow.export.source import choose_run, describe_filter, filter_from_json, stored_runs

    source, _truth = telecom(7, 600)
    db = tmp_path / "teams.duckdb"
    shutil.copy(source, db)
    rows = pd.read_csv(source.with_suffix(".csv"), dtype=str)
    teams = ("现场装维", "投诉处理组")
    wanted = set(rows.loc[rows["team"].isin(teams), "ticket_id"])
    kept = rows[rows["ticket_id"].isin(wanted)]
    assert 0 < len(wanted) < rows["ticket_id"].nunique()

    args = ["mine", "telecom", "--db", str(db), "--quiet", "--no-conformance", "--no-publish"]
    assert main([*args, "--team", teams[0], "--team", teams[1]]) == 0
    flt = LogFilter(teams=teams)
    with store.connect(db, read_only=True) as con:
        (run,) = stored_runs(con, "telecom")
        stored = json.loads(run["filter"])
        report = build_report(con, "telecom")
        replayed = load_cases(con, run["run_id"])
    assert stored["teams"] == list(teams) and "resources" not in stored
    assert filter_from_json(stored) == flt
    assert (report["cases"], report["events"]) == (len(wanted), len(kept))
    assert set(replayed.case_ids) == wanted and len(replayed.act) == len(kept)
    assert choose_run([run], "telecom", flt, None).stored
    assert not choose_run([run], "telecom", LogFilter(teams=teams[:1]), None).stored
    assert describe_filter(flt) == "cases with an event by a team in {现场装维, 投诉处理组}"

    capsys.readouterr()
    assert main([*args, "--resource", " "]) == 2
    assert "--resource needs a name" in capsys.readouterr().err


def _command(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`code` run by the interpreter of the test run, output read through pipes."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )


def test_the_command_ends_quickly_with_all_its_output_and_exit_functions(mined):
    """`servflow` (`servflow.cli:run`) skips Python's teardown of the imported modules, not the
    end of the command: everything written arrives through the pipe, the functions registered
    to run at exit run, and the exit status is main's."""
    db, report = mined
    start = (
        "import atexit, sys\n"
        "from servflow.cli import run\n"
        "atexit.register(lambda: print('exit functions ran', file=sys.stderr))\n"
        "sys.argv = ['servflow', *sys.argv[1:]]\n"
        "run()\n"
    )
    done = _command(start, "report", "telecom", "--db", str(db), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(json.dumps(report, default=str))
    assert "exit functions ran" in done.stderr
    failed = _command(start, "report", "nope", "--db", str(db))
    assert failed.returncode == 2
    assert "No log named 'nope'" in failed.stderr and "exit functions ran" in failed.stderr
    console = shutil.which("servflow", path=str(Path(sys.executable).parent))
    assert console is not None, "the servflow command is installed beside the interpreter"
    listed = subprocess.run(
        [console, "logs", "--db", str(db)], capture_output=True, text=True, check=False
    )
    assert listed.returncode == 0 and "telecom" in listed.stdout, listed.stderr
