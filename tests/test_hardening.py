"""Hostile and careless input: each test reproduces a way ingest or the CLI used to break."""

from __future__ import annotations

import gzip
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from mining import store
from mining.errors import InputError
from mining.ingest import IngestOptions, ingest_file
from servflow.cli import main

REPO = Path(__file__).resolve().parents[1]
KEY_A = "a-secret-key-of-20-chars"
KEY_B = "another-secret-key-1234"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def table_counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in ("logs", "loads", "events", "cases", "log_pseudonymization")
        }
    finally:
        con.close()


# --- crashes and silent damage --------------------------------------------------------------


def test_ten_thousand_columns_load_and_wider_files_are_refused(tmp_path):
    n = 10_000
    wide = tmp_path / "wide.csv"
    with open(wide, "w", encoding="utf-8") as fh:
        fh.write("case,activity,time,team," + ",".join(f"c{i}" for i in range(n - 4)) + "\n")
        for r in range(3):
            # even columns constant within the case, odd ones vary, every 7th is 'NA'
            values = ("NA" if i % 7 == 0 else str(i * r if i % 2 else i) for i in range(n - 4))
            fh.write(f"1,A{r},2024-01-01 0{r}:00,?," + ",".join(values) + "\n")
    started = time.perf_counter()
    with store.connect(tmp_path / "w.duckdb") as con:
        result = ingest_file(con, wide, IngestOptions(fail_on=None))
        case_keys, event_keys, c1, c7 = con.execute(
            "SELECT (SELECT length(json_keys(attributes)) FROM cases), "
            "length(json_keys(any_value(attributes))), any_value(attributes ->> 'c1'), "
            "(SELECT attributes ->> 'c7' FROM cases) FROM events"
        ).fetchone()
    elapsed = time.perf_counter() - started
    assert result.events_added == 3 and elapsed < 120  # minutes and a crash before
    odd = sum(1 for i in range(n - 4) if i % 2 and i % 7)
    assert event_keys == odd and case_keys == n - 4 - odd
    assert c1 == "0" and c7 is None  # 'NA' read as missing
    placeholders = next(f for f in result.findings if f.code == "placeholder_values")
    assert placeholders.affected == 3 + 3 * len(range(0, n - 4, 7))

    too_wide = write(tmp_path / "too_wide.csv", ",".join(f"c{i}" for i in range(20_000)) + "\n")
    with store.connect(tmp_path / "w.duckdb") as con, pytest.raises(InputError) as info:
        ingest_file(con, too_wide)
    assert "20,000 columns" in str(info.value) and "at most 16,384" in str(info.value)


def test_json_lines_are_flattened_read_as_text_and_type_mixtures_reported(tmp_path, db_path):
    nested = write(
        tmp_path / "nested.jsonl",
        '{"case": {"id": "C1", "channel": "APP"}, "activity": "A", "time": "2024-01-01T08:00"}\n'
        '{"case": {"id": "C1", "channel": "APP"}, "activity": "B", "time": "2024-01-01T09:00"}\n'
        '{"case": {"id": "C2", "channel": "web"}, "activity": "A", "time": "2024-01-01T10:00"}\n',
    )
    mixed = write(
        tmp_path / "mixed.jsonl",
        '{"case": 1, "activity": "A", "time": "2024-01-01T08:00", "prio": 1}\n'
        '{"case": "1", "activity": "B", "time": "2024-01-01T09:00", "prio": "high"}\n'
        '{"case": 1.0, "activity": "C", "time": "2024-01-01T10:00", "prio": [1, 2]}\n',
    )
    with store.connect(db_path) as con:
        first = ingest_file(con, nested, IngestOptions(log_name="nested"))
        second = ingest_file(con, mixed, IngestOptions(log_name="mixed", fail_on=None))
        cases = con.execute(
            "SELECT g.name, c.case_id, c.attributes ->> 'case.channel' FROM cases c "
            "JOIN logs g USING (log_id) ORDER BY 1, 2"
        ).fetchall()
        labels = con.execute("SELECT name FROM activities ORDER BY log_id, name").fetchall()
    assert first.mapping["case"] == "case.id"  # the flattened name is recognised
    assert cases == [
        ("mixed", "1", None),
        ("mixed", "1.0", None),
        ("nested", "C1", "APP"),
        ("nested", "C2", "web"),
    ]
    assert [n for (n,) in labels] == ["A", "B", "A", "B", "C"]  # no quotes kept
    mixtures = [f.message for f in second.findings if f.code == "mixed_value_types"]
    assert any("'case'" in m and "number (first at record 1)" in m for m in mixtures)
    assert any("'prio'" in m and "array" in m for m in mixtures)

    clash = write(tmp_path / "clash.jsonl", '{"a": {"b": 1}, "a.b": 2, "case": "x"}\n')
    not_object = write(tmp_path / "list.jsonl", '{"case": "x"}\n[1, 2]\n')
    with store.connect(db_path) as con:
        with pytest.raises(InputError, match=r"column 'a\.b' twice"):
            ingest_file(con, clash)
        with pytest.raises(InputError, match="record 2 is not a JSON object"):
            ingest_file(con, not_object)


def test_pseudonymized_log_refuses_loads_with_another_key_or_raw_ids(
    tmp_path, db_path, monkeypatch
):
    a = write(tmp_path / "a.csv", "case,activity,time\nC1,受理,2024-01-01 08:00\n")
    b = write(
        tmp_path / "b.csv",
        "case,activity,time\nC1,受理,2024-01-01 08:00\nC1,结束,2024-01-02 09:00\n",
    )
    pseudo = IngestOptions(log_name="p", pseudonymize=True)
    monkeypatch.setenv("SERVFLOW_PSEUDONYM_KEY", KEY_A)
    with store.connect(db_path) as con:
        ingest_file(con, a, pseudo)
    before = table_counts(db_path)
    assert before["log_pseudonymization"] == 1
    monkeypatch.setenv("SERVFLOW_PSEUDONYM_KEY", KEY_B)
    with store.connect(db_path) as con:
        with pytest.raises(InputError, match="pseudonymized with another key"):
            ingest_file(con, b, pseudo)
        with pytest.raises(InputError, match=r"is pseudonymized .* and this load is not"):
            ingest_file(con, b, IngestOptions(log_name="p"))
        ingest_file(con, a, IngestOptions(log_name="raw"))
        with pytest.raises(InputError, match="holds raw ids"):
            ingest_file(con, b, IngestOptions(log_name="raw", pseudonymize=True))
    assert table_counts(db_path)["events"] == before["events"] + 1  # only the raw log's event
    monkeypatch.setenv("SERVFLOW_PSEUDONYM_KEY", KEY_A)
    with store.connect(db_path) as con:
        result = ingest_file(con, b, pseudo)
        ids = con.execute("SELECT case_id FROM cases JOIN logs USING (log_id) WHERE name = 'p'")
        assert result.cases_added == 0 and [r[0][0] for r in ids.fetchall()] == ["p"]


def test_identifiers_and_names_inside_labels_are_reported(tmp_path, db_path):
    rows = ["case,activity,time"]
    for i, name in enumerate(["张三", "李四", "王五"]):
        rows += [f"C{i},受理,2024-01-0{i + 1} 08:00", f"C{i},处理 {name},2024-01-0{i + 1} 09:00"]
        rows.append(f"C{i},处理,2024-01-0{i + 1} 09:30")
    rows.append("C9,受理 GD00000002 张三,2024-01-05 08:00")
    path = write(tmp_path / "labels.csv", "\n".join(rows) + "\n")
    with store.connect(db_path) as con:
        result = ingest_file(con, path, IngestOptions(fail_on=None))
    finding = next(f for f in result.findings if f.code == "identifiers_in_labels")
    flagged = {e["label"]: e for e in finding.examples}
    assert set(flagged) == {"处理 张三", "处理 李四", "处理 王五", "受理 GD00000002 张三"}
    assert flagged["受理 GD00000002 张三"]["identifiers"] == ["GD00000002"]


def test_placeholders_are_missing_in_resource_team_and_attributes_not_case_ids(tmp_path, db_path):
    path = write(
        tmp_path / "ph.csv",
        "case,activity,time,resource,team,channel\n"
        "NA,A,2024-01-01 08:00,?,?,APP\n"
        "NA,B,2024-01-01 09:00,ann,N/A,NA\n"
        "C2,A,2024-01-01 10:00,-,NULL,web\n",
    )
    with store.connect(db_path) as con:
        result = ingest_file(con, path, IngestOptions(log_name="ph"))
        teams = con.execute("SELECT name FROM teams").fetchall()
        resources = con.execute("SELECT name FROM resources").fetchall()
        cases = con.execute("SELECT case_id FROM cases ORDER BY 1").fetchall()
        channels = con.execute(
            "SELECT attributes ->> 'channel' FROM events ORDER BY source_row"
        ).fetchall()
        assert cases == [("C2",), ("NA",)]  # a case id is kept as written
        assert channels == [("APP",), (None,), ("web",)]
        kept = ingest_file(con, path, IngestOptions(log_name="kept", missing_values=()))
        kept_teams = con.execute(
            "SELECT count(*) FROM teams JOIN logs USING (log_id) WHERE logs.name = 'kept'"
        ).fetchone()
    assert teams == [] and resources == [("ann",)]
    finding = next(f for f in result.findings if f.code == "placeholder_values")
    by_column = {e["column"]: e for e in finding.examples}
    assert by_column["team"]["count"] == 3 and by_column["resource"]["count"] == 2
    assert by_column["channel"]["values"] == ["NA"] and finding.severity == "warning"
    assert kept_teams == (3,) and not any(f.code == "placeholder_values" for f in kept.findings)


# --- exit codes and unsafe output -------------------------------------------------------------


def test_binary_and_damaged_files_exit_2_with_a_clear_message(tmp_path, capsys):
    noise = os.urandom(20_000)
    files = {
        "noise.csv": noise,
        "noise.csv.gz": gzip.compress(noise),
        "fake.csv.gz": b"\x1f\x8b" + noise,
        "truncated.csv.gz": gzip.compress(b"case,activity,time\n" + b"1,A,2024-01-01\n" * 5000)[
            :200
        ],
    }
    db = tmp_path / "db.duckdb"
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        code, _, err = run_cli(capsys, "ingest", str(tmp_path / name), "--db", str(db), "--quiet")
        assert code == 2, (name, err)
        assert name in err and "internal error" not in err
        assert "not a text (CSV) file" in err or "damaged gzip data" in err


def _wait_for(proc: subprocess.Popen[str], marker: str) -> str:
    seen = ""
    assert proc.stderr is not None
    for line in proc.stderr:
        seen += line
        if marker in line:
            return seen
    raise AssertionError(f"{marker!r} never appeared: {seen}")


def test_ctrl_c_during_ingest_and_mine_exits_130_and_stores_nothing(tmp_path):
    from servflow.samplegen import generate_log

    log = generate_log(tmp_path / "t.csv", events=150_000, seed=5).log_path
    db = tmp_path / "t.duckdb"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "servflow.cli"]

    proc = subprocess.Popen(
        [*command, "ingest", str(log), "--db", str(db), "--log", "t"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    _wait_for(proc, "parsing timestamps")
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, err
    assert "interrupted; nothing of the unfinished step was stored" in err
    assert "internal error" not in err
    assert table_counts(db)["events"] == 0 and table_counts(db)["loads"] == 0

    done = subprocess.run(
        [*command, "ingest", str(log), "--db", str(db), "--log", "t", "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    proc = subprocess.Popen(
        [*command, "mine", "t", "--db", str(db)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    _wait_for(proc, "mining t:")
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, err
    assert "interrupted; nothing of the unfinished step was stored" in err
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM mining_runs").fetchone() == (0,)
    con.close()


HOSTILE = "\x1b[31mRED\x1b]0;title\x07\x1b[2J"


def test_control_characters_are_escaped_in_every_text_output(tmp_path, capsys):
    path = tmp_path / "ctl.csv"
    path.write_text(
        "case,activity,time,team\n"
        + "".join(
            f'{c},"{HOSTILE}",2024-01-0{d} 08:00,"T\x1b[2J"\n'
            f'{c},"two\nforged line",2024-01-0{d} 09:00,"T\x1b[2J"\n'
            f'{c},"{HOSTILE}",2024-01-0{d} 10:00,"\u202eU"\n'
            for c, d in (("A", 1), ("B", 2), ("C", 3))
        ),
        encoding="utf-8",
    )
    db, log = str(tmp_path / "c.duckdb"), f"log{HOSTILE}"
    outputs = [
        run_cli(capsys, "ingest", str(path), "--db", db, "--log", log, "--fail-on", "never"),
        run_cli(capsys, "logs", "--db", db),
        run_cli(capsys, "quality", log, "--db", db),
        run_cli(capsys, "mine", log, "--db", db),
        run_cli(capsys, "report", log, "--db", db),
        run_cli(capsys, "candidates", log, "--db", db),
        run_cli(capsys, "mine", f"nolog{HOSTILE}", "--db", db),
        run_cli(capsys, "mine", log, "--db", db, f"--sla={HOSTILE}"),
    ]
    assert [code for code, _, _ in outputs] == [0, 0, 0, 0, 0, 0, 2, 2]
    text = "".join(out + err for _, out, err in outputs)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", text)
    assert "\\x1b[31mRED" in text and "two\\nforged line" in text
    assert not any(line.startswith("forged line") for line in text.splitlines())


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("SERVFLOW_THREADS", "abc", "SERVFLOW_THREADS='abc' is not a whole number"),
        ("SERVFLOW_THREADS", "0", "SERVFLOW_THREADS='0'"),
        ("SERVFLOW_MEMORY_LIMIT", "bogus", "SERVFLOW_MEMORY_LIMIT='bogus' is not a memory size"),
        ("SERVFLOW_PSEUDONYM_KEY", "short", "SERVFLOW_PSEUDONYM_KEY is 5 characters long"),
    ],
)
def test_bad_settings_are_refused_up_front_by_name(
    tmp_path, capsys, monkeypatch, name, value, expected
):
    monkeypatch.setenv(name, value)
    db = tmp_path / "new.duckdb"
    path = write(tmp_path / "a.csv", "case,activity,time\n1,A,2024-01-01 08:00\n")
    code, _, err = run_cli(capsys, "ingest", str(path), "--db", str(db))
    assert code == 2 and expected in err and "internal error" not in err
    assert not db.exists()


def test_empty_memory_limit_keeps_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv("SERVFLOW_MEMORY_LIMIT", "")
    with store.connect(tmp_path / "m.duckdb") as con:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert limit == ("2.7 GiB",)  # 3GB


@pytest.mark.parametrize("command", [["logs"], ["quality", "x"], ["report", "x"], ["mine", "x"]])
def test_commands_on_a_missing_database_create_nothing(tmp_path, capsys, command):
    db = tmp_path / "missing-folder" / "typo.duckdb"
    code, _, err = run_cli(capsys, *command, "--db", str(db))
    assert code == 2 and "no such database" in err and str(db) in err
    assert not db.parent.exists()


# --- messages --------------------------------------------------------------------------------


def test_quality_gate_stop_shows_the_first_rejected_rows(tmp_path, capsys):
    path = write(
        tmp_path / "gate.csv",
        "case,activity,time\n1,A,2024-01-01 08:00\n1,B,garbage\n2,,2024-01-01 09:00\n",
    )
    db = str(tmp_path / "g.duckdb")
    code, out, err = run_cli(capsys, "ingest", str(path), "--db", db, "--quiet")
    assert code == 2
    assert "First rejected rows: row 2: unreadable timestamp 'garbage' in column time" in err
    assert "row 3: missing activity in column activity" in err
    code, out, err = run_cli(capsys, "ingest", str(path), "--db", db, "--json")
    [outcome] = json.loads(out)
    assert code == 2 and outcome["status"] == "failed"
    assert [r["row"] for r in outcome["rejected_rows"]] == [2, 3]
    assert outcome["findings"][0]["code"] == "rejected_rows"
    assert table_counts(Path(db))["loads"] == 0


def test_multi_file_ingest_reports_each_outcome(tmp_path, capsys):
    a = write(tmp_path / "a.csv", "case,activity,time\n1,A,2024-01-01 08:00\n")
    b = write(tmp_path / "b.csv", "x,y\n1,2\n")
    c = write(tmp_path / "c.csv", "case,activity,time\n3,A,2024-01-01 08:00\n")
    db = str(tmp_path / "m.duckdb")
    code, out, _ = run_cli(capsys, "ingest", str(a), str(b), str(c), "--db", db, "--quiet")
    assert code == 2
    lines = out.splitlines()
    assert lines[0].startswith(f"{a} -> log 'a' (load 1)")
    assert lines[1].startswith(f"{b}: failed, nothing of it stored: {b}: cannot tell which column")
    assert lines[2].startswith(f"{c}: not attempted")
    assert lines[3] == "1 file(s) stored, 0 already loaded, 1 failed, 1 not attempted."
    code, out, _ = run_cli(capsys, "ingest", str(a), str(b), str(c), "--db", db, "--json")
    statuses = [o["status"] for o in json.loads(out)]
    assert code == 2 and statuses == ["already_loaded", "failed", "not_attempted"]


def test_decompression_cap_names_the_cli_option(tmp_path, capsys):
    xes = tmp_path / "big.xes.gz"
    events = "".join(
        f'<event><string key="concept:name" value="A{i}"/>'
        f'<date key="time:timestamp" value="2024-01-01T08:00:00"/></event>'
        for i in range(200)
    )
    xes.write_bytes(
        gzip.compress(
            f'<log><trace><string key="concept:name" value="t"/>{events}</trace></log>'.encode()
        )
    )
    db = str(tmp_path / "x.duckdb")
    code, _, err = run_cli(capsys, "ingest", str(xes), "--db", db, "--max-xes-bytes", "1000")
    assert code == 2 and "--max-xes-bytes" in err
    code, _, err = run_cli(capsys, "ingest", str(xes), "--db", db, "--max-xes-bytes", "10000000")
    assert code == 0, err


def test_tests_use_the_bundled_help_desk_log_without_shared_logs(tmp_path, monkeypatch):
    from conftest import real_log

    monkeypatch.setenv("SERVFLOW_SHARED_LOGS", str(tmp_path))
    assert real_log("helpdesk") == REPO / "sample_logs" / "helpdesk.csv"


# --- README examples -------------------------------------------------------------------------


def _bash_commands(markdown: str) -> list[str]:
    """Each command of the markdown's bash blocks: continuation lines joined, comments dropped."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", markdown, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def test_every_documented_servflow_command_runs(tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = _bash_commands(readme)
    # the dashboard is a server: its tests serve it and check it in a headless browser
    servflow = [
        c for c in commands if c.startswith("servflow ") and not c.startswith("servflow dashboard")
    ]
    # the other documented commands are the set-up scripts and Airflow, run by CI and the DAG tests
    others = [c for c in commands if not c.startswith("servflow ")]
    assert all(re.match(r"(bash scripts/|airflow |export |mkdir |cp )", c) for c in others), others
    assert len(servflow) >= 6
    shutil.copy(REPO / "sample_logs" / "telecom_tickets.csv", tmp_path / "export.csv")
    env = {**os.environ, "PYTHONPATH": str(REPO), "SERVFLOW_DB": str(tmp_path / "sf.duckdb")}
    for command in servflow:
        # `[--json]` marks an optional flag: the command runs without it and with it
        optional = re.findall(r"\[([^\]]+)\]", command)
        plain = re.sub(r"\s*\[[^\]]+\]", "", command)
        variants = [plain] + [f"{plain} {flag}" for flag in optional]
        for variant in variants:
            done = subprocess.run(
                [sys.executable, "-m", "servflow.cli", *shlex.split(variant)[1:]],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                env=env,
                timeout=600,
            )
            assert done.returncode == 0, (variant, done.stderr)
            if variant.startswith("servflow report") and "--json" in variant:
                assert json.loads(done.stdout)["cases"] > 0
    assert (tmp_path / "generated.parquet").exists()

    # the Python API example
    python_blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    (tmp_path / "sample_logs").symlink_to(REPO / "sample_logs")
    for block in python_blocks:
        done = subprocess.run(
            [sys.executable, "-c", block + "\nprint(report['cases'])"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**env, "SERVFLOW_DB": ""},
            timeout=600,
        )
        assert done.returncode == 0 and int(done.stdout.split()[-1]) > 0, done.stderr


def test_parquet_structs_are_flattened_like_json(tmp_path, db_path):
    path = tmp_path / "nested.parquet"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT {'id': 'C' || (i % 2), 'meta': {'channel': 'APP', 'n': i}} AS \"case\", "
        "'A' || i AS activity, TIMESTAMP '2024-01-01' + to_hours(i) AS time, [1, i] AS tags "
        f"FROM range(4) t(i)) TO '{path}'"
    )
    con.close()
    with store.connect(db_path) as db:
        result = ingest_file(db, path, IngestOptions(fail_on=None))
        cases = db.execute("SELECT case_id, attributes ->> 'case.meta.channel' FROM cases")
        assert sorted(cases.fetchall()) == [("C0", "APP"), ("C1", "APP")]
        tags = db.execute("SELECT attributes ->> 'tags' FROM events ORDER BY source_row")
        assert [t for (t,) in tags.fetchall()] == ["[1,0]", "[1,1]", "[1,2]", "[1,3]"]
    assert result.mapping["case"] == "case.id"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["ingest", "{csv}", "--delimiter", "::"], "the delimiter must be one character"),
        (["ingest", "{csv}", "--encoding", "utf-16"], "cannot be read as utf-16 text"),
        (["ingest", "{csv}", "--max-xes-bytes", "-5"], "--max-xes-bytes"),
        (["mine", "x", "--top-variants", "0"], "--top-variants 0: give a number of 1"),
        (["mine", "x", "--idle-threshold", "-3"], "--idle-threshold -3.0: give a number of 0"),
    ],
)
def test_bad_options_exit_2_naming_the_option(tmp_path, capsys, args, expected):
    csv_path = write(tmp_path / "a.csv", "case,activity,time\n1,A,2024-01-01 08:00\n")
    argv = [a.replace("{csv}", str(csv_path)) for a in args] + ["--db", str(tmp_path / "d.duckdb")]
    try:
        code = main(argv)
    except SystemExit as exiting:  # argparse refuses the value itself
        code = int(exiting.code or 0)
    err = capsys.readouterr().err
    assert code == 2 and expected in err and "internal error" not in err
