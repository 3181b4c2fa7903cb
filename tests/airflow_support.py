"""Running the servflow DAGs for real in tests, each Airflow in its own process and metadata DB.

Airflow reads its configuration when it is first imported, so every Airflow action runs in a
subprocess whose environment points `AIRFLOW_HOME`, the SQLite metadata database and the DAG
folder at a test's temporary directory. The metadata database is migrated once per test
session (`make_template`) and copied for each test (`new_airflow_home`).

Run as a script, this module is the subprocess side:

    python tests/airflow_support.py run <dag_id> <logical_date ISO> [--kill-at SPEC] [--retries N]
    python tests/airflow_support.py inspect [<dag folder>]

and prints one line `AIRFLOW_SUPPORT_RESULT <json>` with what happened.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DAGS_DIR = REPO / "dags"
PYTHON = sys.executable
WRITER_POOL = "servflow_duckdb_writer"
RESULT_MARKER = "AIRFLOW_SUPPORT_RESULT "
HEAVY_MODULES = ("pandas", "pm4py", "duckdb", "streamlit")
DAG_FILES = ("servflow_alerts.py", "servflow_ingest.py", "servflow_mine.py")


# ---------------------------------------------------------------- test side (no Airflow import)


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of an Airflow subprocess using `home` for config, metadata and logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SERVFLOW_"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "SERVFLOW_THREADS": "2",
            "SERVFLOW_MEMORY_LIMIT": "1GB",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def make_template(directory: Path) -> Path:
    """A migrated Airflow metadata DB with the writer pool, in `directory` (once per session)."""
    directory.mkdir(parents=True, exist_ok=True)
    env = airflow_env(directory)
    airflow = str(Path(PYTHON).with_name("airflow"))
    for command in (
        [airflow, "db", "migrate"],
        [airflow, "pools", "set", WRITER_POOL, "1", "servflow: one DuckDB writer at a time"],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return directory / "airflow.db"


def new_airflow_home(template_db: Path, home: Path) -> Path:
    """A fresh Airflow home whose metadata DB is a copy of the migrated template."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_db, home / "airflow.db")
    return home


@dataclass(frozen=True)
class DagRunResult:
    """What a `dag.test()` subprocess reported (or how it died)."""

    returncode: int
    state: str | None
    task_states: dict[str, str | None]
    asset_events: list[dict[str, Any]]
    output: str
    try_numbers: dict[str, int] = field(default_factory=dict)

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL


def run_dag(
    home: Path,
    dag_id: str,
    logical_date: str,
    *,
    env: dict[str, str] | None = None,
    kill_at: str | None = None,
    retries: int = 0,
    timeout: float = 300,
) -> DagRunResult:
    """Run `dag.test(logical_date=...)` in a subprocess with the given servflow environment.

    `retries`: each task's retries, with no delay between attempts (default none).
    """
    command = [PYTHON, str(Path(__file__).resolve()), "run", dag_id, logical_date]
    if kill_at:
        command += ["--kill-at", kill_at]
    if retries:
        command += ["--retries", str(retries)]
    done = subprocess.run(
        command,
        env=airflow_env(home, **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=home,
    )
    output = done.stdout + done.stderr
    (home / f"{dag_id}.{logical_date.replace(':', '')}.log").open("a").write(output)
    result: dict[str, Any] = {}
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            result = json.loads(line[len(RESULT_MARKER) :])
    return DagRunResult(
        returncode=done.returncode,
        state=result.get("state"),
        task_states=result.get("task_states", {}),
        asset_events=result.get("asset_events", []),
        output=output,
        try_numbers=result.get("try_numbers", {}),
    )


def inspect_dags(home: Path, dag_folder: Path = DAGS_DIR) -> dict[str, Any]:
    """Parse a DAG folder with a plain DagBag in a fresh process (cwd `home`).

    Returns the import errors and each DAG's settings.
    """
    done = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "inspect", str(dag_folder)],
        env=airflow_env(home, AIRFLOW__CORE__DAGS_FOLDER=str(dag_folder)),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=home,
    )
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    raise RuntimeError(f"DagBag inspection failed:\n{done.stdout}\n{done.stderr}")


def db_fingerprint(db_path: Path) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent checksum of every servflow table.

    Columns that record when or from where a load ran (`loaded_at`, `duration_s`,
    `source_path`) are left out: they differ between two runs of the same data.
    """
    from mining import store

    volatile = {"loads": "loaded_at, duration_s, source_path", "logs": "created_at"}
    fingerprint: dict[str, tuple[int, int]] = {}
    with store.connect(db_path, read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
            ).fetchall()
        ]
        for table in tables:
            exclude = f" EXCLUDE ({volatile[table]})" if table in volatile else ""
            count, checksum = con.execute(
                f'SELECT count(*), coalesce(sum(hash(t)), 0) FROM (SELECT *{exclude} FROM "{table}") t'
            ).fetchone()
            fingerprint[table] = (int(count), int(checksum))
    return fingerprint


# ---------------------------------------------------------------- subprocess side (imports Airflow)


def _emit(result: dict[str, Any]) -> None:
    sys.stdout.write(RESULT_MARKER + json.dumps(result, default=str) + "\n")
    sys.stdout.flush()


def _asset_uris(dag: Any) -> list[str]:
    condition = getattr(dag.timetable, "asset_condition", None)
    if condition is None:
        return []
    return sorted(
        obj.uri for obj in getattr(condition, "objects", [condition]) if hasattr(obj, "uri")
    )


def _inspect(dag_folder: str) -> None:
    # A plain DagBag: unlike the DAG processor's bundle loader it does not put the DAG folder
    # on sys.path, so a DAG file that imports a sibling module fails here.
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=dag_folder, known_pools={"default_pool", WRITER_POOL})
    dags: dict[str, Any] = {}
    for dag_id, dag in bag.dags.items():
        dags[dag_id] = {
            "fileloc": dag.fileloc,
            "tags": sorted(dag.tags),
            "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs,
            "schedule": repr(dag.timetable),
            "asset_schedule": _asset_uris(dag),
            "tasks": {
                t.task_id: {
                    "owner": t.owner,
                    "retries": t.retries,
                    "retry_delay_s": t.retry_delay.total_seconds(),
                    "pool": t.pool,
                    "outlets": [getattr(o, "uri", repr(o)) for o in t.outlets],
                    "trigger_rule": getattr(t.trigger_rule, "value", str(t.trigger_rule)),
                    "depends_on_past": bool(t.depends_on_past),
                    "on_failure_callback": [
                        f"{getattr(c, '__module__', '?')}.{getattr(c, '__name__', repr(c))}"
                        for c in (
                            t.on_failure_callback
                            if isinstance(t.on_failure_callback, list)
                            else [t.on_failure_callback]
                        )
                        if c is not None
                    ],
                }
                for t in dag.tasks
            },
        }
    _emit(
        {
            "import_errors": bag.import_errors,
            "warnings": {k: list(v) for k, v in bag.captured_warnings.items()},
            "dags": dags,
        }
    )


def _install_kill(spec: str) -> None:
    """SIGKILL this process at a chosen point, like a worker lost mid-task.

    `fail:<function name>:<n>`: raise a storage error there instead of killing.
    `call:<function name>:<n>`: on the n-th call of a Python function of that name (servflow code).
    `store:<k>:<n>`: on the n-th call into `mining.store` (`run_sql`, `one` ...) while the k-th
    `mining.store.transaction` is open, i.e. with the k-th load's writes begun, not committed.
    (DuckDB's own methods are invisible to a profiler, hence counting the store's helpers.)
    """
    kind, _, rest = spec.partition(":")
    counter = {"n": 0}
    open_transactions: set[int] = set()
    if kind == "fail":
        # `fail:<function name>:<n>`: the n-th call raises "No space left on device", a storage
        # error the task does not handle, so Airflow fails the attempt (and retries it).
        name, _, nth = rest.partition(":")
        wanted = int(nth or 1)

        def on_call_fail(frame: Any, event: str, arg: Any) -> None:
            if event == "call" and frame.f_code.co_name == name:
                counter["n"] += 1
                if counter["n"] == wanted:
                    raise OSError(errno.ENOSPC, "No space left on device (injected)")

        hook = on_call_fail
    elif kind == "call":
        name, _, nth = rest.partition(":")
        wanted = int(nth or 1)

        def on_call(frame: Any, event: str, arg: Any) -> None:
            if event == "call" and frame.f_code.co_name == name:
                counter["n"] += 1
                if counter["n"] >= wanted:
                    os.kill(os.getpid(), signal.SIGKILL)

        hook = on_call
    elif kind == "store":
        nth_transaction, _, nth_statement = rest.partition(":")
        wanted_tx, wanted = int(nth_transaction), int(nth_statement)
        transactions = {"n": 0}

        def on_execute(frame: Any, event: str, arg: Any) -> None:
            code = frame.f_code
            if code.co_name == "transaction" and code.co_filename.endswith("store.py"):
                if event == "call":
                    if id(frame) in open_transactions:
                        open_transactions.discard(id(frame))  # resumed to commit / roll back
                    else:
                        open_transactions.add(id(frame))
                        transactions["n"] += 1
                return
            if (
                event == "call"
                and open_transactions
                and transactions["n"] == wanted_tx
                and code.co_filename.endswith(os.path.join("mining", "store.py"))
            ):
                counter["n"] += 1
                if counter["n"] >= wanted:
                    os.kill(os.getpid(), signal.SIGKILL)

        hook = on_execute
    else:
        raise SystemExit(f"unknown --kill-at {spec!r}")
    import threading

    threading.setprofile(hook)
    sys.setprofile(hook)


def _run(dag_id: str, logical_date: str, kill_at: str | None, retries: int = 0) -> None:
    from datetime import datetime, timedelta

    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    dag = bag.dags[dag_id]
    for task in dag.tasks:
        # A failed task is the test's result unless the test asks for retries; dag.test()
        # would otherwise wait out retry_delay.
        task.retries = retries
        task.retry_delay = timedelta(0)
    if kill_at:
        _install_kill(kill_at)
    run = dag.test(logical_date=datetime.fromisoformat(logical_date))
    sys.setprofile(None)

    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        instances = run.get_task_instances(session=session)
        task_states = {
            ti.task_id: (str(getattr(ti.state, "value", ti.state)) if ti.state else None)
            for ti in instances
        }
        try_numbers = {ti.task_id: ti.try_number for ti in instances}
        events = [
            {"uri": e.asset.uri, "extra": e.extra, "source_dag_id": e.source_dag_id}
            for e in session.scalars(select(AssetEvent).order_by(AssetEvent.id))
        ]
    state = str(getattr(run.state, "value", run.state))
    _emit(
        {
            "state": state,
            "task_states": task_states,
            "try_numbers": try_numbers,
            "asset_events": events,
        }
    )


def main(argv: list[str]) -> None:
    if argv[:1] == ["inspect"]:
        _inspect(argv[1] if len(argv) > 1 else str(DAGS_DIR))
    elif argv[:1] == ["run"] and len(argv) >= 3:
        kill_at = argv[argv.index("--kill-at") + 1] if "--kill-at" in argv else None
        retries = int(argv[argv.index("--retries") + 1]) if "--retries" in argv else 0
        _run(argv[1], argv[2], kill_at, retries)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
