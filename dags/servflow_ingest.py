"""servflow_ingest: load new ticket-log exports from the inbox into DuckDB, every hour.

Each run loads the inbox files last modified before its data interval's end (a manual run:
before its logical date) that are not stored yet, oldest first, one transaction per file (see
`servflow.inbox`). Re-running or backfilling an interval therefore takes exactly the files that
had arrived by then, and never stores a file twice.

    fetch_remote -> load_inbox (DuckDB writer pool) -> announce_new_events (updates the asset)
                                                    -> quality_gate (fails on files not loaded)

`fetch_remote` first downloads the interval's new exports from the remote folder configured
under `remote` (an SFTP server, through an Airflow connection) into the inbox; without one it
does nothing.

Configuration: the Airflow Variable `servflow_config` (JSON) or the file named by
`$SERVFLOW_CONFIG` (JSON/TOML); see docs/airflow.md. Schedule: `$SERVFLOW_INGEST_SCHEDULE`
(cron, read when the file is parsed), hourly by default.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import CronDataIntervalTimetable, Variable, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from servflow.dag_support import CONFIG_VARIABLE, DEFAULT_ARGS, EVENTS, TAGS, WRITER

log = logging.getLogger(__name__)

SCHEDULE = os.environ.get("SERVFLOW_INGEST_SCHEDULE", "0 * * * *")


def _load_until(context: Any) -> datetime:
    """The moment a run loads files up to (exclusive), by file modification time.

    Scheduled and backfill runs: their data interval's end, so re-running or backfilling an
    interval takes exactly the files that had arrived by then. Manual runs: their logical date
    (the trigger time unless one is given), so "trigger now" loads what is in the inbox now.
    """
    dag_run = context.get("dag_run")
    run_after = getattr(dag_run, "run_after", None)
    if getattr(dag_run, "run_type", None) == "manual":
        until = context.get("logical_date") or run_after
    else:
        until = context.get("data_interval_end") or run_after
    return until or datetime.now(UTC)


@dag(
    dag_id="servflow_ingest",
    description="Load new ticket-log exports from the inbox into the servflow DuckDB database",
    schedule=CronDataIntervalTimetable(SCHEDULE, timezone="UTC"),
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "ingest"],
    doc_md=__doc__,
)
def servflow_ingest() -> None:
    @task
    def fetch_remote() -> dict[str, Any]:
        """Fetch this interval's new exports from the configured remote folder into the inbox."""
        from mining.errors import InputError
        from servflow.inbox import read_config
        from servflow.remote import SftpFolder, fetch_new_files

        try:
            config = read_config(Variable.get(CONFIG_VARIABLE, default=None))
        except InputError as exc:
            raise AirflowFailException(str(exc)) from exc
        if config.remote is None:
            log.info("No remote source configured: loading only what arrives in %s", config.inbox)
            return {"source": None, "fetched": []}
        until = _load_until(get_current_context())
        with SftpFolder(config.remote.conn_id, config.remote.path).connected() as folder:
            try:
                fetched = fetch_new_files(folder, config.remote, config, until=until)
            except InputError as exc:
                raise AirflowFailException(str(exc)) from exc
        log.info(
            "%s: %d file(s) fetched, %d fetched before, %d modified after %s, %d ignored",
            fetched.source,
            len(fetched.fetched),
            fetched.already_fetched,
            fetched.not_yet,
            until.isoformat(),
            fetched.ignored,
        )
        return fetched.summary()

    # depends_on_past: a run loads only after the previous run (by logical date) has loaded,
    # so the intervals of a backfill, or a backfill and the scheduled runs, load oldest first
    # whatever the number of active runs.
    @task(**WRITER, depends_on_past=True)
    def load_inbox() -> dict[str, Any]:
        """Load this interval's inbox files; returns the run's summary (no data)."""
        from mining.errors import InputError
        from servflow.inbox import load_new_files, read_config

        context = get_current_context()
        try:
            config = read_config(Variable.get(CONFIG_VARIABLE, default=None))
        except InputError as exc:
            raise AirflowFailException(str(exc)) from exc  # retrying cannot fix the configuration
        until = _load_until(context)
        log.info(
            "servflow inbox %s -> %s (configuration: %s); loading files modified before %s",
            config.inbox,
            config.database,
            config.source,
            until.isoformat(),
        )
        attempt = int(getattr(context.get("ti"), "try_number", None) or 1)
        report = load_new_files(config, until=until, run_id=str(context["run_id"]), attempt=attempt)
        summary = report.summary()
        for earlier in report.earlier_attempts:
            log.info(
                "Earlier attempt %s (%s): %d file(s), %d loaded, %d events added%s; report %s",
                earlier["attempt"],
                "complete" if earlier["complete"] else "stopped",
                earlier["files"],
                earlier["loaded"],
                earlier["events_added"],
                f", error {earlier['error']}" if earlier["error"] else "",
                earlier["report"],
            )
        for outcome in report.files:
            log.info(
                "%s [%s]: %s, %d events added, %d already stored, %d rows rejected",
                outcome.file,
                outcome.log_name,
                outcome.status,
                outcome.events_added,
                outcome.events_already_stored,
                outcome.rows_rejected,
            )
        log.info("Run report: %s", summary["report"])
        return summary

    @task(outlets=[EVENTS])
    def announce_new_events(
        summary: dict[str, Any], *, outlet_events: Any = None
    ) -> dict[str, Any]:
        """Update the events asset (which schedules servflow_mine) when events were stored.

        Covers every file recorded since the last announcement, so events committed by an
        attempt that died before announcing them are announced by the next successful run.
        """
        from servflow.inbox import mark_announced, read_config

        changed: dict[str, Any] = summary["unannounced"]
        if not changed:
            raise AirflowSkipException("No new events stored since the last announcement.")
        outlet_events[EVENTS].extra = {"logs": changed, "database": summary["database"]}
        mark_announced(
            read_config(Variable.get(CONFIG_VARIABLE, default=None)), summary["manifest_records"]
        )
        return changed

    @task
    def quality_gate(summary: dict[str, Any]) -> None:
        """Fail the run when an inbox file was not loaded; log data-quality warnings."""
        for warning in summary["warnings"]:
            log.warning("%s: %s", warning["file"], warning["message"])
        failed = summary["failed"]
        if failed:
            lines = [f"- {item['file']} ({item['status']}): {item['message']}" for item in failed]
            raise AirflowFailException(
                f"{len(failed)} inbox file(s) were not loaded and stay in the inbox; the other "
                f"files of this run were loaded. Fix or remove them; the next run retries them. "
                f"Report: {summary['report']}\n" + "\n".join(lines)
            )
        log.info(
            "%d file(s) loaded, %d already stored, %d events added",
            summary["loaded"],
            summary["already_loaded"],
            summary["events_added"],
        )

    # mypy sees the XComArg; at run time each task receives load_inbox's summary dict.
    summary = load_inbox()
    fetch_remote() >> summary
    announce_new_events(summary)  # type: ignore[arg-type]
    quality_gate(summary)  # type: ignore[arg-type]


servflow_ingest()
