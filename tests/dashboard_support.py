"""A small published database for the dashboard tests: a generated telecom log whose labels
include hostile text, ingested and mined through the CLI (which publishes the snapshot)."""

from __future__ import annotations

import csv
from pathlib import Path

HOSTILE_HTML = "<img src=x onerror=alert(1)>"
HOSTILE_LINK = "[x](javascript:alert(1))"
# generated activity -> the hostile label it is renamed to
RENAMED = {"短信通知": HOSTILE_HTML, "催单": HOSTILE_LINK}


def build(folder: Path, *, tickets: int = 400, seed: int = 5) -> Path:
    """The database path (its snapshot beside it) with the log `telecom`, mined once."""
    from servflow.cli import main
    from servflow.samplegen import generate_log

    db = folder / "servflow.duckdb"
    done = folder / "built"
    if done.exists():
        return db
    folder.mkdir(parents=True, exist_ok=True)
    generated = generate_log(folder / "generated.csv", tickets=tickets, seed=seed)
    source = folder / "tickets.csv"
    with generated.log_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["activity"] = RENAMED.get(row["activity"], row["activity"])
    with source.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert main(["ingest", str(source), "--db", str(db), "--log", "telecom", "--quiet"]) == 0
    assert (
        main(
            [
                "mine",
                "telecom",
                "--db",
                str(db),
                "--quiet",
                "--sla-attribute",
                "ticket_type",
                "--sla",
                "投诉=72",
                "--default-sla",
                "48",
            ]
        )
        == 0
    )
    done.touch()
    return db
