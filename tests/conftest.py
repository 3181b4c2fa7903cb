"""Shared fixtures: paths of the real logs and a database with them loaded."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_LOGS = REPO / "sample_logs"

REAL_LOGS = {
    "helpdesk": "helpdesk.csv",
    "helpdesk_xes": "helpdesk.xes.gz",
    "bpic2013_incidents": "bpic2013_incidents.xes.gz",
    "bpic2013_closed_problems": "bpic2013_closed_problems.xes.gz",
    "road_traffic_fines": "road_traffic_fines.csv.gz",
    "bpic2012": "bpic2012.xes.gz",
}


def shared_logs_dir() -> Path:
    """`$SERVFLOW_SHARED_LOGS`, else `../shared/logs` beside the repository."""
    return Path(os.environ.get("SERVFLOW_SHARED_LOGS") or REPO.parent / "shared" / "logs")


def real_log(name: str) -> Path:
    path = shared_logs_dir() / REAL_LOGS.get(name, name)
    if not path.exists():
        pytest.skip(f"real log {path} is absent (set SERVFLOW_SHARED_LOGS to its folder)")
    return path


@pytest.fixture
def real_log_path() -> Callable[[str], Path]:
    """real_log_path("helpdesk") -> path of that real log; skips when it is absent."""
    return real_log


@pytest.fixture(scope="session")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with helpdesk (CSV), bpic2013_incidents (XES) and road_traffic_fines loaded
    as logs of those names. Tests must only read it."""
    from mining import store
    from mining.ingest import IngestOptions, ingest_file

    db = tmp_path_factory.mktemp("real") / "real.duckdb"
    with store.connect(db) as con:
        for name in ("helpdesk", "bpic2013_incidents", "road_traffic_fines"):
            ingest_file(con, real_log(name), IngestOptions(log_name=name, fail_on=None))
    return db


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh database file path (created on first connect)."""
    return tmp_path / "servflow.duckdb"
