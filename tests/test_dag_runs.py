"""End-to-end `dag.test()` runs of the servflow DAGs on the bundled helpdesk log.

Every run is a subprocess with its own AIRFLOW_HOME and SQLite metadata DB (see
`airflow_support`). The helpdesk log (4,580 cases, 21,348 events; sample_logs/README) is split
into two exports as a ticketing system would produce them: a first export of every event up
to 2012-06-01 and a later, cumulative export of all events, which overlaps the first.
"""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from airflow_support import (
    DagRunResult,
    db_fingerprint,
    new_airflow_home,
    run_dag,
)
from sftp_server import sftp_server
from smtp_server import smtp_server

from mining import store

pytestmark = pytest.mark.airflow

SAMPLE = Path(__file__).resolve().parents[1] / "sample_logs" / "helpdesk.csv"
HELPDESK_EVENTS = 21_348
HELPDESK_CASES = 4_580
CUT = "2012/06/01"  # the first export holds the events completed before this day

DAY_1 = "2024-03-01T02:00:00+00:00"  # logical date = data-interval end of an hourly run
DAY_2 = "2024-03-02T02:00:00+00:00"


@pytest.fixture
def airflow_home(airflow_template: Path, tmp_path: Path) -> Path:
    return new_airflow_home(airflow_template, tmp_path / "airflow")


def write_exports(folder: Path) -> tuple[Path, Path, int]:
    """The two helpdesk exports; returns their paths and the first one's event count."""
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    when = header.index("Complete Timestamp")
    early = [row for row in rows if row[when] < CUT]
    first, full = folder / "helpdesk_export_1.csv", folder / "helpdesk_export_2.csv"
    for path, part in ((first, early), (full, rows)):
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([header, *part])
    assert 0 < len(early) < len(rows)
    return first, full, len(early)


def arrived(path: Path, moment: str) -> None:
    """Give a file the modification time of its arrival in the inbox."""
    stamp = datetime.fromisoformat(moment).astimezone(UTC).timestamp()
    os.utime(path, (stamp, stamp))


def variable_env(data: Path, **config: object) -> dict[str, str]:
    """servflow configured through the Airflow Variable servflow_config (as an env variable)."""
    document = {
        "inbox": str(data / "inbox"),
        "database": str(data / "servflow.duckdb"),
        "snapshot": str(data / "snapshot.duckdb"),
        "reports": str(data / "reports"),
        "logs": [{"name": "helpdesk", "pattern": "helpdesk*.csv"}],
        **config,
    }
    return {"AIRFLOW_VAR_SERVFLOW_CONFIG": json.dumps(document)}


def counts(db_path: Path) -> dict[str, int]:
    with store.connect(db_path, read_only=True) as con:
        return {
            table: int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("loads", "events", "cases")
        }


def assert_state(result: DagRunResult, state: str, **task_states: str) -> None:
    tail = result.output[-4000:]
    assert result.state == state, tail
    for task_id, expected in task_states.items():
        assert result.task_states.get(task_id) == expected, (task_id, result.task_states, tail)


def test_rerun_is_idempotent_and_a_later_export_adds_only_new_events(
    airflow_home: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    inbox = data / "inbox"
    inbox.mkdir(parents=True)
    first, second, first_events = write_exports(inbox)
    arrived(first, "2024-03-01T01:30:00+00:00")
    arrived(second, "2024-03-02T01:30:00+00:00")  # lands after the first interval's end
    env = variable_env(data)
    db = data / "servflow.duckdb"

    day1 = run_dag(airflow_home, "servflow_ingest", DAY_1, env=env)
    assert_state(
        day1, "success", load_inbox="success", announce_new_events="success", quality_gate="success"
    )
    assert counts(db)["events"] == first_events
    assert not first.exists() and (inbox / "processed" / first.name).exists()
    assert second.exists()  # not yet: it arrived after this interval
    assert [e["extra"] for e in day1.asset_events] == [
        {"logs": {"helpdesk": {"files": 1, "events_added": first_events}}, "database": str(db)}
    ]
    after_day1 = db_fingerprint(db)

    again = run_dag(airflow_home, "servflow_ingest", DAY_1, env=env)
    assert_state(again, "success", load_inbox="success", announce_new_events="skipped")
    assert db_fingerprint(db) == after_day1
    assert len(again.asset_events) == 1  # no new asset event: nothing new to mine

    day2 = run_dag(airflow_home, "servflow_ingest", DAY_2, env=env)
    assert_state(day2, "success", announce_new_events="success")
    assert counts(db) == {"loads": 2, "events": HELPDESK_EVENTS, "cases": HELPDESK_CASES}
    assert day2.asset_events[-1]["extra"]["logs"] == {
        "helpdesk": {"files": 1, "events_added": HELPDESK_EVENTS - first_events}
    }
    with store.connect(db, read_only=True) as con:
        added = con.execute(
            "SELECT events_added, events_already_stored FROM loads ORDER BY load_id"
        )
        assert added.fetchall() == [
            (first_events, 0),
            (HELPDESK_EVENTS - first_events, first_events),
        ]
    manifest = [json.loads(line) for line in (data / "reports" / "processed_files.jsonl").open()]
    assert [m["file"] for m in manifest] == [first.name, second.name]


def test_malformed_file_fails_the_run_with_its_message_and_the_others_load(
    airflow_home: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    inbox = data / "inbox"
    inbox.mkdir(parents=True)
    broken = inbox / "helpdesk_broken.csv"
    broken.write_text("ticket;when\nT1;yesterday\n", encoding="utf-8")
    good = inbox / "helpdesk.csv"
    good.write_bytes(SAMPLE.read_bytes())
    strict = inbox / "strict_helpdesk.csv"  # the same log under a log that fails on warnings
    strict.write_bytes(SAMPLE.read_bytes())
    for path in (broken, good, strict):  # the broken file comes first
        arrived(path, "2024-03-01T01:30:00+00:00")
    config = data / "servflow.toml"  # configured through $SERVFLOW_CONFIG this time
    config.write_text(
        'inbox = "inbox"\n'
        'database = "servflow.duckdb"\n'
        'reports = "reports"\n'
        "[on_failure]\n"
        'email = ["ops@example.com"]\n'
        'from = "servflow@example.com"\n'
        "[[logs]]\n"
        'name = "helpdesk"\n'
        'pattern = "helpdesk*.csv"\n'
        'timestamp = "Complete Timestamp"\n'
        'timestamp_format = "%Y/%m/%d %H:%M:%S.%f"\n'
        "[[logs]]\n"
        'name = "strict"\n'
        'pattern = "strict_*.csv"\n'
        'fail_on = "warning"\n',
        encoding="utf-8",
    )

    with smtp_server() as smtp:
        result = run_dag(
            airflow_home,
            "servflow_ingest",
            DAY_1,
            env={
                "SERVFLOW_CONFIG": str(config),
                "AIRFLOW_CONN_SERVFLOW_SMTP": smtp.connection_json(),
            },
        )

    assert_state(
        result, "failed", load_inbox="success", announce_new_events="success", quality_gate="failed"
    )
    assert "2 inbox file(s) were not loaded" in result.output
    assert "there is no column 'Complete Timestamp'" in result.output  # ingest's own message
    assert "data-quality gate stops at 'warning'" in result.output
    assert counts(data / "servflow.duckdb") == {
        "loads": 1,
        "events": HELPDESK_EVENTS,
        "cases": HELPDESK_CASES,
    }
    assert broken.exists() and strict.exists() and not good.exists()  # retried next run
    [report_file] = (data / "reports" / "ingest").glob("*.json")
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert {f["file"]: f["status"] for f in report["file_outcomes"]} == {
        broken.name: "failed",
        good.name: "loaded",
        strict.name: "rejected",
    }
    assert any("exact copies" in w["message"] for w in report["warnings"])  # logged, not fatal
    assert result.asset_events[-1]["extra"]["logs"] == {
        "helpdesk": {"files": 1, "events_added": HELPDESK_EVENTS}
    }
    # The failed run told the configured address, through the SMTP connection.
    [mail] = smtp.mails
    assert mail["To"] == "ops@example.com" and mail["From"] == "servflow@example.com"
    assert mail["Subject"].startswith("servflow: servflow_ingest.quality_gate failed (run ")
    body = mail.get_body(("html",)).get_content()
    assert "2 inbox file(s) were not loaded" in body
    assert "no column &#x27;Complete Timestamp&#x27;" in body  # log text is escaped, not HTML


def test_killed_load_leaves_the_last_commit_and_the_retry_completes_it(
    airflow_home: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    inbox = data / "inbox"
    inbox.mkdir(parents=True)
    first, second, first_events = write_exports(inbox)
    arrived(first, "2024-03-01T00:10:00+00:00")
    arrived(second, "2024-03-01T00:20:00+00:00")
    env = variable_env(data)
    db = data / "servflow.duckdb"

    reference = tmp_path / "reference"
    reference.mkdir()
    write_exports(reference)
    from mining.ingest import IngestOptions
    from servflow.pipeline import ingest_paths

    ingest_paths(
        [reference / first.name, reference / second.name],
        db_path=reference / "servflow.duckdb",
        options=IngestOptions(log_name="helpdesk"),
    )

    # Killed in the middle of the second file's transaction: its writes are lost, the first stays.
    killed = run_dag(airflow_home, "servflow_ingest", DAY_1, env=env, kill_at="store:2:6")
    assert killed.killed, killed.output[-3000:]
    assert (counts(db)["loads"], counts(db)["events"]) == (1, first_events)
    assert not first.exists() and second.exists()

    # Killed after the second file's commit, before it was recorded and moved.
    killed = run_dag(
        airflow_home, "servflow_ingest", DAY_1, env=env, kill_at="call:_append_manifest:1"
    )
    assert killed.killed, killed.output[-3000:]
    assert counts(db)["loads"] == 2 and second.exists()

    retry = run_dag(airflow_home, "servflow_ingest", DAY_1, env=env)
    assert_state(retry, "success", announce_new_events="success")
    assert not second.exists() and (inbox / "processed" / second.name).exists()
    assert db_fingerprint(db) == db_fingerprint(reference / "servflow.duckdb")
    # Neither killed attempt announced anything; the retry announces both files (the second
    # was found already stored, so its events count under the attempt that added them).
    assert len(retry.asset_events) == 1
    assert retry.asset_events[0]["extra"]["logs"] == {
        "helpdesk": {"files": 2, "events_added": first_events}
    }
    manifest = [json.loads(line) for line in (data / "reports" / "processed_files.jsonl").open()]
    assert [(m["file"], m["status"]) for m in manifest] == [
        (first.name, "loaded"),
        (second.name, "already_loaded"),
    ]


def test_mine_dag_publishes_a_fresh_snapshot_while_a_reader_keeps_the_old_one(
    airflow_home: Path, tmp_path: Path
) -> None:
    from mining.ingest import IngestOptions
    from servflow import pipeline

    data = tmp_path / "data"
    (data / "inbox").mkdir(parents=True)
    db, snapshot = data / "servflow.duckdb", data / "snapshot.duckdb"
    first, second, first_events = write_exports(tmp_path)
    options = IngestOptions(log_name="helpdesk")
    pipeline.ingest_paths([first], db_path=db, options=options)
    pipeline.publish_snapshot(db, snapshot)
    pipeline.ingest_paths([second], db_path=db, options=options)
    old_inode = snapshot.stat().st_ino

    with store.connect(snapshot, read_only=True) as reader:  # the dashboard, mid-session
        result = run_dag(airflow_home, "servflow_mine", DAY_1, env=variable_env(data))
        # The reader keeps its consistent view of the previous snapshot throughout.
        assert reader.execute("SELECT count(*) FROM events").fetchone() == (first_events,)

    assert_state(
        result,
        "success",
        mine_logs="success",
        rank_and_export="skipped",  # no candidate ranking in this servflow version yet
        publish_snapshot="success",
    )
    assert snapshot.stat().st_ino != old_inode  # replaced by a rename, not rewritten in place
    with store.connect(snapshot, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone() == (HELPDESK_EVENTS,)
        runs = con.execute("SELECT log_name, cases, events FROM mining_runs").fetchall()
        assert runs == [("helpdesk", HELPDESK_CASES, HELPDESK_EVENTS)]
    assert not list(data.glob(".*.tmp*"))  # no half-written snapshot left behind


def test_a_retried_load_keeps_every_attempts_report(airflow_home: Path, tmp_path: Path) -> None:
    """Attempt 1 stores the first export, then fails on a storage error; attempt 2 loads the
    second. Both attempts' reports stay, each with the files it handled."""
    data = tmp_path / "data"
    inbox = data / "inbox"
    inbox.mkdir(parents=True)
    first, second, first_events = write_exports(inbox)
    arrived(first, "2024-03-01T00:10:00+00:00")
    arrived(second, "2024-03-01T00:20:00+00:00")

    result = run_dag(
        airflow_home,
        "servflow_ingest",
        DAY_1,
        env=variable_env(data),
        kill_at="fail:_load_one:2",  # the second file hits "No space left on device"
        retries=1,
    )

    assert_state(result, "success", load_inbox="success", quality_gate="success")
    assert result.try_numbers["load_inbox"] == 2
    reports = {
        path.name.rsplit(".", 2)[1]: json.loads(path.read_text(encoding="utf-8"))
        for path in (data / "reports" / "ingest").glob("*.json")
    }
    assert set(reports) == {"attempt-1", "attempt-2"}  # <run id>.attempt-<n>.json
    one, two = reports["attempt-1"], reports["attempt-2"]
    assert (one["attempt"], one["complete"]) == (1, False)
    assert "No space left on device" in one["error"]
    assert [(f["file"], f["status"]) for f in one["file_outcomes"]] == [(first.name, "loaded")]
    assert one["events_added"] == first_events
    assert (two["attempt"], two["complete"]) == (2, True)
    assert [(f["file"], f["status"]) for f in two["file_outcomes"]] == [(second.name, "loaded")]
    assert two["events_added"] == HELPDESK_EVENTS - first_events
    assert [(a["attempt"], a["complete"], a["loaded"]) for a in two["earlier_attempts"]] == [
        (1, False, 1)
    ]
    assert "Earlier attempt 1 (stopped): 1 file(s), 1 loaded" in result.output
    # Both files are announced once, by the attempt that succeeded.
    assert [e["extra"]["logs"] for e in result.asset_events] == [
        {"helpdesk": {"files": 2, "events_added": HELPDESK_EVENTS}}
    ]


def test_ingest_fetches_exports_from_an_sftp_server_with_the_connections_credentials(
    airflow_home: Path, tmp_path: Path
) -> None:
    """A real OpenSSH server on 127.0.0.1; the Airflow connection holds key and host key."""
    remote = tmp_path / "sftp-root" / "exports"
    remote.mkdir(parents=True)
    first, second, first_events = write_exports(remote)
    arrived(first, "2024-03-01T00:10:00+00:00")
    arrived(second, "2024-03-01T03:00:00+00:00")  # after the first run's interval
    in_progress = remote / ".helpdesk_export_3.csv.part"  # still being uploaded
    in_progress.write_text("Case ID,Activity\n", encoding="utf-8")
    data = tmp_path / "data"
    (data / "inbox").mkdir(parents=True)
    db = data / "servflow.duckdb"

    with sftp_server(tmp_path / "sshd") as server:
        env = {
            **variable_env(data, remote={"conn_id": "servflow_sftp", "path": str(remote)}),
            "AIRFLOW_CONN_SERVFLOW_SFTP": server.connection_json(),
        }
        day1 = run_dag(airflow_home, "servflow_ingest", DAY_1, env=env)
        assert_state(day1, "success", fetch_remote="success", load_inbox="success")
        assert counts(db)["events"] == first_events
        assert "1 file(s) fetched, 0 fetched before, 1 modified after" in day1.output

        day2 = run_dag(airflow_home, "servflow_ingest", DAY_2, env=env)
        assert_state(day2, "success", fetch_remote="success", announce_new_events="success")
        assert "1 file(s) fetched, 1 fetched before, 0 modified after" in day2.output

    assert counts(db) == {"loads": 2, "events": HELPDESK_EVENTS, "cases": HELPDESK_CASES}
    assert sorted(p.name for p in (data / "inbox" / "processed").iterdir()) == [
        first.name,
        second.name,
    ]
    # The remote files arrived with their remote modification time, untouched on the server.
    assert (data / "inbox" / "processed" / first.name).stat().st_mtime == first.stat().st_mtime
    assert first.exists() and second.exists() and in_progress.exists()
    fetched = [json.loads(line) for line in (data / "reports" / "fetched_files.jsonl").open()]
    assert [f["file"] for f in fetched] == [first.name, second.name]
    # Credentials come from the connection and never reach a log or a report.
    key_body = server.private_key.splitlines()[1]
    for text in (day1.output, day2.output, (data / "reports" / "fetched_files.jsonl").read_text()):
        assert key_body not in text
        assert "PRIVATE KEY" not in text
