"""servflow_mine: mine the logs that received new events, then publish the dashboard snapshot.

Scheduled on the `servflow_events` asset, which servflow_ingest updates whenever it stores new
events; the asset events say which logs changed. A manual run mines every configured log that
is stored in the database.

    mine_logs (writer pool) -> rank_and_export (writer pool) -> publish_snapshot (writer pool)

The dashboard reads only the published snapshot, a read-only copy of the database that
`servflow.pipeline.publish_snapshot` replaces atomically, so it never holds the writer's file
and never sees a half-written state.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import TriggerRule, Variable, dag, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from servflow.dag_support import CONFIG_VARIABLE, DEFAULT_ARGS, EVENTS, MINED, TAGS, WRITER

log = logging.getLogger(__name__)


def _config() -> Any:
    from mining.errors import InputError
    from servflow.inbox import read_config

    try:
        return read_config(Variable.get(CONFIG_VARIABLE, default=None))
    except InputError as exc:
        raise AirflowFailException(str(exc)) from exc  # retrying cannot fix the configuration


def _changed_logs(triggering_asset_events: Any) -> list[str]:
    """Log names in the extras of the asset events that triggered this run, in first-seen order."""
    names: list[str] = []
    for events in (triggering_asset_events or {}).values():
        for event in events:
            for name in (getattr(event, "extra", None) or {}).get("logs", {}):
                if name not in names:
                    names.append(name)
    return names


@dag(
    dag_id="servflow_mine",
    description="Mine new events, rank candidates, publish the dashboard snapshot",
    schedule=[EVENTS],
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "mining"],
    doc_md=__doc__,
)
def servflow_mine() -> None:
    @task(**WRITER, outlets=[MINED])
    def mine_logs(*, triggering_asset_events: Any = None) -> dict[str, Any]:
        """Mine each changed log (every configured log on a manual run); returns the run ids."""
        from mining.errors import UnknownLogError
        from servflow import pipeline

        mine = getattr(pipeline, "mine", None)
        if mine is None:
            raise AirflowSkipException("This servflow version has no servflow.pipeline.mine yet.")
        config = _config()
        names = _changed_logs(triggering_asset_events) or [source.name for source in config.logs]
        runs: dict[str, str] = {}
        for name in names:
            try:
                run = mine(config.database, name)
            except UnknownLogError:
                log.info("Log %r is not stored in %s yet: nothing to mine", name, config.database)
                continue
            runs[name] = str(run.run_id)
            log.info("Mined log %r: run %s", name, run.run_id)
        return {"database": str(config.database), "runs": runs}

    @task(**WRITER)
    def rank_and_export(mined: dict[str, Any]) -> dict[str, Any]:
        """Rank automation/restructuring candidates and write the audit exports of each mining run."""
        from servflow import pipeline

        rank = getattr(pipeline, "rank_candidates", None)
        export = getattr(pipeline, "export_audit", None)
        if rank is None or export is None:
            raise AirflowSkipException(
                "This servflow version has no candidate ranking / audit export step yet "
                "(servflow.pipeline.rank_candidates, export_audit); skipped."
            )
        config = _config()
        exported: dict[str, list[str]] = {}
        for name, run_id in mined["runs"].items():
            rank(config.database, name, run_id=run_id)
            out_dir = config.reports / "audit" / name / run_id
            exported[name] = [str(p) for p in export(config.database, name, out_dir, run_id=run_id)]
            log.info("Log %r: audit exports in %s", name, out_dir)
        return exported

    @task(**WRITER, trigger_rule=TriggerRule.NONE_FAILED)
    def publish_snapshot() -> str:
        """Replace the dashboard's read-only snapshot with a copy of the current database."""
        from servflow import pipeline

        config = _config()
        if not config.database.exists():
            raise AirflowSkipException(f"No database at {config.database} yet: nothing to publish.")
        path = pipeline.publish_snapshot(config.database, config.snapshot)
        log.info("Published snapshot %s", path)
        return str(path)

    mined = mine_logs()
    rank_and_export(mined) >> publish_snapshot()  # type: ignore[arg-type]  # XComArg -> dict


servflow_mine()
