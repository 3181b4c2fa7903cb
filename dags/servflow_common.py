"""What the servflow DAGs share: the events asset, the DuckDB writer pool, default task arguments.

Not a DAG file (`.airflowignore` keeps the DAG processor from parsing it); only Airflow and the
standard library are imported here, so DAG parsing stays light.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from airflow.sdk import Asset

__all__ = [
    "CONFIG_VARIABLE",
    "DEFAULT_ARGS",
    "EVENTS",
    "MINED",
    "OWNER",
    "TAGS",
    "WRITER",
    "WRITER_POOL",
]

OWNER = "servflow"
TAGS = ["servflow", "process-mining"]
CONFIG_VARIABLE = "servflow_config"

# DuckDB allows one writer process per database file: every task that opens the file for
# writing runs in this one-slot pool (`airflow pools set servflow_duckdb_writer 1 ...`).
WRITER_POOL = "servflow_duckdb_writer"
# With several Celery workers, `$SERVFLOW_WRITER_QUEUE` sends the writing tasks to the queue of
# the one worker that has the database file on its local disk (read when the file is parsed).
_WRITER_QUEUE = os.environ.get("SERVFLOW_WRITER_QUEUE")
WRITER: dict[str, Any] = {
    "pool": WRITER_POOL,
    **({"queue": _WRITER_QUEUE} if _WRITER_QUEUE else {}),
}

# Updated by the ingest DAG whenever new events are stored; the mining DAG is scheduled on it.
# The event's extra carries {"logs": {log_name: events_added}, "database": path}.
EVENTS = Asset(name="servflow_events", uri="servflow://events/")
# Updated by the mining DAG after it mined; the alerts DAG is scheduled on it (and daily).
MINED = Asset(name="servflow_mined", uri="servflow://mined/")

DEFAULT_ARGS: dict[str, Any] = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "execution_timeout": timedelta(hours=2),
}
