"""Run the benchmark suite: servflow against pm4py and against a DuckDB scan, per step and log size.

    .venv/bin/python -m bench.run                          # 100k and 1M events + real logs
    .venv/bin/python -m bench.run --sizes 100k,1m,10m      # as committed in bench/RESULTS.md
    .venv/bin/python -m bench.run --steps dfg,filtered_map --sizes 10m --tools servflow
    .venv/bin/python -m bench.report                       # rewrite RESULTS.md + chart only

Each measurement (step x log x tool) runs in a fresh process (`bench.worker`): its time is the
best of up to `--repeats` runs within `--budget` seconds (first and median are kept too), its peak
memory is the process's maximum resident set size, read from the kernel when it exits. A process
that goes over `--timeout` seconds or `--memory-guard` GiB is killed and reported as such.
Results are merged into `bench/results.json` (a re-run replaces the same step x log x tool) and
`bench/RESULTS.md` and `bench/scaling.png` are rewritten from it.

Input logs are made once under `bench/data/` (git-ignored): see `bench.datasets`. `--at REV`
benchmarks the `mining`/`servflow` code of a git revision (exported to `bench/data/code/`)
instead of the working tree.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.datasets import (
    DATA,
    REPO,
    Dataset,
    generated_dataset,
    parse_size,
    real_datasets,
)
from bench.steps import STEPS, reference_step
from bench.worker import MARKER

__all__ = ["main", "run_job"]

RESULTS_JSON = REPO / "bench" / "results.json"
TOOLS = ("servflow", "pm4py", "reference")
DEFAULT_STEPS = tuple(STEPS)
# pm4py's full analysis is not run above this size by default: see PM4PY_FULL_REASON
PM4PY_FULL_MAX_EVENTS = 1_000_000
PM4PY_FULL_REASON = (
    "not run above {limit:,} events (--pm4py-full-max-events): at 1M events it already takes "
    "over a minute and a half, most of it in discover_handover_of_work_network over the agents "
    "(see its phases at 1M), and pm4py's other steps grow 10-20x from 1M to 10M events: an "
    "estimated 15-30 minutes here"
)


# --- child processes ---------------------------------------------------------------------------


def run_job(
    job: dict[str, Any],
    *,
    code_dir: Path,
    log_path: Path,
    timeout_s: float,
    memory_guard_bytes: int,
) -> dict[str, Any]:
    """Run one `bench.worker` job in a fresh process, guarded; add its peak memory."""
    import psutil

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PM4PY_SHOW_PROGRESS_BAR", "false")
    # Compiled bytecode is cached (outside the venv) as in any installed deployment: without it
    # every fresh process would spend seconds compiling pm4py's sources on import.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(DATA / "pycache")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as out:
        # cwd = the code under test: `python -m` puts it first on sys.path, before PYTHONPATH
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.worker", json.dumps(job, ensure_ascii=False)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=code_dir,
            env=env,
        )
        watched = psutil.Process(proc.pid)
        killed: str | None = None
        polled_peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.monotonic() - started
            try:
                rss = watched.memory_info().rss
            except psutil.Error:
                rss = 0
            polled_peak = max(polled_peak, rss)
            if killed is None and rss > memory_guard_bytes:
                killed = (
                    f"killed by the memory guard: resident memory above "
                    f"{memory_guard_bytes / 2**30:.0f} GiB after {elapsed:.0f} s"
                )
                proc.kill()
            elif killed is None and elapsed > timeout_s:
                killed = f"killed after the {timeout_s:.0f} s time limit"
                proc.kill()
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    peak = max(int(usage.ru_maxrss) * 1024, polled_peak)
    result: dict[str, Any] = {}
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(MARKER):
            result = json.loads(line[len(MARKER) :])
    if killed:
        result = {"status": "killed", "reason": killed}
    elif not result:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-1500:]
        result = {"status": "error", "error": f"exit status {proc.returncode}: {tail}"}
    result["peak_rss_bytes"] = peak
    result["process_wall_s"] = round(wall, 2)
    return result


# --- preparation -------------------------------------------------------------------------------


def _run_quiet(cmd: list[str], cwd: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(DATA / "pycache")
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)


def _fresh(target: Path, marker: dict[str, Any]) -> bool:
    stamp = target.with_name(target.name + ".json")
    if not (target.exists() and stamp.exists()):
        return False
    stamped = json.loads(stamp.read_text())
    return all(stamped.get(k) == v for k, v in marker.items())


def _stamp(target: Path, marker: dict[str, Any]) -> None:
    target.with_name(target.name + ".json").write_text(json.dumps(marker))


def _file_marker(path: str | Path) -> dict[str, Any]:
    st = Path(path).stat()
    return {"path": str(path), "bytes": st.st_size, "mtime_ns": st.st_mtime_ns}


def prepare(
    ds: Dataset, ctx: Context, steps: list[str], tools: list[str]
) -> tuple[Dataset, dict[str, Any]]:
    """Make the files `ds` needs for `steps`; return it (paths of what could not be made set
    to None, with the reason in `skip`) and facts about it (events, cases)."""
    info: dict[str, Any] = {"title": ds.title, "generated": ds.generated}
    skip = dict(ds.skip)
    gen = [sys.executable, "-m", "servflow.samplegen", "--events", str(ds.nominal_events)]
    gen += ["--seed", "7", "--quiet"]
    wanted = set(steps)
    if ds.generated and ds.parquet and not Path(ds.parquet).exists():
        print(f"  generating {ds.parquet}", flush=True)
        _run_quiet([*gen, "--format", "parquet", "--out", ds.parquet], ctx.code_dir)
    if ds.generated and ds.csv and "ingest_csv" in wanted and not Path(ds.csv).exists():
        print(f"  generating {ds.csv}", flush=True)
        _run_quiet([*gen, "--format", "csv", "--out", ds.csv], ctx.code_dir)
    if ds.generated and ds.xes and "ingest_xes" in wanted and not Path(ds.xes).exists():
        print(f"  writing {ds.xes} with pm4py.write_xes", flush=True)
        done = ctx.job({"job": "write_xes", "dataset": ds.as_json()}, f"write_xes-{ds.key}")
        if done.get("status") != "ok":
            skip["ingest_xes"] = f"could not write the XES: {done.get('error') or done}"
    if not ds.generated and ds.parquet and ds.csv:
        marker = _file_marker(ds.csv)
        if not _fresh(Path(ds.parquet), marker) and "pm4py" in tools:
            print(f"  writing {ds.parquet} for the pm4py side", flush=True)
            done = ctx.job({"job": "to_parquet", "dataset": ds.as_json()}, f"parquet-{ds.key}")
            if done.get("status") == "ok":
                _stamp(Path(ds.parquet), marker)
    analysis = any(STEPS[s].kind == "analysis" for s in steps)
    if ds.db and ds.source and analysis:
        marker = {"source": _file_marker(ds.source), "code": ctx.code_version}
        db = Path(ds.db)
        if ctx.rebuild or not _fresh(db, marker):
            print(f"  ingesting {ds.source} into {ds.db}", flush=True)
            done = ctx.job({"job": "build_db", "dataset": ds.as_json()}, f"build_db-{ds.key}")
            if done.get("status") != "ok":
                raise SystemExit(f"bench: could not build {ds.db}: {done}")
            _stamp(db, marker | {"events": done["events"], "cases": done["cases"]})
        stamp = json.loads(db.with_name(db.name + ".json").read_text())
        info["events"], info["cases"] = stamp["events"], stamp["cases"]
    if ds.generated and ds.parquet and "events" not in info:
        import pyarrow.parquet as pq

        info["events"] = pq.ParquetFile(ds.parquet).metadata.num_rows
    if "events" not in info:
        info["events"] = ds.nominal_events
    info["nominal_events"] = ds.nominal_events
    return Dataset.from_json(ds.as_json() | {"skip": skip}), info


# --- context -----------------------------------------------------------------------------------


class Context:
    """Settings of one benchmark invocation and where its child processes run."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rebuild: bool = args.rebuild
        self.logs = DATA / "logs"
        self.code_dir, self.code_version, self.code_note = _code_under_test(args.at)

    def job(self, job: dict[str, Any], name: str) -> dict[str, Any]:
        return run_job(
            job,
            code_dir=self.code_dir,
            log_path=self.logs / f"{name}.log",
            timeout_s=self.args.timeout * 4,
            memory_guard_bytes=int(self.args.memory_guard * 2**30),
        )


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()


def _code_under_test(rev: str | None) -> tuple[Path, str, str]:
    """(directory whose mining/servflow are benchmarked, version id, description)."""
    if rev:
        sha = _git("rev-parse", rev)
        target = DATA / "code" / sha[:12]
        if not (target / "mining").exists():
            target.mkdir(parents=True, exist_ok=True)
            archive = subprocess.run(
                ["git", "archive", sha, "mining", "servflow", "dashboard"],
                cwd=REPO,
                capture_output=True,
                check=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
        return target, sha[:12], f"git revision {sha[:12]} (exported: `--at {rev}`)"
    try:
        sha = _git("rev-parse", "HEAD")
        diff = _git("diff", "HEAD", "--", "mining", "servflow", "dashboard")
        untracked = _git(
            "ls-files", "--others", "--exclude-standard", "mining", "servflow", "dashboard"
        )
    except (subprocess.CalledProcessError, FileNotFoundError):
        return REPO, "unknown", "working tree (not a git checkout)"
    if not diff and not untracked:
        return REPO, sha[:12], f"git revision {sha[:12]} (working tree, clean)"
    digest = hashlib.sha1((diff + untracked).encode()).hexdigest()[:8]
    return REPO, f"{sha[:12]}+{digest}", f"working tree on {sha[:12]} with local changes"


def machine() -> dict[str, Any]:
    import psutil

    model = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for package in ("servflow", "duckdb", "pm4py", "pandas", "pyarrow", "numpy", "lxml"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "absent"
    return {
        "cpu_model": model,
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "memory_bytes": psutil.virtual_memory().total,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions,
        "duckdb_settings": {
            "memory_limit": os.environ.get("SERVFLOW_MEMORY_LIMIT", "3GB (servflow default)"),
            "threads": os.environ.get("SERVFLOW_THREADS", "all cores (DuckDB default)"),
        },
    }


# --- main --------------------------------------------------------------------------------------


def _plan(
    ds: Dataset, info: dict[str, Any], steps: list[str], tools: list[str], args: argparse.Namespace
) -> list[tuple[str, str, str | None]]:
    """(step, tool, reason to skip or None) for the measurements of `ds`."""
    needs = {
        "ingest_parquet": ds.parquet if ds.generated else None,
        "ingest_csv": ds.csv,
        "ingest_xes": ds.xes,
    }
    plan: list[tuple[str, str, str | None]] = []
    for step in steps:
        spec = STEPS[step]
        applies = needs[step] if spec.kind == "ingest" else ds.db
        reason = spec.skip_reason or ds.skip.get(step)
        if not applies and not reason:
            continue
        if spec.kind == "analysis" and not ds.db:
            continue
        for tool in tools:
            why = reason
            if tool == "reference":
                plan.append((reference_step(step), tool, why))
                continue
            if not why and tool == "pm4py" and spec.pm4py == "-":
                why = "pm4py has no equivalent of this step"
            if (
                not why
                and tool == "pm4py"
                and step == "full"
                and info["nominal_events"] > args.pm4py_full_max_events
            ):
                why = PM4PY_FULL_REASON.format(limit=args.pm4py_full_max_events)
            if not why and tool == "pm4py" and info["nominal_events"] > args.pm4py_max_events:
                why = f"pm4py not run above {args.pm4py_max_events:,} events (--pm4py-max-events)"
            plan.append((step, tool, why))
    seen: set[tuple[str, str]] = set()
    unique = []
    for item in plan:
        if (item[0], item[1]) not in seen:
            seen.add((item[0], item[1]))
            unique.append(item)
    return unique


def _show(step: str, key: str, tool: str, result: dict[str, Any]) -> None:
    head = f"{step:15s} {key:14s} {tool:9s}"
    if result["status"] != "ok":
        text = result.get("reason") or result.get("error", "")
        print(f"{head} {result['status']}: {str(text).splitlines()[0][:150]}", flush=True)
        return
    facts = {k: v for k, v in result.get("facts", {}).items() if not isinstance(v, dict | list)}
    print(
        f"{head} best {result['best_s']:9.3f} s  first {result['first_s']:9.3f} s  "
        f"n={len(result['times_s'])}  peak {result['peak_rss_bytes'] / 2**20:7.0f} MiB  {facts}",
        flush=True,
    )


def _show_ratio(step: str, key: str, measurements: list[dict[str, Any]]) -> None:
    """Once both sides of a whole-process comparison are measured: how many times faster."""
    if step != "mine_cli":
        return
    done = {
        m["tool"]: m
        for m in measurements
        if (m["step"], m["dataset"]) == (step, key) and m.get("status") == "ok"
    }
    if "servflow" in done and "pm4py" in done:
        sf, pm = done["servflow"]["best_s"], done["pm4py"]["best_s"]
        print(
            f"{step:15s} {key:14s} pm4py script {pm:.2f} s / servflow mine {sf:.2f} s "
            f"= {pm / sf:.1f}x",
            flush=True,
        )


def _merge(previous: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    keep = {(m["step"], m["dataset"], m["tool"]): m for m in previous.get("measurements", [])}
    for m in run["measurements"]:
        keep[(m["step"], m["dataset"], m["tool"])] = m
    datasets = previous.get("datasets", {}) | run["datasets"]
    runs = [*previous.get("runs", []), run["run"]]
    return {
        "machine": run["machine"],
        "runs": runs,
        "datasets": datasets,
        "measurements": list(keep.values()),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--sizes", default="100k,1m", help="generated log sizes (default 100k,1m)")
    parser.add_argument("--steps", default=",".join(DEFAULT_STEPS), help="comma-separated steps")
    parser.add_argument("--tools", default=",".join(TOOLS), help="servflow,pm4py,reference")
    parser.add_argument("--no-real", action="store_true", help="skip the real logs")
    parser.add_argument("--no-csv", action="store_true", help="no CSV of the generated logs")
    parser.add_argument("--repeats", type=int, default=5, help="max runs per measurement")
    parser.add_argument(
        "--budget", type=float, default=15.0, help="seconds of repeats per measurement"
    )
    parser.add_argument(
        "--full-repeats",
        type=int,
        default=3,
        help="runs of the full analysis up to 1M events, on both sides (default 3)",
    )
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds per process")
    parser.add_argument("--memory-guard", type=float, default=14.0, help="GiB per process")
    parser.add_argument(
        "--pm4py-max-events", type=int, default=20_000_000, help="no pm4py above this size"
    )
    parser.add_argument(
        "--pm4py-full-max-events",
        type=int,
        default=PM4PY_FULL_MAX_EVENTS,
        help="no pm4py full analysis above this size",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile servflow's ingest and full analysis"
    )
    parser.add_argument("--rebuild", action="store_true", help="re-ingest the analysis databases")
    parser.add_argument("--at", help="benchmark the mining/servflow code of this git revision")
    parser.add_argument("--fresh", action="store_true", help="start a new results.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise SystemExit(f"bench: unknown step(s) {unknown}; steps are {', '.join(STEPS)}")
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    ctx = Context(args)
    started = datetime.now(UTC)
    run_meta: dict[str, Any] = {
        "command": "python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv),
        "started": started.isoformat(timespec="seconds"),
        "code": ctx.code_version,
        "code_note": ctx.code_note,
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    print(f"bench: code {ctx.code_note}; load average {run_meta['load_average_start']}")
    datasets = [
        generated_dataset(parse_size(s), with_csv=not args.no_csv)
        for s in args.sizes.split(",")
        if s.strip()
    ]
    absent: list[tuple[str, str]] = []
    if not args.no_real:
        real, absent = real_datasets()
        datasets += real
    DATA.mkdir(parents=True, exist_ok=True)
    measurements: list[dict[str, Any]] = []
    infos: dict[str, Any] = {}
    for key, reason in absent:
        print(f"bench: {key} skipped: {reason}")
        measurements.append(
            {"step": "*", "dataset": key, "tool": "*", "status": "skipped", "reason": reason}
        )
    for ds in datasets:
        print(f"bench: {ds.key}", flush=True)
        ds, info = prepare(ds, ctx, steps, tools)
        infos[ds.key] = info
        for step, tool, why in _plan(ds, info, steps, tools, args):
            entry: dict[str, Any] = {"step": step, "dataset": ds.key, "tool": tool}
            if why:
                entry |= {"status": "skipped", "reason": why}
                print(f"{step:15s} {ds.key:14s} {tool:9s} skipped: {why[:120]}", flush=True)
                measurements.append(entry)
                continue
            work = DATA / "work" / f"{step}-{tool}"
            shutil.rmtree(work, ignore_errors=True)
            job = {
                "job": "measure",
                "step": step,
                "tool": tool,
                "dataset": ds.as_json(),
                "work": str(work),
                "repeats": args.repeats,
                "budget_s": args.budget,
                # the whole analyses up to 2M events decide targets: best of 3 on both sides
                "min_repeats": args.full_repeats
                if step in ("full", "mine_cli") and ds.nominal_events <= 2_000_000
                else 1,
                "profile": bool(
                    args.profile
                    and tool == "servflow"
                    and (STEPS[step].kind == "ingest" or step == "full")
                ),
            }
            load = os.getloadavg()[0]
            result = run_job(
                job,
                code_dir=ctx.code_dir,
                log_path=ctx.logs / f"{step}-{ds.key}-{tool}.log",
                timeout_s=args.timeout,
                memory_guard_bytes=int(args.memory_guard * 2**30),
            )
            shutil.rmtree(work, ignore_errors=True)
            entry |= result | {
                "load_1m_before": round(load, 2),
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "code": ctx.code_version,
            }
            _show(step, ds.key, tool, entry)
            measurements.append(entry)
            _show_ratio(step, ds.key, measurements)
    run_meta["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    run_meta["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    previous = (
        {} if args.fresh or not RESULTS_JSON.exists() else json.loads(RESULTS_JSON.read_text())
    )
    merged = _merge(
        previous,
        {"machine": machine(), "run": run_meta, "datasets": infos, "measurements": measurements},
    )
    RESULTS_JSON.write_text(json.dumps(merged, indent=1, ensure_ascii=False) + "\n", "utf-8")
    from bench.report import write_report

    write_report(merged)
    print(f"bench: wrote {RESULTS_JSON}, bench/RESULTS.md and bench/scaling.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
