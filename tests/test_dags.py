"""DAG integrity: the DagBag of `dags/` loads without errors and every DAG is operable.

The DagBag is parsed in a subprocess with its own AIRFLOW_HOME (see `airflow_support`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from airflow_support import WRITER_POOL, inspect_dags

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
