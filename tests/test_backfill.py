"""The documented backfill under a real scheduler: `airflow standalone` on SQLite.

docs/airflow.md, "Backfilling on SQLite": with Airflow stopped, create the backfill with
`--max-active-runs 1`, start `airflow standalone`, unpause `servflow_ingest`. This test does
exactly that in a throwaway AIRFLOW_HOME (free ports, a copy of the migrated metadata DB) and
checks that the intervals load oldest first, one at a time, each taking the files that had
arrived by its end, that the scheduled run of the current interval waits for the backfill, and
that the metadata database never reported "database is locked".
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
from itertools import pairwise
from pathlib import Path

import pytest
from airflow_support import PYTHON, airflow_env, new_airflow_home
from test_dag_runs import HELPDESK_EVENTS, SAMPLE, arrived, counts, variable_env

pytestmark = pytest.mark.airflow

AIRFLOW = str(Path(PYTHON).with_name("airflow"))
# Each export holds every third case of the helpdesk log; it arrives during one hour.
ARRIVALS = ("2024-03-01T00:30:00+00:00", "2024-03-01T01:30:00+00:00", "2024-03-01T02:30:00+00:00")
LATE = "2024-03-01T05:30:00+00:00"  # after the backfilled hours: the current run takes it
BACKFILL = [
    "backfill",
    "create",
    "--dag-id",
    "servflow_ingest",
    "--from-date",
    "2024-03-01T00:00:00",
    "--to-date",
    "2024-03-01T02:00:00",
    "--max-active-runs",
    "1",
    "--reprocess-behavior",
    "failed",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def split_exports(inbox: Path, parts: int) -> list[Path]:
    header, *rows = SAMPLE.read_text(encoding="utf-8").splitlines()
    cases = sorted({row.split(",", 1)[0] for row in rows})
    paths = []
    for part in range(parts):
        keep = set(cases[part::parts])
        path = inbox / f"helpdesk_{part}.csv"
        lines = [header, *(row for row in rows if row.split(",", 1)[0] in keep)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def airflow(env: dict[str, str], *args: str, cwd: Path) -> str:
    done = subprocess.run(
        [AIRFLOW, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, (
        f"airflow {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout + done.stderr


def load_inbox_instances(db: Path) -> list[tuple[str, str, str | None, str | None, str | None]]:
    """(run id, run type, load_inbox state, start, end) of every servflow_ingest run."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as con:
        return con.execute(
            "SELECT d.run_id, d.run_type, t.state, t.start_date, t.end_date FROM dag_run d "
            "LEFT JOIN task_instance t ON t.dag_id = d.dag_id AND t.run_id = d.run_id "
            "AND t.task_id = 'load_inbox' WHERE d.dag_id = 'servflow_ingest' "
            "ORDER BY d.logical_date"
        ).fetchall()


def test_documented_backfill_runs_oldest_first_under_airflow_standalone(
    airflow_template: Path, tmp_path: Path
) -> None:
    home = new_airflow_home(airflow_template, tmp_path / "airflow")
    data = tmp_path / "data"
    inbox = data / "inbox"
    inbox.mkdir(parents=True)
    exports = split_exports(inbox, len(ARRIVALS) + 1)
    for path, moment in zip(exports, (*ARRIVALS, LATE), strict=True):
        arrived(path, moment)
    api_port = free_port()
    env = airflow_env(
        home,
        **variable_env(data),
        AIRFLOW__API__PORT=str(api_port),
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://localhost:{api_port}/execution/",
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
    )
    airflow(env, "dags", "reserialize", cwd=home)  # what the DAG processor does at start
    created = airflow(env, *BACKFILL, cwd=home)
    assert created.count("Created backfill Dag run") == 3, created[-3000:]

    output = home / "standalone.log"
    with output.open("w") as log:
        standalone = subprocess.Popen(
            [AIRFLOW, "standalone"],
            env=env,
            cwd=home,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 240
        while "Airflow is ready" not in output.read_text() or not port_open(api_port):
            assert standalone.poll() is None, output.read_text()[-3000:]
            assert time.monotonic() < deadline, output.read_text()[-3000:]
            time.sleep(2)
        airflow(env, "dags", "unpause", "servflow_ingest", cwd=home)
        deadline = time.monotonic() + 420
        while True:
            runs = load_inbox_instances(home / "airflow.db")
            finished = [r for r in runs if r[2] in ("success", "failed", "upstream_failed")]
            if len(runs) >= 4 and len(finished) == len(runs):
                break
            assert standalone.poll() is None, output.read_text()[-3000:]
            assert time.monotonic() < deadline, (runs, output.read_text()[-3000:])
            time.sleep(3)
        scheduler_alive = standalone.poll() is None
    finally:
        os.killpg(standalone.pid, signal.SIGTERM)
        try:
            standalone.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(standalone.pid, signal.SIGKILL)
            standalone.wait()

    log_text = output.read_text()
    assert scheduler_alive
    assert "database is locked" not in log_text
    # (A run for a further hour appears only if the test crosses an hour boundary.)
    assert [(r[1], r[2]) for r in runs[:4]] == [("backfill", "success")] * 3 + [
        ("scheduled", "success")
    ]
    # One interval at a time, oldest first; the current interval's run waited for them.
    for earlier, later in pairwise(runs):
        assert earlier[4] <= later[3], runs
    loaded = []
    for run_id, *_ in runs:
        report = (
            data
            / "reports"
            / "ingest"
            / f"{run_id.replace(':', '_').replace('+', '_')}.attempt-1.json"
        )
        document = json.loads(report.read_text(encoding="utf-8"))
        loaded.append([f["file"] for f in document["file_outcomes"]])
    assert loaded == [[path.name] for path in exports] + [[]] * (len(runs) - 4)
    assert counts(data / "servflow.duckdb")["events"] == HELPDESK_EVENTS


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
