"""Shared fixtures: paths of the real logs and a database with them loaded."""

from __future__ import annotations

import json
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
    bundled = SAMPLE_LOGS / REAL_LOGS.get(name, name)
    if not path.exists() and bundled.exists():
        return bundled  # the repository ships some real logs (help desk): a fresh clone uses them
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


@pytest.fixture(scope="session")
def telecom(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[Path, dict]]:
    """telecom(seed, tickets, switch_off=None) -> (database with the log as "telecom", truth)."""

    def load(seed: int, tickets: int, switch_off: str | None = None) -> tuple[Path, dict]:
        from mining import store
        from mining.ingest import IngestOptions, ingest_file
        from servflow.samplegen import generate_log

        # one folder for the whole session, so other test files reuse what is generated here
        folder = tmp_path_factory.getbasetemp() / "telecom"
        folder.mkdir(exist_ok=True)
        name = f"s{seed}-n{tickets}-{switch_off or 'all-on'}"
        done = folder / f"{name}.done"
        if not done.exists():
            result = generate_log(
                folder / f"{name}.csv", tickets=tickets, seed=seed, switch_off=switch_off
            )
            with store.connect(folder / f"{name}.duckdb") as con:
                ingest_file(con, result.log_path, IngestOptions(log_name="telecom"))
            done.touch()
        truth = json.loads((folder / f"{name}.truth.json").read_text(encoding="utf-8"))
        return folder / f"{name}.duckdb", truth

    return load


@pytest.fixture(scope="session")
def airflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated Airflow metadata DB with the writer pool, made once and copied by each test."""
    from airflow_support import make_template

    return make_template(tmp_path_factory.mktemp("airflow-template"))


@pytest.fixture(scope="session")
def mined_telecom(
    telecom: Callable[..., tuple[Path, dict]], tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., tuple[Path, dict, int]]:
    """mined_telecom(seed, tickets, switch_off=None) -> (a copy of the telecom database, mined
    without conformance and with its candidates stored, truth, run id)."""
    import shutil

    done: dict[tuple[int, int, str | None], tuple[Path, dict, int]] = {}

    def load(seed: int, tickets: int, switch_off: str | None = None) -> tuple[Path, dict, int]:
        from mining import store
        from mining.run import MiningOptions, mine_log
        from optimization.candidates import compute_and_store

        key = (seed, tickets, switch_off)
        if key not in done:
            source, truth = telecom(seed, tickets, switch_off)
            db = tmp_path_factory.mktemp("mined") / source.name
            shutil.copy(source, db)
            with store.connect(db) as con:
                run = mine_log(con, "telecom", MiningOptions(conformance=False))
                compute_and_store(con, run.run_id)
            done[key] = (db, truth, run.run_id)
        return done[key]

    return load
