"""One benchmark job in a fresh process: `python -m bench.worker '<json>'`.

Started by `bench.run`, one process per measurement, so that the peak memory of a step is its
own (the parent reads it from the child's resource usage) and steps do not warm each other up.
The job's result is printed as one line starting with `BENCH_RESULT ` (pm4py prints a banner on
stdout, so the line is found by its prefix).

Jobs:
- `measure`: set up one (step, tool, dataset) and time the step, repeated while it is fast;
- `build_db`: ingest a dataset's source into its database (input of the analysis steps);
- `write_xes`: write a generated Parquet log as XES with `pm4py.write_xes`;
- `to_parquet`: write a real CSV log as Parquet for the pm4py side.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.datasets import Dataset

__all__ = ["MARKER", "main"]

MARKER = "BENCH_RESULT "


def _peak_rss_bytes() -> int:
    # Linux reports ru_maxrss in KiB
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _current_rss_bytes() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def measure(job: dict[str, Any]) -> dict[str, Any]:
    """Set up and time one step: at least `min_repeats` runs, then more while under `repeats`
    runs and `budget_s` seconds."""
    from bench.steps import setup_runner

    ds = Dataset.from_json(job["dataset"])
    work = Path(job["work"])
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    runner = setup_runner(job["step"], job["tool"], ds, work)
    setup_s = time.perf_counter() - started
    rss_after_setup = _current_rss_bytes()
    peak_after_setup = _peak_rss_bytes()
    times: list[float] = []
    facts: dict[str, Any] = {}
    phases: list[tuple[str, float]] = []
    budget_started = time.perf_counter()
    while True:
        runner.before_each()
        t0 = time.perf_counter()
        facts = runner.run()
        times.append(time.perf_counter() - t0)
        if not phases or times[-1] == min(times):
            phases = list(runner.phases)  # phases of the best run
        spent = time.perf_counter() - budget_started
        if len(times) >= job["repeats"]:
            break
        if spent + times[-1] > job["budget_s"] and len(times) >= job.get("min_repeats", 1):
            break
    if job.get("profile"):
        phases_profile = _profile(runner, job.get("profile_top", 25))
    else:
        phases_profile = None
    return {
        "status": "ok",
        "times_s": [round(t, 4) for t in times],
        "best_s": round(min(times), 4),
        "median_s": round(statistics.median(times), 4),
        "first_s": round(times[0], 4),
        "setup_s": round(setup_s, 3),
        "rss_after_setup_bytes": rss_after_setup,
        "peak_after_setup_bytes": peak_after_setup,
        "peak_self_bytes": _peak_rss_bytes(),
        "facts": facts,
        "phases": phases,
        "profile": phases_profile,
    }


def _profile(runner: Any, top: int) -> list[dict[str, Any]]:
    """cProfile of one more run: the functions with the most cumulative time."""
    import cProfile
    import pstats

    runner.before_each()
    profiler = cProfile.Profile()
    profiler.enable()
    runner.run()
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows: list[dict[str, Any]] = []
    for (filename, line, name), (_cc, calls, _tt, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{_where(filename)}:{line}({name})",
                "calls": int(calls),
                "cumulative_s": round(float(cumulative), 3),
            }
        )
    rows.sort(key=lambda r: r["cumulative_s"], reverse=True)
    return rows[:top]


def _where(filename: str) -> str:
    for marker in ("/site-packages/", "/mining/", "/servflow/", "/bench/"):
        if marker in filename:
            head = marker.strip("/") if marker != "/site-packages/" else ""
            tail = filename.split(marker, 1)[1]
            return f"{head}/{tail}" if head else tail
    return filename


def build_db(job: dict[str, Any]) -> dict[str, Any]:
    """Ingest the dataset's source into its database (replacing it)."""
    from mining import store
    from mining.ingest import IngestOptions, ingest_file

    ds = Dataset.from_json(job["dataset"])
    assert ds.db and ds.source
    db = Path(ds.db)
    db.parent.mkdir(parents=True, exist_ok=True)
    for p in db.parent.glob(db.name + "*"):
        p.unlink()
    started = time.perf_counter()
    con = store.connect(db)
    result = ingest_file(con, ds.source, IngestOptions(log_name=ds.log_name))
    con.close()
    return {
        "status": "ok",
        "events": result.events_added,
        "cases": result.cases_added,
        "seconds": round(time.perf_counter() - started, 2),
    }


def write_xes(job: dict[str, Any]) -> dict[str, Any]:
    """Write the dataset's Parquet log as XES (what a ticketing system's XES export holds)."""
    import pm4py

    from bench.steps import PM4PY_START, load_frame

    ds = Dataset.from_json(job["dataset"])
    assert ds.xes
    df = load_frame(ds)
    # the pm4py bookkeeping columns are not part of an export
    df = df.drop(columns=[c for c in df.columns if c.startswith("@@")])
    case_level = ("channel", "ticket_type", "priority", "customer_segment", "customer_id")
    df = df.rename(columns={c: f"case:{c}" for c in case_level if c in df.columns})
    df = df.drop(columns=[ds.columns.case, ds.columns.activity, ds.columns.timestamp])
    if ds.columns.start_timestamp:
        df = df.rename(columns={PM4PY_START: ds.columns.start_timestamp})
    started = time.perf_counter()
    target = Path(ds.xes)
    partial = target.with_name(target.name + ".partial.xes.gz")
    pm4py.write_xes(df, str(partial))
    partial.replace(target)
    return {"status": "ok", "events": len(df), "seconds": round(time.perf_counter() - started, 2)}


def to_parquet(job: dict[str, Any]) -> dict[str, Any]:
    """Write a real CSV log as Parquet with its timestamps parsed (UTC), for the pm4py side."""
    import pandas as pd

    ds = Dataset.from_json(job["dataset"])
    assert ds.csv and ds.parquet
    df = pd.read_csv(ds.csv)
    df[ds.columns.timestamp] = pd.to_datetime(df[ds.columns.timestamp], utc=True)
    target = Path(ds.parquet)
    partial = target.with_name(target.name + ".partial")
    df.to_parquet(partial, index=False)
    partial.replace(target)
    return {"status": "ok", "events": len(df)}


JOBS = {"measure": measure, "build_db": build_db, "write_xes": write_xes, "to_parquet": to_parquet}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    job = json.loads(args[0])
    try:
        result = JOBS[job["job"]](job)
    except Exception as exc:
        import traceback

        traceback.print_exc()
        result = {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:2000]}
    print("\n" + MARKER + json.dumps(result, ensure_ascii=False, default=str), flush=True)
    return 0 if result.get("status") == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
