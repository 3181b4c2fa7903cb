"""Ingest: real logs load with their published counts; every input problem is reported
clearly and leaves the database as it was; loads are atomic, idempotent and incremental."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from mining import store
from mining.errors import HostileInputError, InputError, QualityGateError
from mining.ingest import IngestOptions, ingest_file
from servflow.cli import main

REPO = Path(__file__).resolve().parents[1]


def counts(db: Path, log: str) -> tuple[int, int]:
    with store.connect(db, read_only=True) as con:
        row = store.one(
            con,
            "SELECT count(*), coalesce(sum(n_events), 0) FROM cases c JOIN logs l USING (log_id) "
            "WHERE l.name = ?",
            [log],
        )
    assert row is not None
    return int(row[0]), int(row[1])


def table_checksums(db: Path) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent content hash of every stored table."""
    result = {}
    with store.connect(db, read_only=True) as con:
        for (table,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' ORDER BY table_name"
        ).fetchall():
            if table in ("loads",):
                row = store.one(con, f"SELECT count(*), 0 FROM {table}")
            else:
                row = store.one(
                    con, f"SELECT count(*), coalesce(sum(hash(t::VARCHAR)), 0) FROM {table} t"
                )
            assert row is not None
            result[table] = (int(row[0]), int(row[1]))
    return result


def event_tuples(db: Path, log: str) -> list[tuple[str, str, str, str | None]]:
    with store.connect(db, read_only=True) as con:
        rows = con.execute(
            """
            SELECT c.case_id, a.name, strftime(e.ts, '%Y-%m-%d %H:%M:%S'), r.name
            FROM events e
            JOIN logs l ON l.log_id = e.log_id AND l.name = ?
            JOIN cases c ON c.log_id = e.log_id AND c.case_no = e.case_no
            JOIN activities a ON a.log_id = e.log_id AND a.activity_id = e.activity_id
            LEFT JOIN resources r ON r.log_id = e.log_id AND r.resource_id = e.resource_id
            ORDER BY 1, 3, 2, 4
            """,
            [log],
        ).fetchall()
    return [tuple(r) for r in rows]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


SMALL = (
    "case,activity,timestamp,resource\n"
    "c1,受理,2024-03-01 08:00:00,张三\n"
    "c1,诊断,2024-03-01 09:30:00,李四\n"
    "c1,回访,2024-03-02 10:00:00,王五\n"
    "c2,受理,2024-03-01 11:00:00,张三\n"
    "c2,回访,2024-03-01 12:00:00,王五\n"
)


# --- real logs: the published counts ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cases", "events"),
    [
        ("helpdesk", 4_580, 21_348),
        ("helpdesk_xes", 4_580, 21_348),
        ("bpic2013_incidents", 7_554, 65_533),
        ("road_traffic_fines", 150_370, 561_470),
    ],
)
def test_real_logs_load_with_published_counts(real_log_path, db_path, name, cases, events):
    with store.connect(db_path) as con:
        result = ingest_file(con, real_log_path(name), IngestOptions(log_name=name))
    assert (result.rows_read, result.rows_rejected) == (events, 0)
    assert (result.cases_added, result.events_added) == (cases, events)
    assert counts(db_path, name) == (cases, events)


def test_helpdesk_csv_and_xes_give_the_same_events(real_log_path, db_path):
    with store.connect(db_path) as con:
        ingest_file(con, real_log_path("helpdesk"), IngestOptions(log_name="csv"))
        ingest_file(con, real_log_path("helpdesk_xes"), IngestOptions(log_name="xes"))
    csv_events = event_tuples(db_path, "csv")
    assert len(csv_events) == 21_348
    assert csv_events == event_tuples(db_path, "xes")


def test_helpdesk_duplicate_header_is_kept_and_reported(real_log_path, db_path):
    with store.connect(db_path) as con:
        result = ingest_file(con, real_log_path("helpdesk"), IngestOptions(log_name="h"))
        attributes = json.loads(
            store.one(con, "SELECT attributes FROM cases WHERE case_id = 'Case 1'")[0]  # type: ignore[index]
        )
    assert attributes["Variant"] == "Variant 12" and attributes["Variant_1"] == "Variant 12"
    notes = [f for f in result.findings if f.code == "duplicate_header"]
    assert notes and "'Variant'" in notes[0].message


def test_events_are_stored_in_case_and_time_order_with_successors(db_path, tmp_path):
    # rows deliberately out of order in the file
    path = write(
        tmp_path / "shuffled.csv",
        "case,activity,timestamp\nb,B2,2024-01-02 10:00\na,A2,2024-01-01 10:00\n"
        "b,B1,2024-01-02 09:00\na,A1,2024-01-01 09:00\na,A3,2024-01-01 09:00\n",
    )
    with store.connect(db_path) as con:
        ingest_file(con, path, IngestOptions(log_name="s"))
        rows = con.execute(
            "SELECT c.case_id, e.seq, a.name, n.name FROM events e "
            "JOIN cases c USING (log_id, case_no) "
            "JOIN activities a ON a.log_id = e.log_id AND a.activity_id = e.activity_id "
            "LEFT JOIN activities n ON n.log_id = e.log_id AND n.activity_id = e.next_activity_id "
            "ORDER BY c.case_id, e.seq"
        ).fetchall()
    # ties (A1 and A3 at 09:00) keep the file order: A1 (row 4) before A3 (row 5)
    assert rows == [
        ("a", 0, "A1", "A3"),
        ("a", 1, "A3", "A2"),
        ("a", 2, "A2", None),
        ("b", 0, "B1", "B2"),
        ("b", 1, "B2", None),
    ]


# --- formats and text ---------------------------------------------------------------------


def test_parquet_jsonl_and_csv_variants_load_the_same_log(db_path, tmp_path):
    frame = pd.read_csv(pd.io.common.StringIO(SMALL))
    frame.to_parquet(tmp_path / "log.parquet")
    frame.to_json(tmp_path / "log.jsonl", orient="records", lines=True, force_ascii=False)
    write(tmp_path / "semicolon.csv", SMALL.replace(",", ";"))
    write(tmp_path / "tab.tsv", SMALL.replace(",", "\t"))
    write(tmp_path / "bom.csv", "\ufeff" + SMALL)
    write(tmp_path / "gbk.csv", SMALL, encoding="gb18030")
    write(tmp_path / "utf16.csv", SMALL, encoding="utf-16")
    with gzip.open(tmp_path / "gz.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write(SMALL)
    names = [
        "log.parquet",
        "log.jsonl",
        "semicolon.csv",
        "tab.tsv",
        "bom.csv",
        "gbk.csv",
        "utf16.csv",
        "gz.csv.gz",
    ]
    with store.connect(db_path) as con:
        for name in names:
            result = ingest_file(con, tmp_path / name, IngestOptions(log_name=name))
            assert (result.events_added, result.cases_added, result.rows_rejected) == (5, 2, 0), (
                name
            )
    expected = event_tuples(db_path, "log.parquet")
    assert ("c1", "受理", "2024-03-01 08:00:00", "张三") in expected
    for name in names[1:]:
        assert event_tuples(db_path, name) == expected, name


def test_latin1_file_is_detected_and_decoded(db_path, tmp_path):
    path = write(
        tmp_path / "latin.csv",
        "case,activity,timestamp\n1,Réception,2024-01-01 08:00\n1,Clôture,2024-01-01 09:00\n",
        encoding="latin-1",
    )
    with store.connect(db_path) as con:
        ingest_file(con, path, IngestOptions(log_name="l"))
        names = sorted(r[0] for r in con.execute("SELECT name FROM activities").fetchall())
    assert names == ["Clôture", "Réception"]


def test_other_columns_become_case_or_event_attributes(db_path, tmp_path):
    path = write(
        tmp_path / "attrs.csv",
        "ticket_id,activity,timestamp,channel,note\n"
        "t1,A,2024-01-01 08:00,微信,first\nt1,B,2024-01-01 09:00,微信,second\n"
        "t2,A,2024-01-01 08:00,app,\n",
    )
    with store.connect(db_path) as con:
        ingest_file(con, path, IngestOptions(log_name="a"))
        case_attrs = dict(
            con.execute("SELECT case_id, attributes ->> 'channel' FROM cases").fetchall()
        )
        notes = [
            r[0]
            for r in con.execute(
                "SELECT attributes ->> 'note' FROM events ORDER BY case_no, seq"
            ).fetchall()
        ]
    assert case_attrs == {"t1": "微信", "t2": "app"}
    assert notes == ["first", "second", None]


# --- timestamps ---------------------------------------------------------------------------


def test_iso_offsets_are_converted_to_utc(db_path, tmp_path):
    path = write(
        tmp_path / "iso.csv",
        "case,activity,timestamp\n1,A,2024-01-01T10:00:00+08:00\n1,B,2024-01-01T03:30:00Z\n"
        "1,C,2024-01-01 04:00:00\n",
    )
    with store.connect(db_path) as con:
        ingest_file(con, path, IngestOptions(log_name="iso"))
        rows = con.execute("SELECT strftime(ts, '%H:%M') FROM events ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == ["02:00", "03:30", "04:00"]


def test_timezone_option_applies_to_naive_times(db_path, tmp_path):
    path = write(tmp_path / "naive.csv", "case,activity,timestamp\n1,A,2024-07-01 10:00:00\n")
    with store.connect(db_path) as con:
        ingest_file(con, path, IngestOptions(log_name="tz", timezone="Asia/Shanghai"))
        (ts,) = store.one(con, "SELECT strftime(ts, '%Y-%m-%d %H:%M') FROM events")  # type: ignore[misc]
    assert ts == "2024-07-01 02:00"


def test_ambiguous_day_month_is_refused_not_guessed(db_path, tmp_path):
    path = write(
        tmp_path / "ambiguous.csv",
        "case,activity,timestamp\n1,A,03/04/2024 10:00\n1,B,05/04/2024 11:00\n",
    )
    with store.connect(db_path) as con, pytest.raises(InputError) as err:
        ingest_file(con, path, IngestOptions(log_name="amb"))
    message = str(err.value)
    assert "ambiguous" in message and "--timestamp-format" in message and "timestamp" in message


def test_explicit_day_first_format_and_unambiguous_detection(db_path, tmp_path):
    ambiguous = write(
        tmp_path / "dayfirst.csv",
        "case,activity,timestamp\n1,A,03/04/2024 10:00\n1,B,05/04/2024 11:00\n",
    )
    decided = write(  # 25/04 can only be day-first
        tmp_path / "decided.csv",
        "case,activity,timestamp\n1,A,03/04/2024 10:00\n1,B,25/04/2024 11:00\n",
    )
    with store.connect(db_path) as con:
        ingest_file(con, ambiguous, IngestOptions(log_name="d", timestamp_format="%d/%m/%Y %H:%M"))
        ingest_file(con, decided, IngestOptions(log_name="e"))
        rows = con.execute(
            "SELECT l.name, strftime(e.ts, '%Y-%m-%d') FROM events e JOIN logs l USING (log_id) "
            "ORDER BY l.name, e.seq"
        ).fetchall()
    assert rows == [
        ("d", "2024-04-03"),
        ("d", "2024-04-05"),
        ("e", "2024-04-03"),
        ("e", "2024-04-25"),
    ]


def test_unreadable_and_missing_values_are_rejected_with_row_numbers(db_path, tmp_path):
    lines = ["case,activity,timestamp"] + [f"c{i},A,2024-01-01 10:{i:02d}" for i in range(40)]
    lines[5] = "c4,A,not a date"
    lines[9] = ",A,2024-01-01 11:00"
    lines[12] = "c11,,2024-01-01 11:00"
    path = write(tmp_path / "bad_rows.csv", "\n".join(lines) + "\n")
    with store.connect(db_path) as con:
        result = ingest_file(con, path, IngestOptions(log_name="r"))
        stored = con.execute("SELECT source_row, reason FROM rejected_rows ORDER BY 1").fetchall()
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (40, 37, 3)
    assert [r[0] for r in stored] == [5, 9, 12]
    assert "unreadable timestamp 'not a date'" in stored[0][1]
    assert "missing case id" in stored[1][1] and "missing activity" in stored[2][1]
    finding = next(f for f in result.findings if f.code == "rejected_rows")
    assert finding.severity == "warning" and finding.affected == 3


# --- data quality -------------------------------------------------------------------------


def test_quality_patterns_are_detected(db_path, tmp_path):
    rows = [
        "case,activity,timestamp,start_timestamp",
        "1,Open ticket,2024-01-01 08:00,",
        "1,Open ticket,2024-01-01 08:00,",  # collateral (exact duplicate)
        "1,Check 1001,2024-01-01 09:00,",  # polluted labels
        "1,Check 1002,2024-01-01 09:00,",  # same timestamp (form-based)
        "1,Check 1003,2024-01-01 10:00,",
        "1,close ticket,2024-01-01 11:00,",  # synonym of "Close ticket"
        "2,Open ticket,1900-01-01 08:00,",  # implausible
        "2,Close ticket,2024-01-02 08:00,2024-01-02 09:00",  # start after complete
        "3,Open ticket,2024-01-05 08:00,",
        "3,Close ticket,2024-01-04 08:00,",  # before the case's first recorded event
    ]
    path = write(tmp_path / "dirty.csv", "\n".join(rows) + "\n")
    with store.connect(db_path) as con:
        result = ingest_file(con, path, IngestOptions(log_name="q", fail_on=None))
        stored = {r[0] for r in con.execute("SELECT code FROM quality_findings").fetchall()}
    found = {f.code: f for f in result.findings}
    assert found["collateral_events"].affected == 1
    assert found["form_based_capture"].affected == 4  # two pairs of events
    assert found["polluted_labels"].affected == 3
    assert any(
        set(e["labels"]) == {"Close ticket", "close ticket"}
        for e in found["synonymous_labels"].examples
    )
    assert found["implausible_timestamps"].affected == 1
    assert found["start_after_complete"].affected == 1
    assert found["before_case_start"].affected == 1
    assert found["collateral_events"].examples[0]["rows"] == [1, 2]
    assert set(found) == stored


def test_quality_gate_stops_the_load_and_stores_nothing(db_path, tmp_path):
    path = write(
        tmp_path / "gate.csv",
        "case,activity,timestamp\n1,A,2024-01-01 08:00\n1,A,2024-01-01 08:00\n",
    )
    with store.connect(db_path) as con:
        ingest_file(con, write(tmp_path / "ok.csv", SMALL), IngestOptions(log_name="ok"))
    before = table_checksums(db_path)
    with store.connect(db_path) as con, pytest.raises(QualityGateError) as err:
        ingest_file(con, path, IngestOptions(log_name="gate", fail_on="warning"))
    assert "gate.csv" in str(err.value) and "exact copies" in str(err.value)
    assert "--fail-on" in str(err.value)
    assert table_checksums(db_path) == before


# --- atomic, idempotent, incremental ------------------------------------------------------


def test_loading_the_same_file_twice_adds_nothing(db_path, tmp_path):
    path = write(tmp_path / "once.csv", SMALL)
    copy = write(tmp_path / "copy.csv", SMALL)
    with store.connect(db_path) as con:
        first = ingest_file(con, path, IngestOptions(log_name="x"))
        second = ingest_file(con, path, IngestOptions(log_name="x"))
        third = ingest_file(con, copy, IngestOptions(log_name="x"))  # same content, new name
    assert first.events_added == 5 and second.already_loaded and second.events_added == 0
    assert (third.already_loaded, third.events_added, third.events_already_stored) == (True, 0, 0)
    assert counts(db_path, "x") == (2, 5)


def test_overlapping_exports_add_only_new_events(real_log_path, db_path, tmp_path):
    frame = pd.read_csv(real_log_path("helpdesk"), dtype=str)
    frame.columns = [c if i != 6 else "Variant.1" for i, c in enumerate(frame.columns)]
    cut_a, cut_b = int(len(frame) * 0.6), int(len(frame) * 0.4)
    frame.iloc[:cut_a].to_csv(tmp_path / "export1.csv", index=False)
    frame.iloc[cut_b:].to_csv(tmp_path / "export2.csv", index=False)
    frame.to_csv(tmp_path / "full.csv", index=False)
    incremental, full = tmp_path / "inc.duckdb", tmp_path / "full.duckdb"
    with store.connect(incremental) as con:
        one = ingest_file(con, tmp_path / "export1.csv", IngestOptions(log_name="h"))
        two = ingest_file(con, tmp_path / "export2.csv", IngestOptions(log_name="h"))
    with store.connect(full) as con:
        ingest_file(con, tmp_path / "full.csv", IngestOptions(log_name="h"))
    assert one.events_added == cut_a
    assert two.events_already_stored == cut_a - cut_b
    assert two.events_added == len(frame) - cut_a
    assert counts(incremental, "h") == counts(full, "h") == (4_580, 21_348)
    assert event_tuples(incremental, "h") == event_tuples(full, "h")
    with store.connect(incremental, read_only=True) as a, store.connect(full, read_only=True) as b:
        query = (
            "SELECT c.case_id, list(e.activity_id ORDER BY e.seq), list(e.next_activity_id ORDER BY e.seq) "
            "FROM events e JOIN cases c USING (log_id, case_no) GROUP BY 1 ORDER BY 1"
        )
        assert a.execute(query).fetchall() == b.execute(query).fetchall()


def test_killed_load_leaves_the_database_as_it_was_and_a_retry_completes(real_log_path, tmp_path):
    db = tmp_path / "kill.duckdb"
    assert (
        main(
            [
                "ingest",
                str(REPO / "sample_logs" / "helpdesk.csv"),
                "--db",
                str(db),
                "--log",
                "base",
                "--quiet",
            ]
        )
        == 0
    )
    before = table_checksums(db)
    command = [
        sys.executable,
        "-m",
        "servflow.cli",
        "ingest",
        str(real_log_path("road_traffic_fines")),
        "--db",
        str(db),
        "--log",
        "fines",
    ]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert proc.stderr is not None
    for line in proc.stderr:
        if "storing events" in line:
            time.sleep(0.3)  # inside the transaction
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert table_checksums(db) == before
    retry = subprocess.run([*command, "--quiet"], capture_output=True, text=True, cwd=tmp_path)
    assert retry.returncode == 0, retry.stderr
    assert counts(db, "fines") == (150_370, 561_470)
    assert counts(db, "base") == (4_580, 21_348)


# --- pseudonymization ---------------------------------------------------------------------


def test_pseudonymization_is_keyed_and_stable(db_path, tmp_path, monkeypatch):
    text = (
        "case,activity,timestamp,resource,customer_id\n"
        "TK-1,A,2024-01-01 08:00,agent007,13800138000\nTK-1,B,2024-01-01 09:00,agent008,13800138000\n"
        "TK-1,X,not a date,agent007,13800138000\n"  # rejected rows are stored pseudonymized too
    )
    first = write(tmp_path / "p1.csv", text)
    second = write(tmp_path / "p2.csv", text + "TK-1,C,2024-01-01 10:00,agent007,13800138000\n")
    monkeypatch.setenv("SERVFLOW_PSEUDONYM_KEY", "k" * 32)
    with store.connect(db_path) as con:
        ingest_file(con, first, IngestOptions(log_name="p", pseudonymize=True, fail_on=None))
        added = ingest_file(
            con, second, IngestOptions(log_name="p", pseudonymize=True, fail_on=None)
        )
        cases = con.execute("SELECT case_id, attributes ->> 'customer_id' FROM cases").fetchall()
        resources = sorted(r[0] for r in con.execute("SELECT name FROM resources").fetchall())
        stored_text = con.execute(
            "SELECT string_agg(x, ' ') FROM (SELECT raw::VARCHAR AS x FROM rejected_rows "
            "UNION ALL SELECT case_id || attributes::VARCHAR FROM cases "
            "UNION ALL SELECT coalesce(attributes::VARCHAR, '') FROM events "
            "UNION ALL SELECT name FROM resources)"
        ).fetchall()[0][0]
    assert added.events_added == 1 and len(cases) == 1  # same pseudonym across loads
    assert added.rows_rejected == 1
    case_id, customer = cases[0]
    assert case_id.startswith("p") and case_id != "TK-1" and customer not in ("13800138000", None)
    assert all(r.startswith("p") and "agent" not in r for r in resources)
    for secret in ("TK-1", "agent007", "13800138000"):
        assert secret not in stored_text
    raw = db_path.read_bytes()
    for secret in (b"TK-1", b"agent007", b"13800138000"):
        assert secret not in raw
    monkeypatch.setenv("SERVFLOW_PSEUDONYM_KEY", "other-key-" * 3)
    with store.connect(tmp_path / "other.duckdb") as con:
        ingest_file(con, first, IngestOptions(log_name="p", pseudonymize=True, fail_on=None))
        other = store.one(con, "SELECT case_id FROM cases")
    assert other is not None and other[0] != case_id


def test_pseudonymization_without_key_is_refused(db_path, tmp_path, monkeypatch):
    monkeypatch.delenv("SERVFLOW_PSEUDONYM_KEY", raising=False)
    with store.connect(db_path) as con, pytest.raises(InputError, match="SERVFLOW_PSEUDONYM_KEY"):
        ingest_file(con, write(tmp_path / "p.csv", SMALL), IngestOptions(pseudonymize=True))


# --- bad input through the CLI: exit 2, clear message, nothing touched --------------------


HOSTILE_XES = """<?xml version="1.0"?>
<!DOCTYPE log [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<log><trace><string key="concept:name" value="&xxe;"/>
<event><string key="concept:name" value="A"/><date key="time:timestamp" value="2024-01-01T00:00:00Z"/></event>
</trace></log>
"""


@pytest.mark.parametrize(
    ("name", "content", "extra", "expected"),
    [
        ("missing.csv", None, [], "no such file"),
        ("columns.csv", SMALL, ["--case", "ticket"], "no column 'ticket'"),
        ("nomap.csv", "a,b,c\n1,2,3\n", [], "cannot tell which column"),
        ("header_only.csv", "case,activity,timestamp\n", [], "no events"),
        ("empty.csv", "", [], "empty"),
        ("garbage.parquet", "this is not parquet", [], "cannot be read as PARQUET"),
        ("hostile.xes", HOSTILE_XES, [], "DTD"),
        ("dates.csv", "case,activity,timestamp\n1,A,yesterday\n", [], "--timestamp-format"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message_and_touches_nothing(
    tmp_path, capsys, name, content, extra, expected
):
    db = tmp_path / "db.duckdb"
    assert main(["ingest", str(write(tmp_path / "ok.csv", SMALL)), "--db", str(db), "--quiet"]) == 0
    before = table_checksums(db)
    capsys.readouterr()
    path = tmp_path / name
    if content is not None:
        write(path, content)
    code = main(["ingest", str(path), "--db", str(db), "--quiet", *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("servflow: error: ") and name in err and expected in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert table_checksums(db) == before
    assert "root:" not in err  # /etc/passwd never read into the message


def test_hostile_xes_is_refused_by_the_reader(tmp_path, db_path):
    path = write(
        tmp_path / "bomb.xes",
        HOSTILE_XES.replace(
            '<!ENTITY xxe SYSTEM "file:///etc/passwd">',
            '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">',
        ),
    )
    with store.connect(db_path) as con, pytest.raises(HostileInputError):
        ingest_file(con, path, IngestOptions())


def test_console_script_reports_and_lists(tmp_path):
    db = tmp_path / "cli.duckdb"
    env = {**os.environ, "SERVFLOW_DB": str(db)}
    servflow = Path(sys.executable).parent / "servflow"
    done = subprocess.run(
        [str(servflow), "ingest", str(write(tmp_path / "t.csv", SMALL)), "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    loads = json.loads(done.stdout)
    assert loads[0]["events_added"] == 5 and loads[0]["log_name"] == "t"
    listed = subprocess.run(
        [str(servflow), "logs", "--json"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    logs = json.loads(listed.stdout)
    assert [(x["name"], x["cases"], x["events"]) for x in logs] == [("t", 2, 5)]
    quality = subprocess.run(
        [str(servflow), "quality", "t", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    report = json.loads(quality.stdout)
    assert report["loads"][0]["rows_read"] == 5
    missing = subprocess.run(
        [str(servflow), "quality", "nope"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert missing.returncode == 2 and "No log named 'nope'" in missing.stderr
