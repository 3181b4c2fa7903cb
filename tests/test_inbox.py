"""The ingest inbox without Airflow: configuration, which files a run takes, what it records."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mining import store
from mining.errors import InputError
from mining.ingest import IngestOptions
from servflow.inbox import (
    InboxConfig,
    LogSource,
    find_new_files,
    load_new_files,
    mark_announced,
    read_config,
    read_manifest,
)
from servflow.pipeline import ingest_paths

UNTIL = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
LOG_A = "case,activity,time\nc1,Open,2024-01-01 08:00\nc1,Close,2024-01-01 09:00\n"
LOG_B = LOG_A + "c2,Open,2024-01-02 08:00\n"  # a later, overlapping export


def put(path: Path, text: str, moment: str = "2024-03-01T01:00:00+00:00") -> Path:
    path.write_text(text, encoding="utf-8")
    stamp = datetime.fromisoformat(moment).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def config_for(tmp_path: Path, **changes: object) -> InboxConfig:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    document = {
        "inbox": str(inbox),
        "database": str(tmp_path / "servflow.duckdb"),
        "reports": str(tmp_path / "reports"),
        "logs": [{"name": "tickets", "pattern": "*.csv"}],
        **changes,
    }
    return read_config(json.dumps(document), environ={})


def test_defaults_live_in_the_project_data_folder(tmp_path: Path) -> None:
    config = read_config(None, environ={"SERVFLOW_HOME": str(tmp_path)})
    assert config.inbox == tmp_path / "servflow_data" / "inbox"
    assert config.database == tmp_path / "servflow_data" / "servflow.duckdb"
    assert config.snapshot == tmp_path / "servflow_data" / "servflow_snapshot.duckdb"
    assert config.processed == "move"
    assert [(log.name, log.pattern, log.fail_on) for log in config.logs] == [
        ("tickets", "*", "error")
    ]
    assert config.source == "defaults"
    db = read_config(None, environ={"SERVFLOW_DB": str(tmp_path / "x.duckdb")}).database
    assert db == tmp_path / "x.duckdb"


def test_variable_wins_over_the_config_file(tmp_path: Path) -> None:
    file = tmp_path / "servflow.json"
    file.write_text(json.dumps({"inbox": "from-file"}), encoding="utf-8")
    env = {"SERVFLOW_CONFIG": str(file), "SERVFLOW_HOME": str(tmp_path)}
    from_variable = read_config('{"inbox": "from-variable"}', environ=env)
    assert from_variable.inbox == tmp_path / "from-variable"  # relative to the project folder
    assert from_variable.source == "Airflow Variable servflow_config"
    from_file = read_config(None, environ=env)
    assert from_file.inbox == tmp_path / "from-file"  # relative to the file's folder
    assert from_file.source == f"file {file}"


def test_toml_file_gives_each_log_its_pattern_mapping_and_gate(tmp_path: Path) -> None:
    file = tmp_path / "conf" / "servflow.toml"
    file.parent.mkdir()
    file.write_text(
        'inbox = "/srv/exports"\nfail_on = "warning"\nprocessed = "keep"\n'
        '[[logs]]\nname = "complaints"\npattern = "投诉_*.csv"\n'
        'case = "工单号"\nactivity = "环节"\ntimestamp = "处理时间"\ntimezone = "Asia/Shanghai"\n'
        '[[logs]]\nname = "faults"\npattern = "fault*.xes.gz"\nfail_on = "never"\n',
        encoding="utf-8",
    )
    config = read_config(None, environ={"SERVFLOW_CONFIG": str(file)})
    assert config.inbox == Path("/srv/exports") and config.processed == "keep"
    assert config.reports == Path(__file__).resolve().parents[1] / "servflow_data" / "reports"
    complaints, faults = config.logs
    assert config.log_for("投诉_2024-03.csv") == complaints
    assert config.log_for("fault_2024.xes.gz") == faults
    assert config.log_for("other.csv") is None
    assert complaints.ingest_options() == IngestOptions(
        log_name="complaints",
        case="工单号",
        activity="环节",
        timestamp="处理时间",
        timezone="Asia/Shanghai",
        fail_on="warning",
    )
    assert faults.ingest_options().fail_on is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"inbox": "x", "inbx": "y"}', "unknown key(s) inbx"),
        ('{"fail_on": "sometimes"}', "'fail_on' is 'sometimes'; use one of 'error', 'warning'"),
        ('{"processed": "delete"}', "'processed' is 'delete'"),
        ('{"logs": []}', "'logs' must be a non-empty list"),
        ('{"logs": [{"pattern": "*.csv"}]}', "needs a 'name'"),
        ('{"logs": [{"name": "a"}, {"name": "a"}]}', "appear more than once"),
        ('{"remote": "sftp://u:pw@host/x"}', "'remote' must be a table"),
        (
            '{"remote": {"conn_id": "s", "path": "/x", "password": "pw"}}',
            "unknown key(s) password. Known keys: conn_id, path, pattern (credentials belong",
        ),
        ('{"remote": {"conn_id": "s"}}', "'path' must be a non-empty string"),
        ('{"on_failure": {"email": []}}', "'email' must be a list of one or more addresses"),
        ('{"on_failure": {"email": ["ops"]}}', "'ops' is not an e-mail address"),
        (
            '{"on_failure": {"email": ["a@b.org"], "password": "x"}}',
            "unknown key(s) password. Known keys: email, smtp_conn_id, from (SMTP credentials",
        ),
    ],
)
def test_bad_configuration_is_rejected_with_what_to_fix(text: str, message: str) -> None:
    with pytest.raises(InputError, match=r"servflow|Variable") as caught:
        read_config(text, environ={})
    assert message in str(caught.value)


def test_unknown_mapping_key_names_the_keys_a_log_accepts() -> None:
    source = LogSource(name="t", options=(("case_column", "id"),))
    with pytest.raises(InputError, match=r"log 't'.*case_column.*accepts are name, pattern and"):
        source.ingest_options()


def test_missing_config_file_and_inbox_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"Cannot read .*nope.toml named by \$SERVFLOW_CONFIG"):
        read_config(None, environ={"SERVFLOW_CONFIG": str(tmp_path / "nope.toml")})
    config = read_config(json.dumps({"inbox": str(tmp_path / "absent")}), environ={})
    with pytest.raises(InputError, match=r"inbox folder .*absent does not exist"):
        find_new_files(config, until=UNTIL)


def test_a_run_takes_the_files_that_arrived_before_its_end_oldest_first(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    inbox = config.inbox
    put(inbox / "b.csv", LOG_A, "2024-03-01T00:30:00+00:00")
    put(inbox / "a.csv", LOG_A, "2024-03-01T00:30:00+00:00")  # same time: by name
    put(inbox / "old.csv", LOG_A, "2023-12-31T23:00:00+00:00")  # late arrival, old mtime
    put(inbox / "later.csv", LOG_A, "2024-03-01T02:00:00+00:00")  # at the end: next interval
    put(inbox / "copying.csv.part", LOG_A)
    put(inbox / ".hidden.csv", LOG_A)
    put(inbox / "~lock.csv", LOG_A)
    (inbox / "processed").mkdir()
    put(inbox / "processed" / "done.csv", LOG_A)
    names = [f.path.name for f in find_new_files(config, until=UNTIL)]
    assert names == ["old.csv", "a.csv", "b.csv"]


def test_load_moves_records_reports_and_never_loads_twice(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    first = put(config.inbox / "export_1.csv", LOG_A, "2024-03-01T00:10:00+00:00")
    second = put(config.inbox / "export_2.csv", LOG_B, "2024-03-01T00:20:00+00:00")
    report = load_new_files(config, until=UNTIL, run_id="scheduled__2024-03-01T01:00:00+00:00")

    assert [(f.file, f.status, f.events_added) for f in report.files] == [
        ("export_1.csv", "loaded", 2),
        ("export_2.csv", "loaded", 1),  # only the new event of the overlapping export
    ]
    assert not first.exists() and not second.exists()
    assert sorted(p.name for p in (config.inbox / "processed").iterdir()) == [
        "export_1.csv",
        "export_2.csv",
    ]
    assert [r["file"] for r in read_manifest(config.manifest)] == ["export_1.csv", "export_2.csv"]
    assert report.unannounced == {"tickets": {"files": 2, "events_added": 3}}
    document = json.loads(Path(report.report_path or "").read_text(encoding="utf-8"))
    assert (
        Path(report.report_path or "").name == "scheduled__2024-03-01T01_00_00_00_00.attempt-1.json"
    )
    assert document["events_added"] == 3 and document["failed"] == []

    mark_announced(config, report.manifest_records)
    again = load_new_files(config, until=UNTIL, run_id="rerun")
    assert again.files == () and again.unannounced == {}

    # The same content dropped again under another name: recognised, archived, not loaded.
    put(config.inbox / "export_1_copy.csv", LOG_A)
    dropped = load_new_files(config, until=UNTIL, run_id="dropped")
    assert [(f.status, f.newly_recorded) for f in dropped.files] == [("already_loaded", False)]
    assert dropped.unannounced == {}
    with store.connect(config.database, read_only=True) as con:
        assert con.execute("SELECT count(*), sum(events_added) FROM loads").fetchone() == (2, 3)


def test_a_load_that_died_before_recording_is_recorded_and_announced_by_the_retry(
    tmp_path: Path,
) -> None:
    config = config_for(tmp_path)
    export = put(config.inbox / "export_1.csv", LOG_A)
    ingest_paths([export], db_path=config.database, options=IngestOptions(log_name="tickets"))
    # (the attempt that committed this load stopped before moving and recording the file)
    report = load_new_files(config, until=UNTIL, run_id="retry")
    [outcome] = report.files
    assert (outcome.status, outcome.newly_recorded, outcome.events_added) == (
        "already_loaded",
        True,
        0,
    )
    assert report.unannounced == {"tickets": {"files": 1, "events_added": 0}}
    assert not export.exists()


def test_a_bad_or_unmatched_file_stays_in_the_inbox_and_the_others_load(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    bad = put(
        config.inbox / "a_bad.csv", "ticket;when\nT1;yesterday\n", "2024-03-01T00:10:00+00:00"
    )
    good = put(config.inbox / "b_good.csv", LOG_A, "2024-03-01T00:20:00+00:00")
    stray = put(config.inbox / "notes.txt", "not an export", "2024-03-01T00:30:00+00:00")
    report = load_new_files(config, until=UNTIL, run_id="r1")
    assert [(f.file, f.status) for f in report.files] == [
        ("a_bad.csv", "failed"),
        ("b_good.csv", "loaded"),
        ("notes.txt", "unmatched"),
    ]
    assert "cannot tell which column" in report.files[0].message
    assert "matches no configured log pattern" in report.files[2].message
    assert bad.exists() and stray.exists() and not good.exists()
    assert [f["file"] for f in report.summary()["failed"]] == ["a_bad.csv", "notes.txt"]


def test_keep_mode_leaves_files_and_records_each_once(tmp_path: Path) -> None:
    config = config_for(tmp_path, processed="keep")
    export = put(config.inbox / "export.csv", LOG_A)
    first = load_new_files(config, until=UNTIL, run_id="r1")
    mark_announced(config, first.manifest_records)
    second = load_new_files(config, until=UNTIL, run_id="r2")
    assert export.exists()
    assert [f.status for f in first.files + second.files] == ["loaded", "already_loaded"]
    assert second.unannounced == {} and len(read_manifest(config.manifest)) == 1


def test_a_different_file_of_the_same_name_is_archived_beside_the_first(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    put(config.inbox / "export.csv", LOG_A)
    load_new_files(config, until=UNTIL, run_id="r1")
    put(config.inbox / "export.csv", LOG_B)  # next export overwrote the same name
    report = load_new_files(config, until=UNTIL, run_id="r2")
    [outcome] = report.files
    assert outcome.events_added == 1
    assert outcome.sha256
    archived = {p.name for p in (config.inbox / "processed").iterdir()}
    assert archived == {"export.csv", f"export.{outcome.sha256[:12]}.csv"}


def test_a_manifest_line_cut_by_a_crash_is_skipped_and_later_records_stay_whole(
    tmp_path: Path,
) -> None:
    config = config_for(tmp_path)
    config.manifest.parent.mkdir(parents=True)
    config.manifest.write_text('{"log_name": "tickets", "sha', encoding="utf-8")
    put(config.inbox / "export.csv", LOG_A)
    report = load_new_files(config, until=UNTIL, run_id="r1")
    assert [r["file"] for r in read_manifest(config.manifest)] == ["export.csv"]
    assert report.unannounced == {"tickets": {"files": 1, "events_added": 2}}


def test_a_stored_file_that_cannot_be_moved_fails_the_gate_but_is_recorded(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    (config.inbox / "processed").write_text("a file where the archive folder should be")
    export = put(config.inbox / "export.csv", LOG_A)
    report = load_new_files(config, until=UNTIL, run_id="r1")
    [outcome] = report.files
    assert (outcome.status, outcome.events_added) == ("failed", 2)
    assert "stored (load 1), but it cannot be moved" in outcome.message
    assert export.exists() and report.unannounced == {"tickets": {"files": 1, "events_added": 2}}
