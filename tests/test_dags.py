"""DAG integrity: the DagBag of `dags/` loads without errors and every DAG is operable.

The DagBag is parsed in a subprocess with its own AIRFLOW_HOME (see `airflow_support`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from airflow_support import (
    DAG_FILES,
    DAGS_DIR,
    PYTHON,
    WRITER_POOL,
    airflow_env,
    inspect_dags,
    new_airflow_home,
)

pytestmark = pytest.mark.airflow

WRITING_TASKS = {
    "servflow_ingest": {"load_inbox"},
    "servflow_mine": {"mine_logs", "rank_and_export", "publish_snapshot"},
    "servflow_alerts": {"send_alerts"},
}


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return inspect_dags(tmp_path_factory.mktemp("airflow-home"))


def test_dagbag_has_no_import_errors_or_warnings(dagbag: dict[str, Any]) -> None:
    assert dagbag["import_errors"] == {}
    assert dagbag["warnings"] == {}  # includes "unknown pool" warnings
    assert set(dagbag["dags"]) == {"servflow_alerts", "servflow_ingest", "servflow_mine"}


def test_every_dag_has_tags_owner_retries_and_one_run_at_a_time(dagbag: dict[str, Any]) -> None:
    for dag_id, dag in dagbag["dags"].items():
        assert "servflow" in dag["tags"], dag_id
        assert dag["catchup"] is False, dag_id
        assert dag["max_active_runs"] == 1, dag_id
        assert Path(dag["fileloc"]).parent.name == "dags"
        for task_id, task in dag["tasks"].items():
            assert task["owner"] == "servflow", (dag_id, task_id)
            assert task["retries"] >= 1, (dag_id, task_id)
            assert task["retry_delay_s"] >= 60, (dag_id, task_id)
            # A task that fails for good sends the configured failure notice.
            assert task["on_failure_callback"] == ["servflow.dag_support.notify_failure"]


def test_intervals_load_oldest_first_whatever_the_number_of_active_runs(
    dagbag: dict[str, Any],
) -> None:
    tasks = dagbag["dags"]["servflow_ingest"]["tasks"]
    assert {t for t, task in tasks.items() if task["depends_on_past"]} == {"load_inbox"}
    assert tasks["fetch_remote"]["pool"] != WRITER_POOL  # downloads do not hold the writer


def test_every_task_that_writes_duckdb_runs_in_the_one_slot_pool(dagbag: dict[str, Any]) -> None:
    for dag_id, writers in WRITING_TASKS.items():
        tasks = dagbag["dags"][dag_id]["tasks"]
        assert {t for t, task in tasks.items() if task["pool"] == WRITER_POOL} == writers


def test_mining_is_scheduled_on_the_asset_the_ingest_dag_updates(dagbag: dict[str, Any]) -> None:
    ingest, mine = dagbag["dags"]["servflow_ingest"], dagbag["dags"]["servflow_mine"]
    assert ingest["tasks"]["announce_new_events"]["outlets"] == ["servflow://events/"]
    assert mine["asset_schedule"] == ["servflow://events/"]
    assert "CronDataIntervalTimetable" in ingest["schedule"]
    # Publishing still runs when ranking is skipped, never after a failure.
    assert mine["tasks"]["publish_snapshot"]["trigger_rule"] == "none_failed"


def test_alerts_run_after_each_mining_run_and_daily(dagbag: dict[str, Any]) -> None:
    mine, alerts = dagbag["dags"]["servflow_mine"], dagbag["dags"]["servflow_alerts"]
    assert mine["tasks"]["mine_logs"]["outlets"] == ["servflow://mined/"]
    assert alerts["asset_schedule"] == ["servflow://mined/"]
    assert "AssetOrTimeSchedule" in alerts["schedule"]


def test_a_folder_with_only_the_dag_files_parses_with_any_loader(
    tmp_path_factory: pytest.TempPathFactory, airflow_template: Path
) -> None:
    """A deployment ships only the DAG files and installs servflow: no sibling module needed.

    Checked with a plain DagBag and with the CLI's `--local` parsing, each in a fresh process
    whose working directory is neither the repository nor the DAG folder.
    """
    home = new_airflow_home(airflow_template, tmp_path_factory.mktemp("airflow-home-bare"))
    dags = tmp_path_factory.mktemp("deployed-dags")
    for name in DAG_FILES:
        shutil.copy(DAGS_DIR / name, dags / name)

    bag = inspect_dags(home, dags)
    assert bag["import_errors"] == {}
    assert set(bag["dags"]) == {"servflow_alerts", "servflow_ingest", "servflow_mine"}

    airflow = str(Path(PYTHON).with_name("airflow"))
    env = airflow_env(home, AIRFLOW__CORE__DAGS_FOLDER=str(dags))
    listed = subprocess.run(
        [airflow, "dags", "list", "--local", "--output", "json"],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listed.returncode == 0, listed.stdout[-2000:] + listed.stderr[-2000:]
    start = listed.stdout.index("[")
    dag_ids = {row["dag_id"] for row in json.loads(listed.stdout[start:])}
    assert dag_ids == {"servflow_alerts", "servflow_ingest", "servflow_mine"}
    errors = subprocess.run(
        [airflow, "dags", "list-import-errors", "--local", "--output", "json"],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert errors.returncode == 0, errors.stdout[-2000:] + errors.stderr[-2000:]
    assert "ModuleNotFoundError" not in errors.stdout + errors.stderr
