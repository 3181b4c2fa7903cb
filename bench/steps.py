"""What each benchmark step runs: servflow, the closest pm4py equivalent, and a DuckDB reference.

Every (step, tool) pair has a setup function that prepares its input (untimed) and returns a
`Runner`: `before_each` runs untimed before every repeat, `run` is the timed call and returns a
few facts about its result (edge and variant counts ...) so the two sides can be checked to have
computed the same thing.

The pm4py side works on a pandas DataFrame read from the same Parquet file and prepared with
`pm4py.format_dataframe` (the "load" of the pm4py side, timed only in the ingest steps), and uses
only pm4py's front layer (`pm4py.*`). Where pm4py has no function (break points) the pm4py side is
pandas on the same DataFrame, and the step says so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bench.datasets import Dataset

__all__ = [
    "STEPS",
    "Runner",
    "Step",
    "load_frame",
    "pandas_breakpoints",
    "reference_step",
    "setup_runner",
]

Tool = Literal["servflow", "pm4py", "reference"]
Facts = dict[str, Any]


@dataclass
class Runner:
    """The timed call of one measurement, and what to do (untimed) before each repeat."""

    run: Callable[[], Facts]
    before_each: Callable[[], None] = lambda: None
    phases: list[tuple[str, float]] = field(default_factory=list)  # of the last run


@dataclass(frozen=True)
class Step:
    """A benchmark step: what servflow, pm4py and the reference compute."""

    name: str
    title: str
    kind: Literal["ingest", "analysis"]
    servflow: str
    pm4py: str
    reference: str
    skip_reason: str | None = None


STEPS: dict[str, Step] = {
    s.name: s
    for s in (
        Step(
            "ingest_parquet",
            "Ingest Parquet",
            "ingest",
            "`ingest_file` into a new DuckDB file (read, map columns, parse timestamps, "
            "data-quality checks, integer-code labels, sort, successor columns, case table), "
            "then close the file",
            "`pandas.read_parquet` + `pm4py.format_dataframe` (the DataFrame pm4py works on)",
            "DuckDB `CREATE TABLE AS SELECT * FROM read_parquet(...)` into a new file",
        ),
        Step(
            "ingest_csv",
            "Ingest CSV",
            "ingest",
            "`ingest_file` of the CSV into a new DuckDB file, then close it",
            "`pandas.read_csv` + `pm4py.format_dataframe` (parses the timestamps)",
            "DuckDB `CREATE TABLE AS SELECT * FROM read_csv(...)` into a new file",
        ),
        Step(
            "ingest_xes",
            "Ingest XES",
            "ingest",
            "`ingest_file` of the XES (streaming, hardened lxml parse) into a new DuckDB file",
            "`pm4py.read_xes` (to a DataFrame)",
            "`lxml.etree.iterparse` over the file, counting events (the XML parse alone)",
        ),
        Step(
            "dfg",
            "DFG, frequency + performance",
            "analysis",
            "`flows.discover_dfg` (edge counts, cases, mean/median/P90/min/max/total time, "
            "start/end activities, activity counts)",
            "`pm4py.discover_dfg` + `pm4py.discover_performance_dfg` (all aggregations)",
            "one DuckDB scan/aggregate of the stored events: `SELECT activity_id, "
            "next_activity_id, count(*), avg(epoch(next_ts) - epoch(ts)) FROM events GROUP BY ALL`",
        ),
        Step(
            "variants",
            "Variants",
            "analysis",
            "`flows.get_variants` (count, share, median and mean lead time per variant)",
            "`pm4py.get_variants` (counts only)",
            "the event scan above",
        ),
        Step(
            "rework",
            "Rework",
            "analysis",
            "`rework.find_rework` (cases, repetitions, self-loops vs longer loops, extra time, "
            "lead-time excess per activity, loop bodies)",
            "`pm4py.get_rework_cases_per_activity` (cases per activity only)",
            "the event scan above",
        ),
        Step(
            "breakpoints",
            "Break points",
            "analysis",
            "`breakpoints.find_breakpoints` (end activities learned, P90 follow-up gap per "
            "activity, stalled cases, drop-out share per activity)",
            "pm4py's front layer has no break-point function: the same definition in pandas on "
            "the pm4py DataFrame (groupby shift, quantiles, last event per case)",
            "the event scan above",
        ),
        Step(
            "filtered_map",
            "Filtered process map",
            "analysis",
            "`flows.discover_dfg` under a `LogFilter` (case attribute channel = APP; the road "
            "fines log has no case attribute: cases contained in 2006-2008)",
            "`pm4py.filter_trace_attribute_values` (or `pm4py.filter_time_range`, "
            "traces_contained) + `pm4py.discover_dfg` + `pm4py.discover_performance_dfg`",
            "the event scan above restricted to the filtered cases (semi-join on `cases`)",
        ),
        Step(
            "full",
            "Full analysis",
            "analysis",
            "`run.mine_log` with default options: flows, bottlenecks (edges and activities), "
            "rework and ping-pong, hand-over networks (teams and agents, with betweenness and "
            "cycles), break points, KPI scorecard, conformance (IMf 0.2 model, alignments per "
            "variant, at most 200 variants), root causes (3 outcomes), stored as one run",
            "what pm4py's front layer can compute of the same report: `discover_dfg`, "
            "`discover_performance_dfg`, `get_variants`, `get_all_case_durations`, "
            "`get_rework_cases_per_activity`, `get_service_time` (mean and median, events with "
            "a start time), `discover_handover_of_work_network` (teams and agents), "
            "`discover_petri_net_inductive` (noise 0.2), `conformance_diagnostics_alignments` "
            "(pm4py aligns each variant once; the 200 most frequent variants)",
            "the event scan above",
        ),
        Step(
            "mine_cli",
            "`servflow mine` against a pm4py script, whole processes",
            "analysis",
            "the command `servflow mine LOG --db DB --quiet` as a user runs it on the ingested "
            "log: a new process, start-up and imports included, every section computed and "
            "stored, the summary printed",
            "a new Python process running a pm4py script: `pandas.read_parquet` + "
            "`pm4py.format_dataframe`, `discover_dfg`, `discover_performance_dfg`, "
            "`get_variants`, `get_rework_cases_per_activity`, `get_all_case_durations`, "
            "`discover_petri_net_inductive` (noise 0.2)",
            "the event scan above",
        ),
        Step(
            "dashboard_map",
            "Dashboard: process map after a filter change",
            "analysis",
            "what the dashboard server does when a filter changes on the process-map page (no "
            "cache hit): open the read-only database, `flows.discover_dfg` under the filter of "
            "`filtered_map`, `flows.simplify_map` to 80 % of activities and paths, and the "
            "escaped Graphviz DOT text (`dashboard.graph.process_map_dot`) sent to the browser",
            "pm4py has no dashboard: the filtered map of `filtered_map` (filter + "
            "`discover_dfg` + `discover_performance_dfg`)",
            "the filtered event scan of `filtered_map`",
        ),
        Step(
            "candidates",
            "Optimization candidates",
            "analysis",
            "`find_candidates` on a stored mining run (per-activity criteria, restructuring "
            "heuristics, every candidate replayed on all cases) + `estimate_whatif` of the top "
            "replayable restructuring candidate (200-round bootstrap); the mining run is made "
            "untimed in setup when the log has none",
            "-",
            "the event scan above",
        ),
    )
}

# Columns pm4py's statistics pick up by name: a column literally called `start_timestamp` is
# taken as the start time by some functions (`get_all_case_durations` then fails on it), so the
# start time is renamed and passed explicitly where it is meant to be used.
PM4PY_START = "start_time"
# pm4py's DataFrame columns after format_dataframe
CASE, ACTIVITY, TIMESTAMP = "case:concept:name", "concept:name", "time:timestamp"
MAX_ALIGNED_VARIANTS = 200  # servflow's MiningOptions.conformance_max_variants default
NOISE_THRESHOLD = 0.2  # servflow's check_conformance discovery_noise_threshold default


def setup_runner(step: str, tool: Tool, ds: Dataset, work: Path) -> Runner:
    """Prepare one measurement of `step` by `tool` on `ds` (scratch files go to `work`)."""
    setup = _SETUPS[(step, tool)]
    return setup(ds, work)


# --- servflow -----------------------------------------------------------------------------------


def _servflow_ingest(path_attr: str) -> Callable[[Dataset, Path], Runner]:
    def setup(ds: Dataset, work: Path) -> Runner:
        from mining import store
        from mining.ingest import IngestOptions, ingest_file

        source = getattr(ds, path_attr)
        db = work / "ingest.duckdb"
        runner = Runner(run=lambda: {})

        def clean() -> None:
            for p in work.glob("ingest.duckdb*"):
                if p.is_dir():
                    _remove_tree(p)
                else:
                    p.unlink()

        def run() -> Facts:
            marks: list[tuple[str, float]] = [("open database", time.perf_counter())]
            con = store.connect(db)
            result = ingest_file(
                con,
                source,
                IngestOptions(log_name=ds.log_name or ds.key),
                progress=lambda message: marks.append((message, time.perf_counter())),
            )
            marks.append(("close (checkpoint)", time.perf_counter()))
            con.close()
            runner.phases = _phases(marks, time.perf_counter())
            return {
                "events": result.events_added,
                "cases": result.cases_added,
                "rejected": result.rows_rejected,
            }

        runner.run, runner.before_each = run, clean
        return runner

    return setup


def _phases(marks: list[tuple[str, float]], end: float) -> list[tuple[str, float]]:
    """(phase, seconds) from progress messages: each phase lasts until the next message."""
    out = []
    for (label, at), (_, nxt) in zip(marks, [*marks[1:], ("", end)], strict=True):
        out.append((_short(label), round(nxt - at, 4)))
    return out


def _short(label: str) -> str:
    # "reading /long/path as csv" -> "reading as csv"; "parsing timestamps of 1,000 rows" -> ...
    words = [w for w in label.split() if "/" not in w]
    return re.sub(r" of [\d,]+ rows$", "", " ".join(words))


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _servflow_analysis(
    compute: Callable[[Any, int, Dataset, Runner], Facts],
    *,
    writes: bool = False,
    uses_pm4py: bool = False,
) -> Callable[[Dataset, Path], Runner]:
    def setup(ds: Dataset, work: Path) -> Runner:
        from mining import store

        if uses_pm4py:
            # imported lazily by servflow; the pm4py side imports it before timing too
            import pm4py  # noqa: F401

        assert ds.db and ds.log_name
        con = store.connect(ds.db, read_only=not writes)
        log_id = store.log_id_for(con, ds.log_name)
        runner = Runner(run=lambda: {})
        runner.run = lambda: compute(con, log_id, ds, runner)
        return runner

    return setup


def _log_filter(ds: Dataset) -> Any:
    from datetime import datetime

    from mining.filters import LogFilter

    flt = ds.flt
    if flt["kind"] == "case_attribute":
        return LogFilter(case_attributes=((flt["attribute"], tuple(flt["values"])),))
    return LogFilter(
        start=datetime.fromisoformat(flt["start"]),
        end=datetime.fromisoformat(flt["end"]),
        time_mode="contained",
    )


def _sf_dfg(con: Any, log_id: int, ds: Dataset, runner: Runner) -> Facts:
    from mining import flows

    dfg = flows.discover_dfg(con, log_id)
    return {"edges": len(dfg.edges), "cases": dfg.cases, "events": dfg.events}


def _sf_filtered_map(con: Any, log_id: int, ds: Dataset, runner: Runner) -> Facts:
    from mining import flows

    dfg = flows.discover_dfg(con, log_id, flt=_log_filter(ds))
    return {"edges": len(dfg.edges), "cases": dfg.cases, "events": dfg.events}


def _sf_dashboard_map(ds: Dataset, work: Path) -> Runner:
    """The dashboard's server-side work for one filter change on the process-map page."""
    from dashboard.graph import process_map_dot
    from mining import flows, store

    assert ds.db and ds.log_name
    flt = _log_filter(ds)

    def run() -> Facts:
        with store.connect(ds.db, read_only=True) as con:
            log_id = store.log_id_for(con, ds.log_name or "")
            full = flows.discover_dfg(con, log_id, flt=flt)
        shown = flows.simplify_map(full, activity_share=0.8, path_share=0.8)
        dot = process_map_dot(shown, measure="performance")
        return {"edges": len(full.edges), "cases": full.cases, "dot_bytes": len(dot)}

    return Runner(run=run)


def _sf_variants(con: Any, log_id: int, ds: Dataset, runner: Runner) -> Facts:
    from mining import flows

    return {"variants": len(flows.get_variants(con, log_id))}


def _sf_rework(con: Any, log_id: int, ds: Dataset, runner: Runner) -> Facts:
    from mining import rework

    report = rework.find_rework(con, log_id)
    return {
        "activities_with_rework": sum(1 for r in report.rows if r.cases > 0),
        "rework_cases": {r.activity: r.cases for r in report.rows},
    }


def _sf_breakpoints(con: Any, log_id: int, ds: Dataset, runner: Runner) -> Facts:
    from mining import breakpoints

    report = breakpoints.find_breakpoints(con, log_id)
    return {
        "stalled_cases": report.stalled_cases,
        "end_activities": sorted(report.end_activities),
    }


def _sf_full(con: Any, log_id: int, ds: Dataset, runner: Runner) -> Facts:
    from mining.run import MiningOptions, mine_log

    assert ds.log_name
    marks: list[tuple[str, float]] = [("start", time.perf_counter())]
    run = mine_log(
        con,
        ds.log_name,
        MiningOptions(),
        progress=lambda message: marks.append((message, time.perf_counter())),
    )
    runner.phases = _phases(marks[1:], time.perf_counter())
    return {
        "cases": run.cases,
        "events": run.events,
        "variants": run.summary.get("variants", {}).get("distinct"),
    }


def _timed_process(command: list[str], runner: Runner) -> tuple[str, float]:
    """Run `command` as a new process; (its stdout, its peak resident memory in bytes)."""
    import resource
    import subprocess

    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    # communicate() has reaped the child: its peak is in the children's rusage (the largest
    # child so far; every child of this worker runs the same command)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    runner.phases = [("whole process", round(time.perf_counter() - started, 4))]
    if proc.returncode != 0:
        raise RuntimeError(f"{command[:4]} exited with {proc.returncode}: {err[-2000:]}")
    return out, float(peak)


def _servflow_cli(ds: Dataset, work: Path) -> Runner:
    import sys

    assert ds.db and ds.log_name
    script = Path(sys.executable).with_name("servflow")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "servflow.cli"]
    command += ["mine", ds.log_name, "--db", ds.db, "--quiet"]
    runner = Runner(run=lambda: {})

    def run() -> Facts:
        out, peak = _timed_process(command, runner)
        head = re.search(r"([\d,]+) cases, ([\d,]+) events", out)
        facts: Facts = {"process_peak_bytes": peak}
        if head:
            facts["cases"] = int(head.group(1).replace(",", ""))
            facts["events"] = int(head.group(2).replace(",", ""))
        return facts

    runner.run = run
    return runner


# The pm4py side of `mine_cli`: what a user's script computes, from the Parquet file.
PM4PY_SCRIPT = """
import json, sys
import pandas as pd
import pm4py
path, case, activity, timestamp, start = sys.argv[1:6]
df = pd.read_parquet(path)
if start:  # a column named start_timestamp would be taken as the start time, and fail
    df = df.rename(columns={start: "start_time"})
df = pm4py.format_dataframe(df, case_id=case, activity_key=activity, timestamp_key=timestamp)
dfg, start, end = pm4py.discover_dfg(df)
performance = pm4py.discover_performance_dfg(df)
variants = pm4py.get_variants(df)
rework = pm4py.get_rework_cases_per_activity(df)
durations = pm4py.get_all_case_durations(df)
net, im, fm = pm4py.discover_petri_net_inductive(df, noise_threshold=0.2, multi_processing=False)
print(json.dumps({"events": len(df), "cases": len(durations), "variants": len(variants),
                  "edges": len(dfg), "transitions": len(net.transitions)}))
"""


def _pm4py_script(ds: Dataset, work: Path) -> Runner:
    import json
    import sys

    assert ds.parquet
    cols = ds.columns
    command = [sys.executable, "-c", PM4PY_SCRIPT, ds.parquet, cols.case, cols.activity]
    command += [cols.timestamp, cols.start_timestamp or ""]
    runner = Runner(run=lambda: {})

    def run() -> Facts:
        out, peak = _timed_process(command, runner)
        facts: Facts = json.loads(out.strip().splitlines()[-1])
        facts["process_peak_bytes"] = peak
        return facts

    runner.run = run
    return runner


def _servflow_candidates(ds: Dataset, work: Path) -> Runner:
    from mining import store
    from mining.run import MiningOptions, latest_run_id, mine_log

    assert ds.db and ds.log_name
    con = store.connect(ds.db)
    run_id = latest_run_id(con, ds.log_name)
    if run_id is None:
        run_id = mine_log(con, ds.log_name, MiningOptions(conformance=False)).run_id
    runner = Runner(run=lambda: {})

    def run() -> Facts:
        from optimization.candidates import find_candidates
        from optimization.replay import load_cases
        from optimization.whatif import estimate_whatif

        started = time.perf_counter()
        cases = load_cases(con, run_id)  # read once, for the ranking and the what-if
        found = find_candidates(con, run_id, cases=cases)
        ranked = time.perf_counter()
        top = next((c for c in found.restructuring if c.change is not None), None)
        whatif = (
            estimate_whatif(con, run_id, top.id, candidates=found, cases=cases) if top else None
        )
        runner.phases = [
            ("candidates", round(ranked - started, 4)),
            ("what-if", round(time.perf_counter() - ranked, 4)),
        ]
        return {
            "automation": len(found.automation),
            "restructuring": len(found.restructuring),
            "top_automation": found.automation[0].activity if found.automation else None,
            "whatif": top.id if top else None,
            "whatif_cases_changed": whatif.cases_changed if whatif else None,
        }

    runner.run = run
    return runner


# --- pm4py --------------------------------------------------------------------------------------


def load_frame(ds: Dataset) -> Any:
    """The pm4py DataFrame of `ds`: its Parquet file through `pm4py.format_dataframe`."""
    import pandas as pd
    import pm4py

    assert ds.parquet
    cols = ds.columns
    df = pd.read_parquet(ds.parquet)
    if cols.start_timestamp:
        df = df.rename(columns={cols.start_timestamp: PM4PY_START})
    return pm4py.format_dataframe(
        df, case_id=cols.case, activity_key=cols.activity, timestamp_key=cols.timestamp
    )


def _pm4py_ingest_parquet(ds: Dataset, work: Path) -> Runner:
    import pm4py  # noqa: F401  (import cost is not part of the load)

    def run() -> Facts:
        df = load_frame(ds)
        return {"events": len(df), "cases": int(df[CASE].nunique())}

    return Runner(run=run)


def _pm4py_ingest_csv(ds: Dataset, work: Path) -> Runner:
    import pandas as pd
    import pm4py

    cols = ds.columns

    def run() -> Facts:
        df = pd.read_csv(ds.csv)
        if cols.start_timestamp:
            df = df.rename(columns={cols.start_timestamp: PM4PY_START})
        df = pm4py.format_dataframe(
            df, case_id=cols.case, activity_key=cols.activity, timestamp_key=cols.timestamp
        )
        return {"events": len(df), "cases": int(df[CASE].nunique())}

    return Runner(run=run)


def _pm4py_ingest_xes(ds: Dataset, work: Path) -> Runner:
    import pm4py

    def run() -> Facts:
        df = pm4py.read_xes(ds.xes)
        return {"events": len(df), "cases": int(df[CASE].nunique())}

    return Runner(run=run)


def _pm4py_analysis(
    compute: Callable[[Any, Dataset, Runner], Facts],
) -> Callable[[Dataset, Path], Runner]:
    def setup(ds: Dataset, work: Path) -> Runner:
        df = load_frame(ds)
        runner = Runner(run=lambda: {})
        runner.run = lambda: compute(df, ds, runner)
        return runner

    return setup


def _pm_dfg(df: Any, ds: Dataset, runner: Runner) -> Facts:
    import pm4py

    dfg, _start, _end = pm4py.discover_dfg(df)
    pm4py.discover_performance_dfg(df)
    return {"edges": len(dfg), "cases": int(df[CASE].nunique()), "events": len(df)}


def _pm_filtered_map(df: Any, ds: Dataset, runner: Runner) -> Facts:
    import pm4py

    flt = ds.flt
    if flt["kind"] == "case_attribute":
        part = pm4py.filter_trace_attribute_values(df, flt["attribute"], flt["values"])
    else:
        part = pm4py.filter_time_range(df, flt["start"], flt["end"], mode="traces_contained")
    dfg, _start, _end = pm4py.discover_dfg(part)
    pm4py.discover_performance_dfg(part)
    return {"edges": len(dfg), "cases": int(part[CASE].nunique()), "events": len(part)}


def _pm_variants(df: Any, ds: Dataset, runner: Runner) -> Facts:
    import pm4py

    return {"variants": len(pm4py.get_variants(df))}


def _pm_rework(df: Any, ds: Dataset, runner: Runner) -> Facts:
    import pm4py

    counts = pm4py.get_rework_cases_per_activity(df)
    return {
        "activities_with_rework": sum(1 for n in counts.values() if n > 0),
        "rework_cases": {str(a): int(n) for a, n in counts.items() if n > 0},
    }


def pandas_breakpoints(
    df: Any, *, quantile: float = 0.9, min_samples: int = 5, min_end_ratio: float = 0.5
) -> Facts:
    """Break points as `mining.breakpoints.find_breakpoints` defines them, in pandas.

    End activities: more than `min_end_ratio` of their occurrences end their case. A case that
    did not end is stalled when idle (log's last timestamp minus its last event) longer than the
    `quantile` of the follow-up gaps after its last activity (the log-wide quantile where the
    activity has fewer than `min_samples` follow-ups).
    """
    frame = df[[CASE, ACTIVITY, TIMESTAMP]]
    next_ts = frame.groupby(CASE, sort=False)[TIMESTAMP].shift(-1)
    is_last = next_ts.isna()
    gap_s = (next_ts - frame[TIMESTAMP]).dt.total_seconds()
    activity = frame[ACTIVITY]
    occurrences = activity.value_counts()
    last_occurrences = activity[is_last].value_counts().reindex(occurrences.index, fill_value=0)
    end_activities = sorted(occurrences.index[(last_occurrences / occurrences) > min_end_ratio])
    follow = gap_s[~is_last]
    fallback = float(follow.quantile(quantile)) if len(follow) else 0.0
    by_activity = follow.groupby(activity[~is_last])
    thresholds = by_activity.quantile(quantile).where(by_activity.size() >= min_samples, fallback)
    as_of = frame[TIMESTAMP].max()
    last = frame[is_last]
    idle_s = (as_of - last[TIMESTAMP]).dt.total_seconds()
    threshold = last[ACTIVITY].map(thresholds).astype(float).fillna(fallback)
    stalled = ~last[ACTIVITY].isin(end_activities) & (idle_s > threshold)
    reached = frame.groupby(ACTIVITY)[CASE].nunique()
    stalled_by = last[ACTIVITY][stalled].value_counts()
    dropout = (stalled_by / reached.reindex(stalled_by.index)).to_dict()
    return {
        "stalled_cases": int(stalled.sum()),
        "end_activities": [str(a) for a in end_activities],
        "dropout_activities": len(dropout),
    }


def _pm_breakpoints(df: Any, ds: Dataset, runner: Runner) -> Facts:
    return pandas_breakpoints(df)


def _pm_full(df: Any, ds: Dataset, runner: Runner) -> Facts:
    import pm4py

    cols = ds.columns
    phases: list[tuple[str, float]] = []

    def timed(label: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        value = call()
        phases.append((label, round(time.perf_counter() - started, 4)))
        return value

    dfg, _start, _end = timed("dfg + start/end activities", lambda: pm4py.discover_dfg(df))
    timed("performance dfg", lambda: pm4py.discover_performance_dfg(df))
    variants = timed("variants", lambda: pm4py.get_variants(df))
    timed("case durations", lambda: pm4py.get_all_case_durations(df))
    timed("rework per activity", lambda: pm4py.get_rework_cases_per_activity(df))
    if cols.start_timestamp:

        def service_times() -> None:
            started = df[df[PM4PY_START].notna()]
            for measure in ("mean", "median"):
                pm4py.get_service_time(
                    started, aggregation_measure=measure, start_timestamp_key=PM4PY_START
                )

        timed("service time per activity", service_times)
    if cols.team:
        timed(
            "hand-over network, teams",
            lambda: pm4py.discover_handover_of_work_network(df, resource_key=cols.team),
        )
    if cols.resource:
        timed(
            "hand-over network, agents",
            lambda: pm4py.discover_handover_of_work_network(df, resource_key=cols.resource),
        )
    net, im, fm = timed(
        "inductive miner (IMf 0.2)",
        lambda: pm4py.discover_petri_net_inductive(df, noise_threshold=NOISE_THRESHOLD),
    )
    to_align = df
    if len(variants) > MAX_ALIGNED_VARIANTS:
        to_align = timed("keep top variants", lambda: _top_variants(df, variants))
    timed(
        "alignments per variant",
        lambda: pm4py.conformance_diagnostics_alignments(
            to_align, net, im, fm, show_progress_bar=False
        ),
    )
    runner.phases = phases
    return {
        "cases": int(df[CASE].nunique()),
        "events": len(df),
        "variants": len(variants),
        "edges": len(dfg),
    }


def _top_variants(df: Any, variants: dict[Any, Any]) -> Any:
    # pm4py.filter_variants_top_k fails on pandas' Arrow-backed strings (pyarrow has no is_in
    # kernel for list<string>): keep the cases of the most frequent variants with pandas.
    def count(item: Any) -> int:
        value = item[1]
        return value if isinstance(value, int) else len(value)

    top = {v for v, _ in sorted(variants.items(), key=count, reverse=True)[:MAX_ALIGNED_VARIANTS]}
    per_case = df.groupby(CASE, sort=False)[ACTIVITY].agg(list)
    keep = [
        case
        for case, trace in zip(per_case.index, per_case.tolist(), strict=True)
        if tuple(trace) in top
    ]
    return df[df[CASE].isin(keep)]


# --- reference: DuckDB on the stored columns ---------------------------------------------------

SCAN = (
    "SELECT activity_id, next_activity_id, count(*), avg(epoch(next_ts) - epoch(ts)) "
    "FROM events WHERE log_id = ? GROUP BY ALL"
)


def _reference_scan(filtered: bool) -> Callable[[Dataset, Path], Runner]:
    def setup(ds: Dataset, work: Path) -> Runner:
        from mining import store

        assert ds.db and ds.log_name
        con = store.connect(ds.db, read_only=True)
        log_id = store.log_id_for(con, ds.log_name)
        query, params = SCAN, [log_id]
        if filtered:
            flt = ds.flt
            if flt["kind"] == "case_attribute":
                where, extra = "attributes ->> ? = ?", [flt["attribute"], flt["values"][0]]
            else:
                where, extra = "start_ts >= ? AND end_ts <= ?", [flt["start"], flt["end"]]
            query = (
                "SELECT activity_id, next_activity_id, count(*), "
                "avg(epoch(next_ts) - epoch(ts)) FROM events e SEMI JOIN "
                f"(SELECT case_no FROM cases WHERE log_id = ? AND {where}) c "
                "ON e.case_no = c.case_no WHERE e.log_id = ? GROUP BY ALL"
            )
            params = [log_id, *extra, log_id]

        def run() -> Facts:
            rows = con.execute(query, params).fetchall()
            return {"edges": sum(1 for r in rows if r[1] is not None)}

        return Runner(run=run)

    return setup


def _reference_ingest(reader: str) -> Callable[[Dataset, Path], Runner]:
    def setup(ds: Dataset, work: Path) -> Runner:
        from mining import store

        source = ds.parquet if reader == "read_parquet" else ds.csv
        db = work / "reference.duckdb"

        def clean() -> None:
            for p in work.glob("reference.duckdb*"):
                p.unlink()

        def run() -> Facts:
            con = store.connect(db)
            con.execute(f"CREATE TABLE raw AS SELECT * FROM {reader}(?)", [source])
            row = con.execute("SELECT count(*) FROM raw").fetchone()
            con.close()
            return {"events": int(row[0]) if row else 0}

        return Runner(run=run, before_each=clean)

    return setup


def _reference_xes(ds: Dataset, work: Path) -> Runner:
    import gzip

    from lxml import etree

    assert ds.xes
    path = ds.xes

    def run() -> Facts:
        events = 0
        with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as stream:
            # the tree is built in C; only <event> ends come back to Python, and are dropped
            for _, element in etree.iterparse(
                stream,
                events=("end",),
                tag="{*}event",
                resolve_entities=False,
                no_network=True,
                huge_tree=True,
            ):
                events += 1
                element.clear()
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]
        return {"events": events}

    return Runner(run=run)


_SETUPS: dict[tuple[str, str], Callable[[Dataset, Path], Runner]] = {
    ("ingest_parquet", "servflow"): _servflow_ingest("parquet"),
    ("ingest_parquet", "pm4py"): _pm4py_ingest_parquet,
    ("ingest_parquet", "reference"): _reference_ingest("read_parquet"),
    ("ingest_csv", "servflow"): _servflow_ingest("csv"),
    ("ingest_csv", "pm4py"): _pm4py_ingest_csv,
    ("ingest_csv", "reference"): _reference_ingest("read_csv"),
    ("ingest_xes", "servflow"): _servflow_ingest("xes"),
    ("ingest_xes", "pm4py"): _pm4py_ingest_xes,
    ("ingest_xes", "reference"): _reference_xes,
    ("dfg", "servflow"): _servflow_analysis(_sf_dfg),
    ("dfg", "pm4py"): _pm4py_analysis(_pm_dfg),
    ("variants", "servflow"): _servflow_analysis(_sf_variants),
    ("variants", "pm4py"): _pm4py_analysis(_pm_variants),
    ("rework", "servflow"): _servflow_analysis(_sf_rework),
    ("rework", "pm4py"): _pm4py_analysis(_pm_rework),
    ("breakpoints", "servflow"): _servflow_analysis(_sf_breakpoints),
    ("breakpoints", "pm4py"): _pm4py_analysis(_pm_breakpoints),
    ("filtered_map", "servflow"): _servflow_analysis(_sf_filtered_map),
    ("filtered_map", "pm4py"): _pm4py_analysis(_pm_filtered_map),
    ("dashboard_map", "servflow"): _sf_dashboard_map,
    ("dashboard_map", "pm4py"): _pm4py_analysis(_pm_filtered_map),
    ("full", "servflow"): _servflow_analysis(_sf_full, writes=True, uses_pm4py=True),
    ("full", "pm4py"): _pm4py_analysis(_pm_full),
    ("mine_cli", "servflow"): _servflow_cli,
    ("mine_cli", "pm4py"): _pm4py_script,
    ("candidates", "servflow"): _servflow_candidates,
    # the machine reference of the analysis steps, measured once per log
    ("scan", "reference"): _reference_scan(filtered=False),
    ("scan_filtered", "reference"): _reference_scan(filtered=True),
}


def reference_step(step: str) -> str:
    """The measurement that serves as the machine reference of `step`."""
    if STEPS[step].kind == "ingest":
        return step
    return "scan_filtered" if step in ("filtered_map", "dashboard_map") else "scan"
