"""Run every analysis on a log, store the results as one mining run, and report them.

`mine_log` computes flows, bottlenecks, rework and ping-pong, hand-overs, break points, SLA
breaches, the service-quality scorecard, conformance and root causes, then stores them in one
transaction as run `run_id` (table `mining_runs` plus one `run_<section>` table per section).
`build_report` reads a stored run back as the JSON-ready object `servflow report` prints.

>>> import tempfile, pathlib
>>> from mining import store
>>> from mining.ingest import ingest_file
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "t.csv").write_text(
...     "case,activity,time\\n1,A,2024-01-01 08:00\\n1,B,2024-01-01 09:00\\n"
...     "2,A,2024-01-01 08:30\\n2,B,2024-01-01 10:30\\n")
>>> with store.connect(folder / "db.duckdb") as con:
...     _ = ingest_file(con, folder / "t.csv")
...     run = mine_log(con, "t", MiningOptions(conformance=False))
...     report = build_report(con, "t")
>>> [(e["source"], e["target"], e["count"], e["median_s"]) for e in report["dfg"]]
[('A', 'B', 2, 5400.0)]
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable, Collection
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from mining import (
    bottlenecks,
    breakpoints,
    conformance,
    flows,
    handover,
    kpis,
    rework,
    rootcause,
    store,
)
from mining.errors import InputError
from mining.filters import LogFilter, filter_to_json, shared_selection
from mining.results import read_section, schema_markdown, write_section

__all__ = [
    "SECTIONS",
    "Endpoint",
    "MiningOptions",
    "MiningRun",
    "SectionListener",
    "StalledCase",
    "build_report",
    "latest_run_id",
    "mine_log",
]

Progress = Callable[[str], None]
# Told each section's rows as soon as they are final: (section, rows, the run's as-of time once
# the break points have set it, else None). Runs in the mining thread; it must not query the
# connection (a reader beside the mining starts its own work from what it is told).
SectionListener = Callable[[str, tuple[Any, ...], datetime | None], None]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A start or end activity of the log and the number of cases starting or ending with it."""

    kind: str
    activity: str
    count: int


@dataclass(frozen=True, slots=True)
class StalledCase:
    """A case stalled at the run's as-of time (see run_breakpoints)."""

    case_id: str


@dataclass(frozen=True, slots=True)
class MiningOptions:
    """What to compute and with which settings. The defaults learn everything from the log.

    - `as_of`: the "now" of break points and SLA (default: the log's last event).
    - `sla_targets_s` / `sla_attribute` / `default_sla_s`: lead-time targets per value of a case
      attribute (ticket type); SLA breaches are computed only when targets are given.
    - `end_activities`: activities that end a case (default: learned from the log).
    - `idle_threshold_s`: idle time after which an open case counts as stalled (default: learned
      per activity from the log).
    - `reference_model`: a BPMN or PNML file to check conformance against (default: a model
      discovered from the log); `conformance=False` skips conformance.
    """

    flt: LogFilter | None = None
    as_of: datetime | None = None
    sla_targets_s: tuple[tuple[str, float], ...] = ()
    sla_attribute: str | None = None
    default_sla_s: float | None = None
    end_activities: tuple[str, ...] | None = None
    idle_threshold_s: float | None = None
    reference_model: Path | None = None
    conformance: bool = True
    conformance_max_variants: int = 200
    variants_kept: int = 1000
    kpi_columns: Any = None  # mining.kpis.KpiColumns

    def as_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "flt"}
        data["kpi_columns"] = (
            dataclasses.asdict(self.kpi_columns) if self.kpi_columns is not None else None
        )
        return json.loads(json.dumps(data, default=str))


@dataclass(frozen=True, slots=True)
class MiningRun:
    """A stored mining run: its id, what it saw, and its results by section."""

    run_id: int
    log_name: str
    as_of: datetime | None
    cases: int
    events: int
    duration_s: float
    summary: dict[str, Any] = field(default_factory=dict)


# Section name -> result row type: the stored `run_<section>` tables, in report order.
SECTIONS: dict[str, type] = {
    "kpis": kpis.Kpi,
    "dfg": flows.DfgEdge,
    "endpoints": Endpoint,
    "activities": flows.ActivityStatistics,
    "variants": flows.Variant,
    "bottlenecks": bottlenecks.Bottleneck,
    "activity_bottlenecks": bottlenecks.ActivityBottleneck,
    "rework": rework.ReworkRow,
    "rework_loops": rework.ReworkLoop,
    "pingpong": rework.PingPongRow,
    "handovers_team": handover.HandoverEdge,
    "handover_team_nodes": handover.HandoverNode,
    "handovers_resource": handover.HandoverEdge,
    "breakpoints": breakpoints.BreakpointRow,
    "stalled_cases": StalledCase,
    "sla": breakpoints.SlaRow,
    "conformance_variants": conformance.VariantFitness,
    "deviations": conformance.Deviation,
    "root_causes_lead_time": rootcause.RootCause,
    "root_causes_rework": rootcause.RootCause,
    "root_causes_stalled": rootcause.RootCause,
}


def _scalars(report: Any) -> dict[str, Any]:
    """The run-level figures of a report: its fields that are not tuples of rows."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(report):
        value = getattr(report, f.name)
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            continue
        if f.name == "graph":
            continue
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return json.loads(json.dumps(out, default=str))


def mine_log(
    con: duckdb.DuckDBPyConnection,
    log_name: str,
    options: MiningOptions | None = None,
    *,
    progress: Progress | None = None,
    on_section: SectionListener | None = None,
) -> MiningRun:
    """Compute every analysis of `log_name` and store it as a new mining run.

    `on_section` is told each section's rows as soon as they are final (before they are stored).
    """
    options = options or MiningOptions()
    log_id = store.log_id_for(con, log_name)
    # every section reads the same selection: its views and shared tables are built once
    with shared_selection(con, log_id, options.flt), ExitStack() as beside:
        return _mine(con, log_name, log_id, options, progress, on_section, beside)


def _mine(
    con: duckdb.DuckDBPyConnection,
    log_name: str,
    log_id: int,
    options: MiningOptions,
    progress: Progress | None,
    on_section: SectionListener | None,
    beside: ExitStack,
) -> MiningRun:
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    started_at = datetime.now(UTC).replace(tzinfo=None)
    flt = options.flt
    rows: dict[str, tuple[Any, ...]] = {}
    summary: dict[str, Any] = {}
    as_of: datetime | None = None  # set by the break points

    def final(*sections: str) -> None:
        if on_section is not None:
            for section in sections:
                on_section(section, rows[section], as_of)

    say("flows")
    dfg = flows.discover_dfg(con, log_id, flt=flt)
    if dfg.cases == 0:
        raise InputError(
            f"Log {log_name!r} has no cases under this filter: nothing to mine. "
            "Widen the filter, or load events first."
        )
    if options.conformance:
        # importing pm4py, discovery and alignments take seconds of Python: they run in a thread
        # (no SQL there) while the sections below query DuckDB, which releases the GIL. Every
        # section applies the same filter, so the views conformance finishes on are the same.
        finish_conformance = conformance.start_conformance(
            con,
            log_id,
            flt=flt,
            model=options.reference_model,
            max_variants=options.conformance_max_variants,
        )
    rows["dfg"] = dfg.edges
    rows["endpoints"] = tuple(
        Endpoint("start", a.activity, a.count) for a in dfg.start_activities
    ) + tuple(Endpoint("end", a.activity, a.count) for a in dfg.end_activities)
    rows["activities"] = flows.get_activity_statistics(con, log_id, flt=flt)
    variants = flows.get_variants(con, log_id, flt=flt)
    rows["variants"] = variants[: options.variants_kept]
    lead = flows.summarize_lead_times(con, log_id, flt=flt)
    summary["lead_time"] = _scalars(lead)
    summary["variants"] = {"distinct": len(variants), "kept": len(rows["variants"])}
    final("dfg", "endpoints", "activities", "variants")

    say("break points")
    breaks = breakpoints.find_breakpoints(
        con,
        log_id,
        flt=flt,
        as_of=options.as_of,
        idle_threshold_s=options.idle_threshold_s,
        end_activities=options.end_activities,
    )
    as_of = breaks.as_of
    end_activities = breaks.end_activities
    rows["breakpoints"] = breaks.rows
    rows["stalled_cases"] = tuple(StalledCase(c) for c in breaks.stalled_case_ids)
    summary["breakpoints"] = _scalars(breaks)
    final("breakpoints", "stalled_cases")
    # root causes read the log, the filter and the stalled cases only: they run on a connection
    # of their own beside the sections below
    stalled = breaks.stalled_case_ids
    root_causes = beside.enter_context(
        store.beside(
            con,
            lambda side: rootcause.find_root_causes_by_outcome(
                side,
                log_id,
                flt=flt,
                as_of=as_of,
                end_activities=end_activities,
                stalled_case_ids=stalled,
            ),
        )
    )

    say("bottlenecks")
    rows["bottlenecks"] = bottlenecks.find_bottlenecks(con, log_id, flt=flt)
    rows["activity_bottlenecks"] = bottlenecks.find_activity_bottlenecks(con, log_id, flt=flt)
    final("bottlenecks", "activity_bottlenecks")

    say("rework and ping-pong")
    rework_report = rework.find_rework(con, log_id, flt=flt)
    rows["rework"], rows["rework_loops"] = rework_report.rows, rework_report.loops
    summary["rework"] = _scalars(rework_report)
    pingpong = rework.find_pingpong(con, log_id, flt=flt)
    rows["pingpong"] = pingpong.rows
    summary["pingpong"] = _scalars(pingpong)
    final("rework", "rework_loops", "pingpong")

    say("service-quality scorecard")
    columns = options.kpi_columns or kpis.KpiColumns()
    if options.end_activities and columns.resolution_activities is None:
        # configured end activities are what "resolved" means unless said otherwise
        columns = dataclasses.replace(columns, resolution_activities=options.end_activities)
    card = kpis.compute_kpis(con, log_id, flt=flt, columns=columns)
    rows["kpis"] = card.kpis
    summary["kpis"] = _scalars(card)
    final("kpis")

    say("hand-over network")
    teams = handover.build_handover_network(con, log_id, flt=flt, level="team")
    rows["handovers_team"], rows["handover_team_nodes"] = teams.edges, teams.nodes
    summary["handovers_team"] = _scalars(teams) | {
        "cycles": [dataclasses.asdict(c) for c in teams.cycles]
    }
    # Agent networks of large logs have millions of pairs: the most frequent are detailed.
    people = handover.rank_handovers(con, log_id, flt=flt, level="resource")
    rows["handovers_resource"] = people.edges
    summary["handovers_resource"] = _scalars(people)
    final("handovers_team", "handover_team_nodes", "handovers_resource")

    if options.sla_targets_s or options.default_sla_s is not None:
        if not options.sla_attribute:
            raise InputError(
                "SLA targets need the case attribute that holds the ticket type: "
                "give --sla-attribute (e.g. ticket_type)."
            )
        sla = breakpoints.find_sla_breaches(
            con,
            log_id,
            targets=dict(options.sla_targets_s),
            type_attribute=options.sla_attribute,
            default_target_s=options.default_sla_s,
            flt=flt,
            as_of=as_of,
            end_activities=end_activities,
        )
        rows["sla"] = sla.rows
        summary["sla"] = _scalars(sla)
    else:
        rows["sla"] = ()
        summary["sla"] = {"available": False, "note": "no SLA targets configured"}
    final("sla")

    if options.conformance:
        say("conformance")
        checked = finish_conformance()
        rows["conformance_variants"] = checked.variant_fitness
        rows["deviations"] = checked.deviations
        summary["conformance"] = _scalars(checked)
    else:
        rows["conformance_variants"] = rows["deviations"] = ()
        summary["conformance"] = {"available": False, "note": "conformance not requested"}
    final("conformance_variants", "deviations")

    say("root causes")
    by_outcome = root_causes()
    for outcome, causes in by_outcome.items():
        rows[f"root_causes_{outcome}"] = causes.causes
        summary[f"root_causes_{outcome}"] = _scalars(causes)
        final(f"root_causes_{outcome}")

    say("storing results")
    duration = time.perf_counter() - started
    with store.transaction(con):
        run_row = store.one(con, "SELECT coalesce(max(run_id), 0) + 1 FROM mining_runs")
        run_id = int(run_row[0]) if run_row else 1
        last_load = store.one(
            con, "SELECT coalesce(max(load_id), 0) FROM loads WHERE log_id = ?", [log_id]
        )
        con.execute(
            "INSERT INTO mining_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                log_id,
                log_name,
                started_at,
                duration,
                as_of,
                int(last_load[0]) if last_load else 0,
                dfg.cases,
                dfg.events,
                json.dumps(_filter_json(flt), ensure_ascii=False),
                json.dumps(options.as_json(), ensure_ascii=False),
                json.dumps(summary, ensure_ascii=False, default=str),
                _version(),
            ],
        )
        for section, row_type in SECTIONS.items():
            write_section(con, run_id, section, row_type, rows.get(section, ()))
    return MiningRun(run_id, log_name, as_of, dfg.cases, dfg.events, duration, summary)


def _filter_json(flt: LogFilter | None) -> dict[str, Any]:
    return filter_to_json(flt)


def _version() -> str:
    try:
        return metadata.version("servflow")
    except metadata.PackageNotFoundError:
        return "unknown"


def latest_run_id(con: duckdb.DuckDBPyConnection, log_name: str) -> int | None:
    """The newest stored run of `log_name`, or None."""
    log_id = store.log_id_for(con, log_name)
    row = store.one(con, "SELECT max(run_id) FROM mining_runs WHERE log_id = ?", [log_id])
    return int(row[0]) if row and row[0] is not None else None


def build_report(
    con: duckdb.DuckDBPyConnection,
    log_name: str,
    run_id: int | None = None,
    *,
    sections: Collection[str] | None = None,
) -> dict[str, Any]:
    """The findings of a stored run (default: the newest) as one JSON-ready object.

    `sections`: read only these sections (default: every one; the scorecard and the start and
    end activities are always read)."""
    run_id = run_id if run_id is not None else latest_run_id(con, log_name)
    if run_id is None:
        raise InputError(
            f"Log {log_name!r} has not been mined yet: run `servflow mine {log_name}` first."
        )
    cursor = con.execute("SELECT * FROM mining_runs WHERE run_id = ?", [run_id])
    names = [d[0] for d in cursor.description or []]
    found = cursor.fetchall()
    if not found:
        raise InputError(f"There is no mining run {run_id}; see `servflow report {log_name}`.")
    run = dict(zip(names, found[0], strict=True))
    if run["log_name"] != log_name:
        raise InputError(
            f"Mining run {run_id} belongs to log {run['log_name']!r}, not {log_name!r}."
        )
    summary = json.loads(run["summary"])
    wanted = set(SECTIONS) if sections is None else {"kpis", "endpoints", *sections}
    stored = {name: read_section(con, run_id, name) for name in SECTIONS if name in wanted}
    newer = store.one(
        con,
        "SELECT count(*) FROM loads WHERE log_id = ? AND load_id > ?",
        [run["log_id"], run["last_load_id"]],
    )
    report: dict[str, Any] = {
        "log": log_name,
        "run_id": run_id,
        "mined_at": run["started_at"],
        "as_of": run["as_of"],
        "stale": bool(newer and newer[0]),
        "filter": json.loads(run["filter"]),
        "cases": run["cases"],
        "events": run["events"],
        "lead_time": summary.get("lead_time"),
        "kpis": {k.pop("name"): k for k in stored.pop("kpis")},
        "start_activities": [
            {"activity": e["activity"], "count": e["count"]}
            for e in stored["endpoints"]
            if e["kind"] == "start"
        ],
        "end_activities": [
            {"activity": e["activity"], "count": e["count"]}
            for e in stored.pop("endpoints")
            if e["kind"] == "end"
        ],
    }
    for name, rows in stored.items():
        report[name] = rows
    report["summary"] = summary
    report["options"] = json.loads(run["options"])
    report["servflow_version"] = run["servflow_version"]
    return report


def _main(argv: list[str]) -> int:
    if argv[:1] == ["--schema"]:
        sys.stdout.write(schema_markdown(SECTIONS))
        return 0
    print("usage: python -m mining.run --schema", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
