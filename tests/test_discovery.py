"""Process-model discovery from variants, BPMN/PNML export, and reading reference models."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from mining import store
from mining.discovery import (
    DEFAULT_MAX_MODEL_FILE_BYTES,
    discover_process_model,
    load_log_variants,
    read_process_model,
    write_bpmn,
    write_pnml,
    xml_safe_label,
)
from mining.errors import HostileInputError, InputError
from mining.filters import LogFilter
from mining.ingest import IngestOptions, ingest_file

WEIRD_LABELS = ("受理 (intake)", "a<b&\"c'", "x\x01y", "回访 & 归档")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A generated telecom log of 1,500 tickets (Parquet) and a database holding it as 't'."""
    from servflow.samplegen import generate_log

    folder = tmp_path_factory.mktemp("gen")
    log = generate_log(folder / "tickets.parquet", tickets=1500, seed=3).log_path
    db = folder / "db.duckdb"
    with store.connect(db) as con:
        ingest_file(con, log, IngestOptions(log_name="t"))
    return log, db


def _pm4py_frame(log: Path):
    import pandas as pd
    import pm4py

    frame = pd.read_parquet(log, columns=["ticket_id", "activity", "timestamp"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return pm4py.format_dataframe(
        frame, case_id="ticket_id", activity_key="activity", timestamp_key="timestamp"
    )


def _weird_log(folder: Path) -> Path:
    a, b, c, d = WEIRD_LABELS
    rows = [
        ("1", a, "2024-01-01 08:00"),
        ("1", b, "2024-01-01 09:00"),
        ("1", c, "2024-01-01 10:00"),
        ("1", d, "2024-01-01 11:00"),
        ("2", a, "2024-01-02 08:00"),
        ("2", c, "2024-01-02 10:00"),
        ("2", d, "2024-01-02 11:00"),
    ]
    path = folder / "weird.csv"
    lines = ["case,activity,timestamp"] + [
        ",".join([case, '"' + act.replace('"', '""') + '"', ts]) for case, act, ts in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_tree_equals_pm4py_on_the_whole_generated_log(generated, noise):
    import pm4py

    log, db = generated
    with store.connect(db) as con:
        model = discover_process_model(con, store.log_id_for(con, "t"), noise_threshold=noise)
    expected = pm4py.discover_process_tree_inductive(
        _pm4py_frame(log), noise_threshold=noise, multi_processing=False
    )
    assert str(model.tree) == str(expected)
    assert model.weighting == ("one trace per variant" if noise == 0 else "exact counts")
    assert model.initial_marking and model.final_marking
    assert set(model.activities) == set(_pm4py_frame(log)["concept:name"].unique())


@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_tree_equals_pm4py_on_the_real_helpdesk_log(real_db, real_log_path, noise):
    import pandas as pd
    import pm4py

    frame = pd.read_csv(real_log_path("helpdesk"))
    frame["ts"] = pd.to_datetime(frame["Complete Timestamp"], format="%Y/%m/%d %H:%M:%S.%f")
    frame = pm4py.format_dataframe(
        frame, case_id="Case ID", activity_key="Activity", timestamp_key="ts"
    )
    with store.connect(real_db, read_only=True) as con:
        model = discover_process_model(
            con, store.log_id_for(con, "helpdesk"), noise_threshold=noise
        )
    expected = pm4py.discover_process_tree_inductive(
        frame, noise_threshold=noise, multi_processing=False
    )
    assert str(model.tree) == str(expected)


def test_variants_come_with_case_counts(generated):
    log, db = generated
    import pm4py

    expected = {tuple(k): int(n) for k, n in pm4py.get_variants(_pm4py_frame(log)).items()}
    with store.connect(db) as con:
        variants = load_log_variants(con, store.log_id_for(con, "t"))
    assert {v.activities: v.cases for v in variants} == expected
    assert [v.variant_no for v in variants] == list(range(len(variants)))
    assert [v.cases for v in variants] == sorted((v.cases for v in variants), reverse=True)


def test_activity_filter_projects_the_model(generated):
    _, db = generated
    with store.connect(db) as con:
        log_id = store.log_id_for(con, "t")
        names = [r[0] for r in con.execute("SELECT name FROM activities ORDER BY name").fetchall()]
        kept = tuple(names[:4])
        model = discover_process_model(con, log_id, flt=LogFilter(activities=kept))
    assert set(model.activities) <= set(kept)
    assert model.activities


def test_bad_options_and_empty_selection_are_refused(generated):
    _, db = generated
    with store.connect(db) as con:
        log_id = store.log_id_for(con, "t")
        with pytest.raises(InputError, match="noise_threshold"):
            discover_process_model(con, log_id, noise_threshold=1.0)
        with pytest.raises(InputError, match="no cases"):
            discover_process_model(
                con, log_id, flt=LogFilter(case_attributes=(("channel", ("nowhere",)),))
            )


def test_bpmn_and_pnml_round_trip_with_escaped_labels(tmp_path):
    with store.connect(tmp_path / "db.duckdb") as con:
        ingest_file(con, _weird_log(tmp_path), IngestOptions(log_name="w"))
        model = discover_process_model(con, store.log_id_for(con, "w"))
    assert set(model.activities) == set(WEIRD_LABELS)
    safe = {xml_safe_label(label) for label in WEIRD_LABELS}
    assert "x\\x01y" in safe

    bpmn = write_bpmn(model, tmp_path / "model.bpmn")
    pnml = write_pnml(model, tmp_path / "model")
    assert pnml.name == "model.pnml"
    text = bpmn.read_text(encoding="utf-8")
    assert "a&lt;b&amp;" in text and "受理 (intake)" in text
    for path in (bpmn, pnml):
        back = read_process_model(path)
        assert set(back.activities) == safe
        assert back.initial_marking and back.final_marking
    # the model itself keeps the log's labels (conformance still matches them)
    assert set(model.activities) == set(WEIRD_LABELS)


def _hostile(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    data = text.encode(encoding)
    if encoding == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data
    path.write_bytes(data)
    return path


BPMN_BODY = (
    '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">'
    '<process id="p"><task id="t" name="&x;"/></process></definitions>'
)


@pytest.mark.parametrize(
    ("name", "text", "encoding"),
    [
        (
            "xxe.bpmn",
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + BPMN_BODY,
            "utf-8",
        ),
        (
            "laughs.pnml",
            '<?xml version="1.0"?><!DOCTYPE pnml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            "<pnml>&b;</pnml>",
            "utf-8",
        ),
        (
            "utf16.bpmn",
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY x "y">]>' + BPMN_BODY,
            "utf-16-le",
        ),
        ("lower.bpmn", "<!doctype definitions>" + BPMN_BODY.replace("&x;", "x"), "utf-8"),
    ],
)
def test_dtds_and_entities_are_refused_before_pm4py(tmp_path, name, text, encoding):
    path = _hostile(tmp_path, name, text, encoding)
    with pytest.raises(HostileInputError, match="refused"):
        read_process_model(path)


def test_foreign_missing_and_oversized_files_are_refused(tmp_path):
    with pytest.raises(InputError, match="no such model file"):
        read_process_model(tmp_path / "absent.bpmn")
    foreign = _hostile(tmp_path, "log.xes", "<log><trace/></log>")
    with pytest.raises(InputError, match="root element is <log>"):
        read_process_model(foreign)
    broken = _hostile(tmp_path, "broken.bpmn", "<definitions><process>")
    with pytest.raises(InputError, match="not well-formed"):
        read_process_model(broken)
    big = _hostile(tmp_path, "big.pnml", "<pnml>" + " " * 2048 + "</pnml>")
    with pytest.raises(InputError, match="limit"):
        read_process_model(big, max_bytes=1024)
    assert DEFAULT_MAX_MODEL_FILE_BYTES >= 1024**2


def test_unreadable_bpmn_content_gives_a_clear_message(tmp_path):
    path = _hostile(
        tmp_path,
        "empty.bpmn",
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p"/>'
        "</definitions>",
    )
    with pytest.raises(InputError, match=r"empty\.bpmn"):
        read_process_model(path)
