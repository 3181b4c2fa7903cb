"""Auditor export packs, opened with tools servflow did not write: the OMG BPMN 2.0 XSD,
SpiffWorkflow's BPMN parser, pm4py, bpmn-js in Chromium, an XML parser for the SVG, poppler for
the PDF and Python's csv module for the findings."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from mining import store
from mining.ingest import IngestOptions, ingest_file
from mining.run import MiningOptions, build_report, mine_log
from servflow.cli import main
from servflow.export import FORMATS, ExportResult, export_pack
from servflow.export.csvfiles import read_csv

REPO = Path(__file__).resolve().parents[1]
BPMNJS = REPO / "tests" / "bpmnjs" / "node_modules" / "bpmn-js" / "dist"
SVG = "{http://www.w3.org/2000/svg}"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# labels a spreadsheet would run as formulas, markup, Graphviz escapes, control whitespace
HOSTILE = (
    '=HYPERLINK("http://example.invalid","x")',
    "+cmd",
    "-2+3",
    "@SUM(A1)",
    "\tTab",
    "\rCR",
    "'quoted",
    "＝全角",
    "<i>html</i> & \"q\" 'a'",
    "x\\Ny \\l",
)
START, END = "受理 (intake)", "回访 & 归档"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _hostile_log(folder: Path) -> Path:
    """Six cases, each START, two hostile labels, END: every label occurs."""
    rows = []
    for case in range(len(HOSTILE) // 2 + 1):
        middle = [HOSTILE[(2 * case) % len(HOSTILE)], HOSTILE[(2 * case + 1) % len(HOSTILE)]]
        for step, activity in enumerate([START, *middle, END]):
            rows.append((f"C{case}", activity, f"2024-01-0{case + 1}T0{step + 1}:00:00"))
    path = folder / "hostile.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["case", "activity", "timestamp"])
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def db(telecom, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the generated telecom log (600 tickets), mined, plus a mined log of hostile
    labels and a log that was loaded but never mined."""
    source, _truth = telecom(7, 600)
    folder = tmp_path_factory.mktemp("export")
    path = folder / "db.duckdb"
    shutil.copy(source, path)
    from optimization.candidates import compute_and_store

    with store.connect(path) as con:
        run = mine_log(
            con,
            "telecom",
            MiningOptions(
                sla_attribute="ticket_type",
                sla_targets_s=(("投诉", 72 * 3600.0),),
                default_sla_s=48 * 3600.0,
            ),
        )
        compute_and_store(con, run.run_id)  # as `servflow mine` does
        ingest_file(con, _hostile_log(folder), IngestOptions(log_name="hostile", fail_on=None))
        mine_log(con, "hostile", MiningOptions())
        ingest_file(con, _hostile_log(folder), IngestOptions(log_name="unmined", fail_on=None))
    return path


@pytest.fixture(scope="module")
def pack(db: Path, tmp_path_factory: pytest.TempPathFactory) -> ExportResult:
    """The full pack of the telecom log."""
    with store.connect(db, read_only=True) as con:
        return export_pack(con, "telecom", tmp_path_factory.mktemp("out"))


@pytest.fixture(scope="module")
def hostile_pack(db: Path, tmp_path_factory: pytest.TempPathFactory) -> ExportResult:
    with store.connect(db, read_only=True) as con:
        return export_pack(
            con,
            "hostile",
            tmp_path_factory.mktemp("hostile"),
            formats=["svg", "bpmn", "pnml", "csv", "report"],
        )


@pytest.fixture(scope="module")
def facts(db: Path) -> dict:
    """The stored run and the log's activity labels, as the database has them."""
    with store.connect(db, read_only=True) as con:
        labels = {
            name: sorted(
                r[0]
                for r in con.execute(
                    "SELECT a.name FROM activities a JOIN logs l USING (log_id) WHERE l.name = ?",
                    [name],
                ).fetchall()
            )
            for name in ("telecom", "hostile")
        }
        return {"labels": labels, "report": build_report(con, "telecom")}


def _model_activities(result: ExportResult) -> list[str]:
    return sorted(result.manifest["parameters"]["model"]["activities"])


def test_pack_holds_every_format_and_the_manifest_hashes_match(pack, facts):
    names = {f.path for f in pack.files}
    expected = {f"map-{k}.{x}" for k in ("frequency", "performance") for x in ("svg", "png", "pdf")}
    expected |= {"model.bpmn", "model.pnml", "report.pdf", "manifest.json", "csv/flows.csv"}
    expected |= {f"csv/{n}.csv" for n in ("kpis", "variants", "bottlenecks", "data_quality")}
    assert expected <= names
    assert pack.path.name == f"telecom-run{facts['report']['run_id']}"
    on_disk = {p.relative_to(pack.path).as_posix() for p in pack.path.rglob("*") if p.is_file()}
    assert on_disk == names
    manifest = json.loads((pack.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == pack.manifest
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == names - {"manifest.json"}
    for name, entry in listed.items():
        assert _sha256(pack.path / name) == entry["sha256"], name
        assert (pack.path / name).stat().st_size == entry["bytes"]
    assert next(f for f in pack.files if f.path == "manifest.json").sha256 == _sha256(
        pack.path / "manifest.json"
    )
    # provenance: the input file's own hash and row counts, the run, the parameters
    (load,) = manifest["inputs"]
    assert _sha256(Path(load["source_path"])) == load["source_sha256"]
    with Path(load["source_path"]).open(encoding="utf-8") as stream:
        rows = sum(1 for _ in stream) - 1
    assert manifest["rows"] == {"read": rows, "loaded": rows, "rejected": 0}
    assert manifest["mining_run"]["run_id"] == facts["report"]["run_id"]
    assert manifest["mining_run"]["cases"] == 600
    assert manifest["parameters"]["mining"]["sla_attribute"] == "ticket_type"
    assert manifest["filter"] == {}
    assert {"servflow", "pm4py", "duckdb", "graphviz", "chromium"} <= set(manifest["software"])


def test_flows_csv_counts_match_the_input_file(pack):
    """The directly-follows counts, recounted from the input file with the csv module."""
    source = Path(pack.manifest["inputs"][0]["source_path"])
    with source.open(encoding="utf-8", newline="") as stream:
        events = sorted(
            (r["ticket_id"], r["timestamp"], i, r["activity"])
            for i, r in enumerate(csv.DictReader(stream))
        )
    expected: Counter[tuple[str, str]] = Counter()
    for before, after in pairwise(events):
        if before[0] == after[0]:
            expected[(before[3], after[3])] += 1
    flows = read_csv(pack.path / "csv" / "flows.csv")
    assert {(r["source"], r["target"]): int(r["count"]) for r in flows} == dict(expected)


def test_findings_show_the_injected_bottleneck(pack, telecom):
    _db, truth = telecom(7, 600)
    top = read_csv(pack.path / "csv" / "bottlenecks.csv")[: len(truth["bottleneck_edges"])]
    assert {(r["source"], r["target"]) for r in top} == {
        (e["source"], e["target"]) for e in truth["bottleneck_edges"]
    }
    kpis = {r["name"]: r for r in read_csv(pack.path / "csv" / "kpis.csv")}
    assert kpis["resolution_rate"]["definition"] and kpis["lead_time"]["unit"] == "seconds"


def test_second_export_is_byte_identical(db, pack, tmp_path):
    with store.connect(db, read_only=True) as con:
        again = export_pack(con, "telecom", tmp_path, formats=["svg", "bpmn", "pnml", "csv"])
    first = {f.path: f.sha256 for f in pack.files}
    second = {f.path: f.sha256 for f in again.files if f.path != "manifest.json"}
    assert second and all(first[name] == digest for name, digest in second.items())
    assert any(name.endswith(".svg") for name in second)
    svg = (again.path / "map-frequency.svg").read_text(encoding="utf-8")
    assert "Generated by graphviz" not in svg and "<!DOCTYPE" not in svg


def test_bpmn_validates_against_the_omg_schema_and_loads_in_spiffworkflow(pack):
    import SpiffWorkflow
    from lxml import etree
    from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator

    schema_file = Path(SpiffWorkflow.__file__).parent / "bpmn" / "parser" / "schema" / "BPMN20.xsd"
    schema = etree.XMLSchema(etree.parse(str(schema_file)))
    document = etree.parse(str(pack.path / "model.bpmn"))
    assert schema.validate(document), schema.error_log
    parser = BpmnParser(validator=BpmnValidator())
    parser.add_bpmn_file(str(pack.path / "model.bpmn"))
    spec = parser.get_spec("Process_1")
    tasks = sorted(t.bpmn_name for t in spec.task_specs.values() if type(t).__name__ == "NoneTask")
    assert tasks == _model_activities(pack)


def test_bpmn_has_a_laid_out_shape_and_edge_for_every_element(pack):
    root = ET.parse(pack.path / "model.bpmn").getroot()
    process = root.find(f"{BPMN}process")
    assert process is not None
    nodes = {e.get("id") for e in process if e.tag != f"{BPMN}sequenceFlow" and e.get("id")}
    flows = {e.get("id") for e in process.iter(f"{BPMN}sequenceFlow")}
    shapes = list(root.iter(f"{BPMNDI}BPMNShape"))
    edges = list(root.iter(f"{BPMNDI}BPMNEdge"))
    assert {s.get("bpmnElement") for s in shapes} == nodes
    assert {e.get("bpmnElement") for e in edges} == flows
    positions = set()
    for shape in shapes:
        bounds = shape.find("{http://www.omg.org/spec/DD/20100524/DC}Bounds")
        assert bounds is not None
        positions.add((bounds.get("x"), bounds.get("y")))
    assert len(positions) == len(shapes)  # laid out, not stacked
    assert all(len(list(e)) >= 2 for e in edges)


def test_bpmn_and_pnml_reimport_in_pm4py_with_the_same_behaviour(pack, db):
    import pm4py

    from mining.discovery import load_log_variants

    bpmn = pm4py.read_bpmn(str(pack.path / "model.bpmn"))
    names = sorted({n.get_name() for n in bpmn.get_nodes() if type(n).__name__ == "Task"})
    assert names == _model_activities(pack)
    net, im, fm = pm4py.read_pnml(str(pack.path / "model.pnml"))
    assert sorted({t.label for t in net.transitions if t.label}) == _model_activities(pack)
    assert len(im) == 1 and len(fm) == 1
    # the same language: every variant fits the PNML exactly when it fits the BPMN
    bpmn_net, bpmn_im, bpmn_fm = pm4py.convert_to_petri_net(bpmn)
    with store.connect(db, read_only=True) as con:
        variants = load_log_variants(con, store.log_id_for(con, "telecom"))
    import pandas as pd

    frame = pd.DataFrame(
        [
            {"case:concept:name": str(v.variant_no), "concept:name": a, "time:timestamp": i}
            for v in variants
            for i, a in enumerate(v.activities)
        ]
    )
    frame["time:timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        frame["time:timestamp"], unit="s"
    )
    fits_pnml = pm4py.conformance_diagnostics_token_based_replay(frame, net, im, fm)
    fits_bpmn = pm4py.conformance_diagnostics_token_based_replay(frame, bpmn_net, bpmn_im, bpmn_fm)
    pnml_fit = [r["trace_is_fit"] for r in fits_pnml]
    assert pnml_fit == [r["trace_is_fit"] for r in fits_bpmn]
    assert sum(pnml_fit) >= len(variants) // 2  # the frequent behaviour fits


def test_bpmn_renders_in_bpmn_js_without_warnings(pack, tmp_path):
    viewer = BPMNJS / "bpmn-viewer.production.min.js"
    if not viewer.exists():
        pytest.fail(f"{viewer} is missing: run scripts/setup.sh (npm ci in tests/bpmnjs)")
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "viewer.html"
    page_file.write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><script src="{viewer.as_uri()}">'
        '</script></head><body><div id="canvas" style="width:1600px;height:900px"></div>'
        "</body></html>",
        encoding="utf-8",
    )
    xml = (pack.path / "model.bpmn").read_text(encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())
            found = page.evaluate(
                """async (xml) => {
                  const viewer = new BpmnJS({container: '#canvas'});
                  const result = await viewer.importXML(xml);
                  const registry = viewer.get('elementRegistry');
                  return {
                    warnings: result.warnings.map(w => w.message),
                    tasks: registry.filter(e => e.type === 'bpmn:Task')
                                   .map(e => e.businessObject.name),
                    drawn: document.querySelectorAll('.djs-element').length,
                    shapes: registry.filter(e => !e.waypoints && e.type !== 'bpmn:Process'
                                                 && e.type !== 'label').length,
                    edges: registry.filter(e => e.waypoints).length,
                  };
                }""",
                xml,
            )
        finally:
            browser.close()
    root = ET.fromstring(xml.encode("utf-8"))
    assert found["warnings"] == [] and errors == []
    assert sorted(found["tasks"]) == _model_activities(pack)
    assert found["shapes"] == len(list(root.iter(f"{BPMNDI}BPMNShape")))
    assert found["edges"] == len(list(root.iter(f"{BPMNDI}BPMNEdge")))
    assert found["drawn"] >= found["shapes"] + found["edges"]


def _svg_texts(path: Path) -> list[str]:
    return [e.text or "" for e in ET.parse(path).getroot().iter(f"{SVG}text")]


def test_svg_maps_hold_every_label_in_a_cjk_font(pack, hostile_pack, facts):
    for result, log in ((pack, "telecom"), (hostile_pack, "hostile")):
        for kind in ("frequency", "performance"):
            path = result.path / f"map-{kind}.svg"
            texts = {" ".join(t.split()) for t in _svg_texts(path)}
            for label in facts["labels"][log]:
                assert " ".join(label.split()) in texts, (log, kind, label)
            fonts = {e.get("font-family") for e in ET.parse(path).getroot().iter(f"{SVG}text")}
            assert fonts == {"Noto Sans CJK SC"}
    assert "故障诊断" in _svg_texts(pack.path / "map-frequency.svg")


def test_png_and_pdf_maps_are_real_images(pack):
    png = (pack.path / "map-frequency.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000
    text = subprocess.run(
        ["pdftotext", str(pack.path / "map-performance.pdf"), "-"],
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    assert "故障诊断" in unicodedata.normalize("NFKC", text)
    fonts = subprocess.run(
        ["pdffonts", str(pack.path / "map-performance.pdf")], capture_output=True, check=True
    ).stdout.decode()
    assert "NotoSansCJKsc" in fonts  # the CJK font drew the labels, not a fallback's boxes


def _pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    # CJK fonts share glyphs between ideographs and Kangxi radicals (工/⼯); NFKC folds them
    return unicodedata.normalize("NFKC", done.stdout.decode("utf-8"))


def test_pdf_report_renders_and_holds_kpis_findings_and_chinese_text(pack, facts, tmp_path):
    from servflow.export.report import kpi_text

    report = pack.path / "report.pdf"
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(report), str(tmp_path / "page")], check=True
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 2 and all(p.stat().st_size > 2_000 for p in pages)
    text = _pdf_text(report)
    kpis = facts["report"]["kpis"]
    for name in ("resolution_rate", "lead_time", "first_contact_resolution"):
        assert name in text and kpi_text(kpis[name]) in text, name
    assert "故障诊断" in text and "受理" in text
    top = facts["report"]["bottlenecks"][0]
    assert f"{top['source']} → {top['target']}" in text
    assert pack.manifest["inputs"][0]["source_sha256"] in text
    fonts = subprocess.run(["pdffonts", str(report)], capture_output=True, check=True)
    lines = fonts.stdout.decode().splitlines()[2:]
    assert lines and all(line.split()[-5] == "yes" for line in lines)  # every font embedded


def test_pdf_report_shows_hostile_labels_as_text(hostile_pack):
    text = _pdf_text(hostile_pack.path / "report.pdf")
    assert "回访 & 归档" in text
    assert '<i>html</i> & "q"' in text  # escaped, printed as written, never markup


def test_csv_cells_are_neutralised_and_read_back(hostile_pack, facts):
    folder = hostile_pack.path / "csv"
    triggers = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
    for path in sorted(folder.glob("*.csv")):
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), path.name
        for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")):
            for value in row:
                if value.startswith(triggers):
                    float(value)  # only numbers may start so (a negative number)
    raw_cells = {
        row["activity"]
        for row in csv.DictReader(
            io.StringIO((folder / "activities.csv").read_text(encoding="utf-8-sig"), newline="")
        )
    }
    assert '\'=HYPERLINK("http://example.invalid","x")' in raw_cells
    assert "''quoted" in raw_cells and "'\tTab" in raw_cells
    activities = sorted(r["activity"] for r in read_csv(folder / "activities.csv"))
    assert activities == facts["labels"]["hostile"]
    flows = read_csv(folder / "flows.csv")
    assert {r["source"] for r in flows} | {r["target"] for r in flows} == set(activities)
    variants = read_csv(folder / "variants.csv")
    assert {a for r in variants for a in json.loads(r["activities"])} == set(activities)


def test_hostile_labels_survive_bpmn_and_pnml(hostile_pack, facts):
    import pm4py
    from lxml import etree

    expected = facts["labels"]["hostile"]
    document = etree.parse(str(hostile_pack.path / "model.bpmn"))
    tasks = document.getroot().iter(f"{BPMN}task")
    assert sorted(t.get("name") for t in tasks) == expected  # character references kept
    bpmn = pm4py.read_bpmn(str(hostile_pack.path / "model.bpmn"))
    names = sorted(n.get_name() for n in bpmn.get_nodes() if type(n).__name__ == "Task")
    # pm4py's BPMN reader drops carriage returns from names; everything else arrives
    assert names == sorted(label.replace("\r", "") for label in expected)
    net, _im, _fm = pm4py.read_pnml(str(hostile_pack.path / "model.pnml"))
    assert sorted(t.label for t in net.transitions if t.label) == expected


def _cli(*args: str) -> int:
    return main(["export", *args])


def _pack_folders(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuchlog"], "No log named 'nosuchlog'"),
        (["unmined"], "has not been mined yet"),
        (["telecom", "--run", "99"], "has no mining run 99"),
        (["telecom", "--formats", "svg,docx"], "unknown export format 'docx'"),
        (["telecom", "--where", "channel=nowhere"], "has no cases under this filter"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(db, tmp_path, capsys, args, message):
    out = tmp_path / "out"
    assert _cli(args[0], "--db", str(db), "--out", str(out), *args[1:]) == 2
    assert message in capsys.readouterr().err
    assert _pack_folders(out) == []


def test_unusable_output_folders_exit_2(db, tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("x", encoding="utf-8")
    assert _cli("hostile", "--db", str(db), "--out", str(a_file), "--formats", "csv") == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert _cli("hostile", "--db", str(db), "--out", str(a_file / "sub"), "--formats", "csv") == 2
    assert "cannot create the output folder" in capsys.readouterr().err
    assert a_file.read_text(encoding="utf-8") == "x"
    # sysfs refuses new folders even to root
    assert (
        _cli("hostile", "--db", str(db), "--out", "/sys/servflow-export", "--formats", "csv") == 2
    )
    assert "/sys/servflow-export" in capsys.readouterr().err
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        assert _cli("hostile", "--db", str(db), "--out", str(locked), "--formats", "csv") == 2
        assert "not writable" in capsys.readouterr().err


def test_failure_midway_leaves_the_previous_pack_and_no_partial_one(
    db, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "out"
    assert _cli("hostile", "--db", str(db), "--out", str(out), "--formats", "svg") == 0
    (folder,) = _pack_folders(out)
    before = {p.name: _sha256(p) for p in (out / folder).iterdir()}
    # a Chromium that fails: the maps and CSV files are written before the report breaks
    monkeypatch.setenv("SERVFLOW_CHROMIUM", "/bin/false")
    from servflow.export import report

    report.chromium_version.cache_clear()
    try:
        code = _cli(
            "hostile", "--db", str(db), "--out", str(out), "--formats", "svg", "csv", "report"
        )
    finally:
        report.chromium_version.cache_clear()
    assert code == 2 and "Chromium could not print the PDF report" in capsys.readouterr().err
    assert _pack_folders(out) == [folder]
    assert {p.name: _sha256(p) for p in (out / folder).iterdir()} == before


def test_filtered_run_is_chosen_by_its_filter_and_stale_runs_give_no_model(db, tmp_path, capsys):
    from mining.filters import LogFilter

    copy = tmp_path / "db.duckdb"
    shutil.copy(db, copy)
    flt = LogFilter(variants_top_k=2)
    with store.connect(copy) as con:
        filtered = mine_log(con, "hostile", MiningOptions(flt=flt, conformance=False))
        newest = mine_log(con, "hostile", MiningOptions(conformance=False))
    with store.connect(copy, read_only=True) as con:
        chosen = export_pack(con, "hostile", tmp_path / "a", formats=["csv"], flt=flt)
        plain = export_pack(con, "hostile", tmp_path / "a", formats=["csv"])
    assert chosen.manifest["mining_run"]["run_id"] == filtered.run_id
    assert chosen.manifest["filter"]["variants_top_k"] == 2
    assert (
        chosen.manifest["mining_run"]["cases"]
        == filtered.cases
        < plain.manifest["mining_run"]["cases"]
    )
    assert plain.manifest["mining_run"]["run_id"] == newest.run_id
    assert len(read_csv(chosen.path / "csv" / "variants.csv")) == 2
    assert (
        _cli(
            "hostile",
            "--db",
            str(copy),
            "--out",
            str(tmp_path / "b"),
            "--top-variants",
            "2",
            "--formats",
            "csv",
            "--json",
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["run_id"] == filtered.run_id
    # a later load makes the runs stale: no model is discovered from data the run did not see
    extra = tmp_path / "late.csv"
    extra.write_text(
        "case,activity,timestamp\nZ1,受理 (intake),2024-02-01T08:00:00\n", encoding="utf-8"
    )
    with store.connect(copy) as con:
        ingest_file(con, extra, IngestOptions(log_name="hostile", fail_on=None))
    assert (
        _cli("hostile", "--db", str(copy), "--out", str(tmp_path / "c"), "--formats", "bpmn") == 2
    )
    assert "older than the log's newest load" in capsys.readouterr().err
    assert _cli("hostile", "--db", str(copy), "--out", str(tmp_path / "c"), "--formats", "csv") == 0
    (folder,) = _pack_folders(tmp_path / "c")
    manifest = json.loads((tmp_path / "c" / folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["mining_run"]["stale"] is True and len(manifest["inputs"]) == 1


def test_filter_without_a_stored_run_is_mined_for_the_export_without_writing_the_source(
    db, pack, tmp_path
):
    from mining.filters import LogFilter

    flt = LogFilter(case_attributes=(("channel", ("微信",)),))
    with store.connect(db, read_only=True) as con:
        runs_before = con.execute("SELECT count(*) FROM mining_runs").fetchall()
        result = export_pack(con, "telecom", tmp_path, formats=["csv", "svg"], flt=flt)
        (wechat,) = con.execute(
            "SELECT count(*) FROM cases c JOIN logs l USING (log_id) "
            "WHERE l.name = 'telecom' AND c.attributes->>'$.channel' = '微信'"
        ).fetchone()
        assert con.execute("SELECT count(*) FROM mining_runs").fetchall() == runs_before
    run = result.manifest["mining_run"]
    base = pack.manifest["mining_run"]["run_id"]
    assert run["stored"] is False and run["run_id"] is None
    assert run["parameters_from_run"] == base and result.path.name.startswith(
        f"telecom-run{base}-filter-"
    )
    assert 0 < run["cases"] == wechat < 600
    assert result.manifest["filter"]["case_attributes"] == [["channel", ["微信"]]]
    assert result.manifest["parameters"]["mining"]["sla_attribute"] == "ticket_type"
    sla = {r["ticket_type"] for r in read_csv(result.path / "csv" / "sla.csv")}
    assert sla and sla <= {"咨询", "报障", "投诉"}
    variants = read_csv(result.path / "csv" / "variants.csv")
    assert sum(int(v["count"]) for v in variants) == wechat
    assert "parameters of mining run" in " ".join(_svg_texts(result.path / "map-frequency.svg"))


def test_candidates_csv_and_report_show_the_stored_candidates(db, pack, facts):
    from optimization import candidates_for_run

    with store.connect(db, read_only=True) as con:
        stored = candidates_for_run(con, facts["report"]["run_id"])
    assert stored is not None and stored.automation and stored.restructuring
    rows = read_csv(pack.path / "csv" / "candidates.csv")
    expected = [("automation", c.id) for c in stored.automation]
    expected += [("restructuring", c.id) for c in stored.restructuring]
    listed = ("already_automated", "judgement")
    assert [(r["group"], r["id"]) for r in rows if r["group"] not in listed] == expected
    judged = [r for r in rows if r["group"] == "judgement"]
    assert [(json.loads(r["activities"]), r["rationale"]) for r in judged] == [
        ([j.activity], j.reason) for j in stored.judgement
    ]
    for row, candidate in zip(rows, [*stored.automation, *stored.restructuring], strict=False):
        assert float(row["score"]) == candidate.score
        assert json.loads(row["evidence"])  # the criteria or evidence behind it
    assert pack.manifest["candidates"] is True
    text = _pdf_text(pack.path / "report.pdf")
    assert stored.automation[0].activity in text
    assert " → ".join(stored.restructuring[0].activities) in text
    if stored.judgement:
        assert "Judgement work, not proposed" in text


def test_formats_are_documented():
    doc = (REPO / "docs" / "exports.md").read_text(encoding="utf-8")
    for name in FORMATS:
        assert f"`{name}`" in doc


def test_committed_example_pack_matches_its_manifest_and_the_sample_log():
    (manifest_file,) = (REPO / "docs" / "export-example").glob("*/manifest.json")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        assert _sha256(manifest_file.parent / entry["path"]) == entry["sha256"], entry["path"]
    (load,) = manifest["inputs"]
    assert load["source_path"].endswith("sample_logs/telecom_tickets.csv")
    assert _sha256(REPO / "sample_logs" / "telecom_tickets.csv") == load["source_sha256"]


def test_export_modules_import_light():
    code = (
        "import sys, servflow.export, servflow.cli_export\n"
        "from servflow.cli import _parser\n_parser()\n"
        "print(sorted(m for m in ('pm4py', 'pandas', 'lxml', 'pyarrow') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, check=True, cwd=REPO, text=True
    )
    assert done.stdout.strip() == "[]"
