"""servflow_alerts: remind and escalate stalled and overdue tickets, after each mining run and daily.

Scheduled on the `servflow_mined` asset (updated by servflow_mine) and by a daily cron
(`$SERVFLOW_ALERTS_SCHEDULE`, read when the file is parsed; default 01:00 UTC = 09:00 Beijing).
For every configured log it lists the tickets due for a reminder or an escalation as of the run's
time (capped at the log's last event) and sends one digest per team and channel, in the team's
language, through Airflow notifiers: e-mail with the SMTP provider's `SmtpNotifier` (Airflow
connection `servflow_smtp` unless configured otherwise) and a chat robot webhook (JSON POST).

    send_alerts (DuckDB writer pool) -> check_deliveries (fails the run if a delivery failed)

Every attempt is recorded in the database's `sent_alerts` table: an alert already sent is never
sent again (re-runs, retries, backfills), a failed one is retried by the next run while the
ticket still waits. Rules, SLA targets and recipients: the Airflow Variable `servflow_alerts`
(JSON) or the file named by `$SERVFLOW_ALERTS` (TOML/JSON); see docs/airflow.md.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import (
    AssetOrTimeSchedule,
    CronTriggerTimetable,
    Variable,
    dag,
    get_current_context,
    task,
)
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from servflow.dag_support import CONFIG_VARIABLE, DEFAULT_ARGS, MINED, TAGS, WRITER

log = logging.getLogger(__name__)

SCHEDULE = os.environ.get("SERVFLOW_ALERTS_SCHEDULE", "0 1 * * *")
ALERTS_VARIABLE = "servflow_alerts"
ALERTS_FILE_ENV = "SERVFLOW_ALERTS"


def _configs() -> tuple[Any, Any]:
    """The servflow configuration (database, logs) and the alert configuration."""
    import json

    from mining.errors import InputError
    from servflow.alerts import AlertConfig, alert_config_from_mapping, read_alert_config
    from servflow.inbox import read_config

    try:
        config = read_config(Variable.get(CONFIG_VARIABLE, default=None))
        text = Variable.get(ALERTS_VARIABLE, default=None)
        if text:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"The Airflow Variable {ALERTS_VARIABLE!r} is not valid JSON ({exc})."
                ) from exc
            alerts = alert_config_from_mapping(data, source=f"Airflow Variable {ALERTS_VARIABLE}")
        elif os.environ.get(ALERTS_FILE_ENV):
            alerts = read_alert_config(os.environ[ALERTS_FILE_ENV])
        else:
            alerts = AlertConfig()
    except InputError as exc:
        raise AirflowFailException(str(exc)) from exc  # retrying cannot fix the configuration
    return config, alerts


def _run_time(context: Any) -> datetime:
    """The run's 'now': its logical date (cron and manual runs), else when it was queued to run."""
    dag_run = context.get("dag_run")
    return context.get("logical_date") or getattr(dag_run, "run_after", None) or datetime.now(UTC)


@dag(
    dag_id="servflow_alerts",
    description="Remind and escalate stalled and overdue tickets (one digest per team)",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(SCHEDULE, timezone="UTC"), assets=[MINED]
    ),
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "alerts"],
    doc_md=__doc__,
)
def servflow_alerts() -> None:
    @task(**WRITER)
    def send_alerts() -> dict[str, Any]:
        """Send the due alerts of every configured log; returns what was sent (no data)."""
        from servflow.alerts.deliver import send_due_alerts
        from servflow.alerts.notifiers import airflow_senders

        config, alerts = _configs()
        if not config.database.exists():
            raise AirflowSkipException(f"No database at {config.database} yet: nothing to check.")
        if not alerts.recipients:
            log.warning("No recipients configured (%s): nothing is sent.", alerts.source)
        context = get_current_context()
        reports = send_due_alerts(
            config.database,
            [source.name for source in config.logs],
            alerts,
            airflow_senders(alerts.smtp_conn_id, alerts.from_email),
            now=_run_time(context),
            run=str(context.get("run_id")),
        )
        results = [report.as_dict() for report in reports]
        for item in results:
            log.info(
                "Log %r as of %s: %d alerts due, %d already sent, %d sent, %d failed, "
                "%d dropped; teams without recipients: %s",
                item["log"],
                item["as_of"],
                item["due"],
                item["already_sent"],
                item["sent"],
                item["failed"],
                item["dropped"],
                item["unrouted_teams"],
            )
        return {"database": str(config.database), "logs": results}

    @task
    def check_deliveries(summary: dict[str, Any]) -> None:
        """Fail the run when a digest could not be delivered (the next run retries it)."""
        failed = [
            f"- {item['log']}: {d['alerts']} alert(s) to {d['recipient']} by {d['channel']}: "
            f"{d['error']}"
            for item in summary["logs"]
            for d in item["deliveries"]
            if d["outcome"] == "failed"
        ]
        if failed:
            raise AirflowFailException(
                f"{len(failed)} digest(s) could not be delivered; they are recorded as failed in "
                "sent_alerts and the next run sends them again while the tickets still wait.\n"
                + "\n".join(failed)
            )

    # mypy sees the XComArg; at run time check_deliveries receives send_alerts' dict.
    check_deliveries(send_alerts())  # type: ignore[arg-type]


servflow_alerts()
