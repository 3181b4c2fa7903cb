"""The logs the benchmark runs on, prepared once under `bench/data/` (git-ignored).

- `telecom-<size>`: the seeded telecom ticket log of `servflow.samplegen` (seed 7) at about
  100k, 1M and 10M events, as Parquet (what pm4py's DataFrame is read from and what servflow
  ingests for the analysis steps), as CSV (for the CSV ingest step) and, up to 1M events, as XES
  written by `pm4py.write_xes` (for the XES ingest step);
- `road-fines`: the real Road Traffic Fine Management log (561,470 events) from the shared log
  folder (`$SERVFLOW_SHARED_LOGS`, else `../shared/logs` beside the repository): servflow ingests
  the CSV as published; pm4py's DataFrame is read from a Parquet copy of the same events;
- `helpdesk-xes`, `bpic2013-xes`: real XES logs, for the XES ingest step only.

A dataset that cannot be found or made is reported as skipped with the reason.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DATA",
    "REPO",
    "SHARED_LOGS",
    "Columns",
    "Dataset",
    "generated_dataset",
    "parse_size",
    "real_datasets",
    "size_label",
]

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "bench" / "data"
SHARED_LOGS = Path(os.environ.get("SERVFLOW_SHARED_LOGS") or REPO.parent / "shared" / "logs")
SEED = 7
# pm4py.write_xes and pm4py.read_xes hold the whole log as Python objects: above this size the
# generated XES is not written (see XES_SKIP_REASON).
MAX_XES_EVENTS = 1_000_000
XES_SKIP_REASON = (
    "no generated XES above 1M events: pm4py.write_xes builds the whole log as Python objects "
    "to write it, and pm4py.read_xes of the 1M-event file already needs several GiB"
)


@dataclass(frozen=True)
class Columns:
    """Source column names of a log (for pm4py's `format_dataframe` and its statistics)."""

    case: str
    activity: str
    timestamp: str
    start_timestamp: str | None = None
    resource: str | None = None
    team: str | None = None


@dataclass(frozen=True)
class Dataset:
    """One log and the files each side reads it from.

    `source` is what servflow ingests into `db` for the analysis steps; `parquet` is what the
    pm4py side reads its DataFrame from (the same events). `flt` is the filter of the filtered
    process map: `{"kind": "case_attribute", "attribute", "values"}` or
    `{"kind": "time_window", "start", "end"}` (cases contained in the window).
    """

    key: str
    title: str
    nominal_events: int
    generated: bool
    columns: Columns
    source: str | None = None
    parquet: str | None = None
    csv: str | None = None
    xes: str | None = None
    db: str | None = None
    log_name: str | None = None
    flt: dict[str, Any] = field(default_factory=dict)
    skip: dict[str, str] = field(default_factory=dict)  # step -> reason

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> Dataset:
        values = dict(data)
        values["columns"] = Columns(**values["columns"])
        return Dataset(**values)


def parse_size(text: str) -> int:
    """'100k' -> 100000, '1m' -> 1000000, '2500' -> 2500.

    >>> [parse_size(s) for s in ("100k", "1m", "10M", "2500")]
    [100000, 1000000, 10000000, 2500]
    """
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if factor > 1 else text
    return int(float(number) * factor)


def size_label(events: int) -> str:
    """1000000 -> '1m', 100000 -> '100k'."""
    if events % 1_000_000 == 0:
        return f"{events // 1_000_000}m"
    if events % 1_000 == 0:
        return f"{events // 1_000}k"
    return str(events)


TELECOM_COLUMNS = Columns(
    case="ticket_id",
    activity="activity",
    timestamp="timestamp",
    start_timestamp="start_timestamp",
    resource="resource",
    team="team",
)


def generated_dataset(events: int, *, with_csv: bool = True) -> Dataset:
    """The generated telecom log of about `events` events (files are made by `bench.prepare`)."""
    label = size_label(events)
    stem = DATA / f"telecom_{events}"
    skip: dict[str, str] = {}
    xes: str | None = str(stem) + ".xes.gz"
    if events > MAX_XES_EVENTS:
        xes = None
        skip["ingest_xes"] = XES_SKIP_REASON
    if not with_csv:
        skip["ingest_csv"] = "CSV not requested (--no-csv)"
    return Dataset(
        key=f"telecom-{label}",
        title=f"generated telecom log, {label} events",
        nominal_events=events,
        generated=True,
        columns=TELECOM_COLUMNS,
        source=str(stem) + ".parquet",
        parquet=str(stem) + ".parquet",
        csv=str(stem) + ".csv" if with_csv else None,
        xes=xes,
        db=str(DATA / "db" / f"telecom_{events}.duckdb"),
        log_name=f"telecom_{label}",
        flt={"kind": "case_attribute", "attribute": "channel", "values": ["APP"]},
        skip=skip,
    )


def real_datasets() -> tuple[list[Dataset], list[tuple[str, str]]]:
    """The real logs found in the shared log folder, and (name, reason) for those absent."""
    found: list[Dataset] = []
    absent: list[tuple[str, str]] = []
    fines = SHARED_LOGS / "road_traffic_fines.csv.gz"
    if fines.exists():
        found.append(
            Dataset(
                key="road-fines",
                title="Road Traffic Fine Management (real), 561,470 events",
                nominal_events=561_470,
                generated=False,
                columns=Columns(
                    case="case_id", activity="activity", timestamp="timestamp", resource="resource"
                ),
                source=str(fines),
                parquet=str(DATA / "road_traffic_fines.parquet"),
                csv=str(fines),
                db=str(DATA / "db" / "road_traffic_fines.duckdb"),
                log_name="road_traffic_fines",
                # the log has no case-level attribute (every column varies within a case or is
                # missing on some events): the map is filtered by a time window instead
                flt={
                    "kind": "time_window",
                    "start": "2006-01-01 00:00:00",
                    "end": "2009-01-01 00:00:00",
                },
                skip={
                    "ingest_parquet": "the real log is published as CSV; its Parquet copy is "
                    "only the pm4py side's input",
                    "ingest_xes": "the real log is published as CSV only",
                },
            )
        )
    else:
        absent.append(("road-fines", f"{fines} is absent (set SERVFLOW_SHARED_LOGS)"))
    for key, file, title, events in (
        ("helpdesk-xes", "helpdesk.xes.gz", "Helpdesk (real), XES", 21_348),
        (
            "bpic2013-xes",
            "bpic2013_incidents.xes.gz",
            "BPI Challenge 2013 incidents (real), XES",
            65_533,
        ),
    ):
        path = SHARED_LOGS / file
        if not path.exists():
            absent.append((key, f"{path} is absent (set SERVFLOW_SHARED_LOGS)"))
            continue
        found.append(
            Dataset(
                key=key,
                title=title,
                nominal_events=events,
                generated=False,
                columns=Columns(
                    case="case:concept:name", activity="concept:name", timestamp="time:timestamp"
                ),
                xes=str(path),
            )
        )
    return found, absent
