"""What the servflow DAGs share: the events asset, the DuckDB writer pool, default task arguments.

Part of the installed `servflow` package rather than a sibling of the DAG files, so a DAG file
parses however it is loaded (the DAG processor, a plain `DagBag`, `airflow dags list --local`,
a deployment that ships only the DAG files): nothing relies on the DAG folder being on
`sys.path`. Only Airflow and the standard library are imported here, so DAG parsing stays light.
"""

from __future__ import annotations

import logging
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
    "notify_failure",
]

_log = logging.getLogger(__name__)

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


def notify_failure(context: Any) -> None:
    """`on_failure_callback` of every servflow task: e-mail a failure notice.

    Runs when a task has failed for good (after its retries). The addresses and the SMTP
    connection come from the `on_failure` entry of the servflow configuration; without one,
    the failure is only in Airflow's own records. The notice is plain text made safe for the
    HTML body (the error can quote file names and labels from the logs) and is sent without
    Airflow's template rendering. A notice that cannot be sent is logged, never raised: the
    task's failure stays the failure on record.
    """
    import html

    from servflow.inbox import read_config

    ti = context.get("ti")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    run_id = str(context.get("run_id") or getattr(ti, "run_id", "?"))
    try:
        from airflow.sdk import Variable

        notice_to = read_config(Variable.get(CONFIG_VARIABLE, default=None)).on_failure
    except Exception as exc:  # a bad configuration must not hide the failure being reported
        _log.error("servflow failure notice not sent: %s", exc)
        return
    if notice_to is None:
        _log.info("No 'on_failure' in the servflow configuration: no failure notice sent.")
        return
    error = str(context.get("exception") or "unknown error")[:4000]
    lines = [
        ("DAG", dag_id),
        ("task", task_id),
        ("run", run_id),
        ("attempt", str(getattr(ti, "try_number", "?"))),
        ("logical date", str(context.get("logical_date") or "")),
        ("log", str(getattr(ti, "log_url", "") or "")),
    ]
    body = (
        "".join(f"<p><b>{html.escape(k)}</b>: {html.escape(v)}</p>" for k, v in lines if v)
        + f"<pre>{html.escape(error)}</pre>"
    )
    subject = f"servflow: {dag_id}.{task_id} failed (run {run_id})"
    try:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        SmtpNotifier(
            to=list(notice_to.email),
            from_email=notice_to.from_email,
            subject=subject.replace("\r", " ").replace("\n", " "),
            html_content=body,
            smtp_conn_id=notice_to.smtp_conn_id,
        ).notify(context)  # notify(), not __call__: nothing here is rendered as a template
    except Exception as exc:  # a notice must never mask the failure it reports
        _log.error(
            "servflow failure notice to %s through connection %r not sent: %s",
            ", ".join(notice_to.email),
            notice_to.smtp_conn_id,
            exc,
        )
        return
    _log.info("Failure notice sent to %s", ", ".join(notice_to.email))


DEFAULT_ARGS: dict[str, Any] = {
    "owner": OWNER,
    "on_failure_callback": notify_failure,
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "execution_timeout": timedelta(hours=2),
}
