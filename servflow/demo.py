"""`servflow demo`: the main job on the bundled sample logs (ingest -> mine -> report)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from mining import store

if TYPE_CHECKING:
    from optimization.model import CandidateSet

__all__ = ["SAMPLE_LOGS", "run"]

SAMPLE_LOGS = Path(__file__).resolve().parents[1] / "sample_logs"


def run(db_path: str | os.PathLike[str] | None = None) -> int:
    from mining.ingest import IngestOptions, ingest_file
    from mining.kpis import KpiColumns
    from mining.run import MiningOptions, build_report, mine_log
    from optimization.candidates import compute_and_store
    from servflow.cli_mining import print_summary

    db = Path(db_path) if db_path is not None else store.default_db_path()
    telecom = MiningOptions(
        sla_attribute="ticket_type",
        sla_targets_s=(("咨询", 4 * 3600.0), ("报障", 48 * 3600.0), ("投诉", 72 * 3600.0)),
        kpi_columns=KpiColumns(
            resolution_activities=("问题解决",),
            repeat_contact_activities=("催单",),
            escalation_activities=("升级",),
            satisfaction_attribute="satisfaction",
        ),
    )
    jobs = [
        ("telecom", SAMPLE_LOGS / "telecom_tickets.csv", telecom),
        ("helpdesk", SAMPLE_LOGS / "helpdesk.csv", MiningOptions()),
    ]
    with store.connect(db) as con:
        for name, path, options in jobs:
            print(f"== {name}: {path.name}")
            load = ingest_file(con, path, IngestOptions(log_name=name))
            if load.already_loaded:
                print("   already loaded (same file); nothing added")
            else:
                print(
                    f"   loaded {load.events_added:,} events of {load.cases_added:,} cases; "
                    f"data quality: {load.max_severity} "
                    f"(`servflow quality {name} --db {db}` for the report)"
                )
            mined = mine_log(con, name, options)
            found = compute_and_store(con, mined.run_id)
            print_summary(build_report(con, name, mined.run_id), db_path=db)
            _print_top_candidates(found, name, db)
            print()
    from servflow.pipeline import publish_snapshot, snapshot_path_for

    snapshot = publish_snapshot(db, snapshot_path_for(db))
    print(f"Published the read-only snapshot {snapshot} for the dashboard.")
    print(
        f"Results are stored in {db.resolve()} (tables mining_runs and run_*, see docs/results-schema.md)."
    )
    print(f"Explore: servflow logs --db {db}; servflow report telecom --db {db} --json")
    return 0


def _print_top_candidates(found: CandidateSet, name: str, db: Path) -> None:
    """The first three automation and restructuring candidates, labels escaped."""
    from servflow.textout import say

    say("What to change first (optimization candidates):")
    for a in found.automation[:3]:
        say(f"  {a.id} {a.activity} [{a.kind}], score {a.score:.2f}")
        if a.rule is not None:
            say(f"      rule: {a.rule.describe()}")
    for r in found.restructuring[:3]:
        say(f"  {r.id} {r.kind}: {' / '.join(r.activities)}, {r.cases:,} tickets")
    say(f"  All of them with their evidence: `servflow candidates {name} --db {db}`.")
