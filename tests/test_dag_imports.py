"""Parsing a DAG file stays light: importing it in a fresh process loads no heavy module.

The scheduler's DAG processor imports every DAG file again and again; pandas, pm4py, DuckDB,
Streamlit and the servflow pipeline belong inside the tasks (Airflow's "top level code" rule).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from airflow_support import DAG_FILES, DAGS_DIR, HEAVY_MODULES, airflow_env

pytestmark = pytest.mark.airflow

NOT_AT_PARSE_TIME = (
    *HEAVY_MODULES,
    "servflow.pipeline",
    "servflow.inbox",
    "servflow.alerts",
    "mining.ingest",
)

PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("dag_under_test", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print("PROBE", json.dumps([m for m in {names!r} if m in sys.modules]))
"""


@pytest.mark.parametrize("file_name", DAG_FILES)
def test_importing_a_dag_file_loads_no_heavy_module(file_name: str, tmp_path) -> None:
    code = PROBE.format(path=str(DAGS_DIR / file_name), names=list(NOT_AT_PARSE_TIME))
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=airflow_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # the DAG folder is not on sys.path, as with any loader but the bundle's
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [line] = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert json.loads(line.removeprefix("PROBE ")) == []
