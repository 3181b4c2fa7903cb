"""Conformance: alignments per variant agree with pm4py per case; deviations of hand-made models."""

from __future__ import annotations

from pathlib import Path

import pytest

from mining import store
from mining.conformance import check_conformance, read_case_fitness
from mining.discovery import discover_process_model
from mining.errors import HostileInputError, InputError
from mining.ingest import IngestOptions, ingest_file

# A sequential reference process A -> B -> C -> D as PNML, with its final marking.
SEQUENCE_PNML = """<?xml version="1.0" encoding="UTF-8"?>
<pnml>
  <net id="standard" type="http://www.pnml.org/version-2009/grammar/pnmlcoremodel">
    <page id="page">
      <place id="p0"><initialMarking><text>1</text></initialMarking></place>
      <place id="p1"/><place id="p2"/><place id="p3"/><place id="p4"/>
      <transition id="tA"><name><text>受理</text></name></transition>
      <transition id="tB"><name><text>故障诊断</text></name></transition>
      <transition id="tC"><name><text>远程处理</text></name></transition>
      <transition id="tD"><name><text>结单</text></name></transition>
      <arc id="a0" source="p0" target="tA"/><arc id="a1" source="tA" target="p1"/>
      <arc id="a2" source="p1" target="tB"/><arc id="a3" source="tB" target="p2"/>
      <arc id="a4" source="p2" target="tC"/><arc id="a5" source="tC" target="p3"/>
      <arc id="a6" source="p3" target="tD"/><arc id="a7" source="tD" target="p4"/>
    </page>
    <finalmarkings><marking><place idref="p4"><text>1</text></place></marking></finalmarkings>
  </net>
</pnml>
"""

# The same process as BPMN, with a choice between remote fix and field repair.
CHOICE_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
             targetNamespace="http://example.org/servflow">
  <process id="standard" isExecutable="false">
    <startEvent id="start"/>
    <task id="t_intake" name="受理"/>
    <task id="t_diag" name="故障诊断"/>
    <exclusiveGateway id="split"/>
    <task id="t_remote" name="远程处理"/>
    <task id="t_field" name="上门维修"/>
    <exclusiveGateway id="join"/>
    <task id="t_close" name="结单"/>
    <endEvent id="end"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="t_intake"/>
    <sequenceFlow id="f2" sourceRef="t_intake" targetRef="t_diag"/>
    <sequenceFlow id="f3" sourceRef="t_diag" targetRef="split"/>
    <sequenceFlow id="f4" sourceRef="split" targetRef="t_remote"/>
    <sequenceFlow id="f5" sourceRef="split" targetRef="t_field"/>
    <sequenceFlow id="f6" sourceRef="t_remote" targetRef="join"/>
    <sequenceFlow id="f7" sourceRef="t_field" targetRef="join"/>
    <sequenceFlow id="f8" sourceRef="join" targetRef="t_close"/>
    <sequenceFlow id="f9" sourceRef="t_close" targetRef="end"/>
  </process>
</definitions>
"""

A, B, C, D, X, F = "受理", "故障诊断", "远程处理", "结单", "催单", "上门维修"
# (number of cases, their activities)
HAND_LOG = (
    (5, (A, B, C, D)),  # fits
    (3, (A, C, D)),  # skips B
    (2, (A, B, X, C, D)),  # inserts X
    (1, (A, B, B, C, D)),  # inserts a second B
    (4, (A, B, F, D)),  # fits the BPMN (field branch); the PNML has no F
)


def _write_hand_log(folder: Path) -> Path:
    lines = ["case,activity,timestamp"]
    case = 0
    for count, activities in HAND_LOG:
        for _ in range(count):
            case += 1
            for hour, activity in enumerate(activities):
                lines.append(f"c{case:02d},{activity},2024-03-{case:02d} {8 + hour:02d}:00")
    path = folder / "hand.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hand")
    db = folder / "db.duckdb"
    with store.connect(db) as con:
        ingest_file(con, _write_hand_log(folder), IngestOptions(log_name="hand"))
    (folder / "sequence.pnml").write_text(SEQUENCE_PNML, encoding="utf-8")
    (folder / "choice.bpmn").write_text(CHOICE_BPMN, encoding="utf-8")
    return db


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from servflow.samplegen import generate_log

    folder = tmp_path_factory.mktemp("gen")
    log = generate_log(folder / "tickets.parquet", tickets=1500, seed=5).log_path
    db = folder / "db.duckdb"
    with store.connect(db) as con:
        ingest_file(con, log, IngestOptions(log_name="t"))
    return log, db


def _per_case_frame(log: Path):
    import pandas as pd
    import pm4py

    frame = pd.read_parquet(log, columns=["ticket_id", "activity", "timestamp"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return pm4py.format_dataframe(
        frame, case_id="ticket_id", activity_key="activity", timestamp_key="timestamp"
    )


def test_fitness_per_variant_equals_pm4py_per_case(generated):
    import pm4py

    log, db = generated
    with store.connect(db) as con:
        log_id = store.log_id_for(con, "t")
        model = discover_process_model(con, log_id, noise_threshold=0.3)
        result = check_conformance(con, log_id, model=model, max_variants=None)
        cases = read_case_fitness(con)
    frame = _per_case_frame(log)
    expected = pm4py.fitness_alignments(
        frame, model.net, model.initial_marking, model.final_marking, multi_processing=False
    )
    assert result.cases_left_out == 0 and result.variants_left_out == 0
    assert result.cases_aligned == frame["case:concept:name"].nunique()
    assert result.log_fitness == pytest.approx(expected["log_fitness"], abs=1e-12)
    assert result.average_case_fitness == pytest.approx(
        expected["average_trace_fitness"], abs=1e-12
    )
    assert result.fitting_case_share == pytest.approx(
        expected["percentage_of_fitting_traces"] / 100, abs=1e-12
    )
    assert result.log_fitness < 1.0  # noise 0.3 leaves some behaviour out of the model

    # every case inherits its variant's fitness: same multiset of case fitnesses as pm4py's
    diagnostics = pm4py.conformance_diagnostics_alignments(
        frame, model.net, model.initial_marking, model.final_marking, multi_processing=False
    )
    ids = sorted(frame["case:concept:name"].unique())
    pm4py_by_case = {case: d["fitness"] for case, d in zip(ids, diagnostics, strict=True)}
    ours = {c.case_id: c.fitness for c in cases}
    assert ours.keys() == pm4py_by_case.keys()
    assert all(ours[k] == pytest.approx(v, abs=1e-12) for k, v in pm4py_by_case.items())


def test_skipped_and_inserted_steps_of_a_hand_made_pnml(hand_db):
    with store.connect(hand_db) as con:
        log_id = store.log_id_for(con, "hand")
        result = check_conformance(con, log_id, model=hand_db.parent / "sequence.pnml")
        cases = {c.case_id: c.fitness for c in read_case_fitness(con)}
    found = {(d.activity, d.kind): d.cases for d in result.deviations}
    # F (field repair) is not in the sequence model: 4 cases insert it and skip C
    assert found == {
        (B, "skipped"): 3,
        (X, "inserted"): 2,
        (B, "inserted"): 1,
        (F, "inserted"): 4,
        (C, "skipped"): 4,
    }
    assert result.deviations[0].activity in (F, C) and result.deviations[0].cases == 4
    assert set(result.log_activities_not_in_model) == {X, F}
    assert result.cases == result.cases_aligned == 15
    assert result.fitting_case_share == pytest.approx(5 / 15)
    by_variant = {v.activities: v for v in result.variant_fitness}
    assert by_variant[(A, B, C, D)].fitness == 1.0
    assert by_variant[(A, C, D)].skipped == (B,)
    assert by_variant[(A, B, X, C, D)].inserted == (X,)
    assert by_variant[(A, C, D)].fitness < 1.0
    assert cases["c01"] == 1.0
    assert cases["c06"] == pytest.approx(by_variant[(A, C, D)].fitness)


def test_a_hand_made_bpmn_with_a_choice(hand_db):
    with store.connect(hand_db) as con:
        result = check_conformance(
            con, store.log_id_for(con, "hand"), model=hand_db.parent / "choice.bpmn"
        )
    found = {(d.activity, d.kind): d.cases for d in result.deviations}
    # the field branch is allowed by the BPMN model: only the real deviations remain
    assert found == {(B, "skipped"): 3, (X, "inserted"): 2, (B, "inserted"): 1}
    assert result.fitting_case_share == pytest.approx(9 / 15)
    assert result.model_activities_not_in_log == ()


def test_capped_variants_are_reported_as_left_out(hand_db):
    with store.connect(hand_db) as con:
        log_id = store.log_id_for(con, "hand")
        result = check_conformance(
            con, log_id, model=hand_db.parent / "sequence.pnml", max_variants=2
        )
        cases = read_case_fitness(con)
        covered = check_conformance(
            con, log_id, model=hand_db.parent / "sequence.pnml", variant_coverage=0.5
        )
    # variants by frequency: ABCD (5), ABFD (4), ACD (3), ABXCD (2), ABBCD (1)
    assert result.variants_aligned == 2 and result.cases_aligned == 9
    assert result.variants_left_out == 3 and result.cases_left_out == 6
    assert result.left_out_note is not None and "3 least frequent variants" in result.left_out_note
    assert sum(1 for c in cases if c.fitness is None) == 6
    assert [c.fitness for c in cases][-6:] == [None] * 6  # left-out cases come last
    assert not [v for v in result.variant_fitness if not v.aligned and v.fitness is not None]
    assert covered.variants_aligned == 2  # 5 + 4 of 15 cases reach half


def test_default_model_is_discovered_from_the_same_log(hand_db):
    with store.connect(hand_db) as con:
        result = check_conformance(con, store.log_id_for(con, "hand"), discovery_noise_threshold=0)
    assert result.model_source == "inductive miner"
    # plain IM fits every case; pm4py's log_fitness also charges silent moves a tiny cost
    assert result.average_case_fitness == 1.0 and result.fitting_case_share == 1.0
    assert result.deviations == ()
    assert result.log_fitness == pytest.approx(1.0, abs=1e-3)


def test_bad_models_and_options_are_refused(hand_db, tmp_path):
    hostile = tmp_path / "x.pnml"
    hostile.write_text('<!DOCTYPE pnml [<!ENTITY e SYSTEM "file:///etc/passwd">]><pnml>&e;</pnml>')
    with store.connect(hand_db) as con:
        log_id = store.log_id_for(con, "hand")
        with pytest.raises(HostileInputError):
            check_conformance(con, log_id, model=hostile)
        foreign = tmp_path / "foreign.pnml"
        foreign.write_text(
            SEQUENCE_PNML.replace("受理", "P")
            .replace("故障诊断", "Q")
            .replace("远程处理", "R")
            .replace("结单", "S"),
            encoding="utf-8",
        )
        with pytest.raises(InputError, match="none of the activities"):
            check_conformance(con, log_id, model=foreign)
        # a final marking the net cannot reach: alignments are not defined
        stuck = tmp_path / "stuck.pnml"
        stuck.write_text(
            SEQUENCE_PNML.replace('<place id="p4"/>', '<place id="p4"/><place id="p9"/>').replace(
                '<place idref="p4">', '<place idref="p9">'
            ),
            encoding="utf-8",
        )
        with pytest.raises(InputError, match=r"stuck\.pnml is not a sound workflow net"):
            check_conformance(con, log_id, model=stuck)
        with pytest.raises(InputError, match="max_variants"):
            check_conformance(con, log_id, max_variants=0)
        with pytest.raises(InputError, match="variant_coverage"):
            check_conformance(con, log_id, variant_coverage=1.5)


def _mine_in_a_new_process(db: Path, hash_seed: str) -> None:
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONHASHSEED": hash_seed,
        "PYTHONPATH": os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")]),
    }
    command = ["mine", "telecom", "--db", str(db), "--quiet", "--no-publish"]
    done = subprocess.run(
        [sys.executable, "-m", "servflow.cli", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def _stored_conformance(db: Path) -> dict[str, list[dict]]:
    with store.connect(db, read_only=True) as con:
        found = {}
        for table in ("run_conformance_variants", "run_deviations"):
            cursor = con.execute(f"SELECT * EXCLUDE (run_id) FROM {table} ORDER BY rank")
            names = [d[0] for d in cursor.description]
            found[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return found


def test_mining_twice_in_two_processes_stores_the_same_conformance(telecom, tmp_path):
    import shutil

    # this log has variants with several optimal alignments that skip different steps
    source, _truth = telecom(7, 600)
    stored = []
    for hash_seed in ("1", "2"):
        db = tmp_path / f"seed{hash_seed}.duckdb"
        shutil.copy(source, db)
        _mine_in_a_new_process(db, hash_seed)
        stored.append(_stored_conformance(db))
    first, second = stored
    assert first["run_deviations"]
    assert any(row["skipped"] for row in first["run_conformance_variants"])
    assert first == second


def test_rediscovered_models_give_the_same_deviations(generated):
    # each discovery names its transitions afresh (uuid4), which used to reorder pm4py's search
    _log, db = generated
    with store.connect(db) as con:
        log_id = store.log_id_for(con, "t")
        results = {
            (r.deviations, r.variant_fitness, r.log_fitness)
            for r in (check_conformance(con, log_id, max_variants=100) for _ in range(4))
        }
    assert len(results) == 1


# Mines the log, then uses pm4py's whole front layer in the same process; prints what it saw.
_MINE_THEN_USE_PM4PY = """
import json, sys
mode, db, pnml = sys.argv[1:4]
if mode == "plain":
    import pm4py
from servflow.cli import main
assert main(["mine", "telecom", "--db", db, "--quiet", "--no-publish"]) == 0
heavy = sorted(m for m in ("graphviz", "lxml", "matplotlib", "pm4py.visualization") if m in sys.modules)
solvers = sorted(m for m in ("cvxopt", "scipy.optimize") if m in sys.modules)
import pandas as pd
import pm4py
from mining import pm4py_modules, store
from mining.discovery import discover_process_model, write_pnml
with store.connect(db, read_only=True) as con:
    model = discover_process_model(con, 1, noise_threshold=0.2)
net, initial, final = pm4py.read_pnml(str(write_pnml(model, pnml)))
print(json.dumps({
    "heavy": heavy,
    "solvers": solvers,
    "labels": sorted(t.label for t in net.transitions if t.label),
    "version": pm4py.__version__,
    "dfg": sorted(f"{a}>{b}:{n}" for (a, b), n in pm4py.discover_dfg(pm4py.format_dataframe(
        pd.DataFrame({"case": ["1", "1", "2", "2", "2"], "act": ["受理", "结单", "受理", "升级", "结单"],
                      "time": pd.to_datetime([1, 2, 1, 2, 3], unit="h")}),
        case_id="case", activity_key="act", timestamp_key="time"))[0].items()),
    "deferred_root": pm4py_modules.is_deferred(pm4py),
}))
"""


def test_deferred_pm4py_imports_give_the_same_results_and_leave_pm4py_whole(telecom, tmp_path):
    """`servflow mine` runs only the pm4py modules it uses (`mining.pm4py_modules`): the stored
    conformance equals that of a process that imported pm4py whole first, the visualizations
    (matplotlib, graphviz) never ran, and pm4py's front layer still works in that process afterwards."""
    import json
    import os
    import shutil
    import subprocess
    import sys

    source, _truth = telecom(7, 600)
    repo = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")]),
    }
    seen, stored = {}, {}
    for mode in ("plain", "deferred"):
        db = tmp_path / f"{mode}.duckdb"
        shutil.copy(source, db)
        done = subprocess.run(
            [sys.executable, "-c", _MINE_THEN_USE_PM4PY, mode, str(db), str(tmp_path / mode)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        seen[mode] = json.loads(done.stdout.strip().splitlines()[-1])
        stored[mode] = _stored_conformance(db)
    assert stored["deferred"]["run_deviations"] and stored["deferred"]["run_conformance_variants"]
    assert stored["deferred"] == stored["plain"]
    assert seen["plain"]["heavy"] == ["graphviz", "lxml", "matplotlib", "pm4py.visualization"]
    assert seen["deferred"]["heavy"] == []
    # the alignments call pm4py's Dijkstra search: its LP solvers (for A*) never load
    assert seen["plain"]["solvers"] == ["cvxopt", "scipy.optimize"]
    assert seen["deferred"]["solvers"] == []
    assert (
        seen["deferred"]["labels"] == seen["plain"]["labels"] and "受理" in seen["plain"]["labels"]
    )
    # pm4py's own __init__ ran once its front layer was asked for, and that layer works
    assert seen["deferred"]["deferred_root"] is False and seen["plain"]["deferred_root"] is False
    assert seen["deferred"]["version"] == seen["plain"]["version"]
    assert (
        seen["deferred"]["dfg"]
        == seen["plain"]["dfg"]
        == ["升级>结单:1", "受理>升级:1", "受理>结单:1"]
    )


_RETRY_IN_FULL = """
import sys
from mining import pm4py_modules
def deferred():
    return sum(pm4py_modules.is_deferred(m) for n, m in list(sys.modules.items()) if n.startswith("pm4py"))
tries = []
def work():
    tries.append(len(tries))
    if len(tries) == 1:
        raise AttributeError("a module a plain import would have run")
    return "done"
print(pm4py_modules.defer_imports())
import pm4py.objects.petri_net.obj as obj
print(deferred() > 0, pm4py_modules.run_deferred(work), len(tries), deferred(), obj.PetriNet.__name__)
"""


def test_deferred_work_failing_on_an_import_runs_again_with_every_module_run(tmp_path):
    import subprocess
    import sys

    import pm4py  # noqa: F401

    from mining import pm4py_modules

    # this process imported pm4py whole: nothing is deferred, a failure is the work's own
    assert pm4py_modules.defer_imports() is False
    calls = []

    def failing() -> None:
        calls.append(1)
        raise AttributeError("no such attribute")

    with pytest.raises(AttributeError):
        pm4py_modules.run_deferred(failing)
    assert len(calls) == 1
    done = subprocess.run(
        [sys.executable, "-c", _RETRY_IN_FULL],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["True", "True", "done", "2", "0", "PetriNet"]
