"""Where servflow's time goes: per phase, per SQL statement, and the Python around it.

    .venv/bin/python -m bench.profile ingest bench/data/telecom_1000000.parquet
    .venv/bin/python -m bench.profile mine bench/data/db/telecom_10000000.duckdb telecom_10m
    .venv/bin/python -m bench.profile mine DB LOG --out bench/profiles/mine_telecom-10m.md

The connection handed to `ingest_file` / `mine_log` is wrapped so that every `execute` is timed
and attributed to the phase running at the time (from the progress messages) and to the
`mining/sql/*.sql` file it came from (or the statement's first words). cProfile runs at the same
time; its top functions by own time show the Python side (pm4py, networkx, pandas ...).
Prints a Markdown report (and writes it to `--out`).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["main"]


def _sql_names() -> dict[str, str]:
    """Normalized statement text -> name of the mining/sql file holding it."""
    names: dict[str, str] = {}
    folder = resources.files("mining").joinpath("sql")
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        # comments may hold semicolons: drop them before splitting into statements
        text = _normalize(entry.read_text(encoding="utf-8"))
        for statement in text.split(";"):
            key = statement.strip()
            if key:
                names[key] = entry.name[: -len(".sql")]
    return names


def _normalize(sql: str) -> str:
    lines = [line.split("--", 1)[0] for line in sql.splitlines()]
    return re.sub(r"\s+", " ", " ".join(lines)).strip()


class TimedConnection:
    """A DuckDB connection whose `execute` calls are timed per statement and phase."""

    def __init__(self, con: Any) -> None:
        self._con = con
        self._names = _sql_names()
        self.phase = "start"
        self.by_statement: dict[tuple[str, str], list[float]] = defaultdict(list)
        self.cpu_by_statement: dict[tuple[str, str], float] = defaultdict(float)

    def execute(self, query: str, *args: Any, **kwargs: Any) -> Any:
        started, cpu = time.perf_counter(), time.process_time()
        self._con.execute(query, *args, **kwargs)
        key = (self.phase, self._name(query))
        self.by_statement[key].append(time.perf_counter() - started)
        self.cpu_by_statement[key] += time.process_time() - cpu
        return self

    def fetchall(self) -> Any:
        return self._con.fetchall()

    def fetchone(self) -> Any:
        return self._con.fetchone()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def __enter__(self) -> TimedConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()

    def _name(self, query: str) -> str:
        key = _normalize(query)
        if key in self._names:
            return self._names[key]
        words = key.split()
        return "inline: " + " ".join(words[:8])[:70]


def _report(
    title: str,
    phases: list[tuple[str, float, float]],
    timed: TimedConnection,
    profiler: cProfile.Profile,
    top: int,
) -> str:
    lines = [f"# {title}", ""]
    sql_by_phase: dict[str, float] = defaultdict(float)
    for (phase, _name), times in timed.by_statement.items():
        sql_by_phase[phase] += sum(times)
    total = sum(s for _, s, _ in phases)
    cpu_total = sum(c for _, _, c in phases)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines += [
        f"Total {total:.2f} s, {cpu_total:.2f} s of CPU (all threads of the process; on a "
        f"loaded machine the CPU time is the steadier measure). Load average at the end: {load}.",
        "",
        "| phase | seconds | CPU s | in SQL | outside SQL (Python) |",
        "|---|---|---|---|---|",
    ]
    for phase, secs, cpu in phases:
        sql = sql_by_phase.get(phase, 0.0)
        lines.append(f"| {phase} | {secs:.2f} | {cpu:.2f} | {sql:.2f} | {max(secs - sql, 0):.2f} |")
    lines += [
        "",
        f"Slowest SQL statements (top {top}):",
        "",
        "| phase | statement | calls | seconds | CPU s |",
        "|---|---|---|---|---|",
    ]
    ranked = sorted(timed.by_statement.items(), key=lambda kv: sum(kv[1]), reverse=True)
    for (phase, name), times in ranked[:top]:
        cpu = timed.cpu_by_statement[(phase, name)]
        lines.append(f"| {phase} | `{name}` | {len(times)} | {sum(times):.2f} | {cpu:.2f} |")
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, func), (_cc, calls, own, cumulative, _c) in stats.stats.items():  # type: ignore[attr-defined]
        if filename == __file__ or ("execute" in func and "duckdb" in filename + func):
            continue  # the timing wrapper itself, and DuckDB's own execute (counted as SQL)
        rows.append((own, cumulative, calls, f"{_short(filename)}:{line}({func})"))
    rows.sort(reverse=True)
    lines += [
        "",
        f"Python functions by own time (cProfile, top {top}; DuckDB's execute excluded):",
        "",
        "| own s | cumulative s | calls | function |",
        "|---|---|---|---|",
    ]
    for own, cumulative, calls, where in rows[:top]:
        lines.append(f"| {own:.2f} | {cumulative:.2f} | {calls:,} | `{where}` |")
    return "\n".join(lines) + "\n"


def _short(filename: str) -> str:
    for marker in ("/site-packages/", "/mining/", "/servflow/"):
        if marker in filename:
            head = "" if marker == "/site-packages/" else marker.strip("/") + "/"
            return head + filename.split(marker, 1)[1]
    return filename


def _phases(
    marks: list[tuple[str, float, float]], end: tuple[float, float]
) -> list[tuple[str, float, float]]:
    """(phase, wall seconds, CPU seconds) from the (label, wall, CPU) marks where each began."""
    return [
        (label, nxt - at, nxt_cpu - cpu)
        for (label, at, cpu), (_, nxt, nxt_cpu) in zip(marks, [*marks[1:], ("", *end)], strict=True)
    ]


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def profile_ingest(path: Path, top: int) -> str:
    from mining import store
    from mining.ingest import IngestOptions, ingest_file

    folder = Path(tempfile.mkdtemp(prefix="servflow-profile-"))
    con = store.connect(folder / "profile.duckdb")
    timed = TimedConnection(con)
    marks: list[tuple[str, float, float]] = [("start", *_now())]

    def say(message: str) -> None:
        label = re.sub(
            r" of [\d,]+ rows$", "", " ".join(w for w in message.split() if "/" not in w)
        )
        marks.append((label, *_now()))
        timed.phase = label

    profiler = cProfile.Profile()
    profiler.enable()
    result = ingest_file(timed, path, IngestOptions(log_name="profile"), progress=say)  # type: ignore[arg-type]
    profiler.disable()
    end = _now()
    con.close()
    for p in folder.iterdir():
        p.unlink() if p.is_file() else None
    title = f"Profile of ingest_file({path.name}): {result.events_added:,} events"
    return _report(title, _phases(marks, end), timed, profiler, top)


def profile_mine(db: Path, log: str, top: int) -> str:
    import pm4py  # noqa: F401  (import time is not the analysis)

    from mining import store
    from mining.run import MiningOptions, mine_log

    con = store.connect(db)
    timed = TimedConnection(con)
    marks: list[tuple[str, float, float]] = []

    def say(message: str) -> None:
        marks.append((message, *_now()))
        timed.phase = message

    profiler = cProfile.Profile()
    profiler.enable()
    run = mine_log(timed, log, MiningOptions(), progress=say)  # type: ignore[arg-type]
    profiler.disable()
    end = _now()
    con.close()
    title = f"Profile of mine_log({log}): {run.events:,} events, {run.cases:,} cases"
    return _report(title, _phases(marks, end), timed, profiler, top)


def _rerun_at(rev: str, argv: list[str]) -> int:
    """Run this profile again in a process that imports the code of git revision `rev`."""
    import os
    import subprocess

    from bench.datasets import REPO
    from bench.run import _code_under_test

    code_dir, _version, note = _code_under_test(rev)
    rest = [a for i, a in enumerate(argv) if a != "--at" and (i == 0 or argv[i - 1] != "--at")]
    # the rerun's working directory is the exported code: make paths absolute
    rest = [
        str(Path(a).resolve()) if Path(a).exists() or (i and rest[i - 1] == "--out") else a
        for i, a in enumerate(rest)
    ]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    print(f"profiling {note}", file=sys.stderr)
    return subprocess.run(
        [sys.executable, "-m", "bench.profile", *rest], cwd=code_dir, env=env, check=False
    ).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    ingest = sub.add_parser("ingest", help="profile ingest_file of a log file")
    ingest.add_argument("path", type=Path)
    mine = sub.add_parser("mine", help="profile mine_log of a stored log")
    mine.add_argument("db", type=Path)
    mine.add_argument("log")
    for p in (ingest, mine):
        p.add_argument("--top", type=int, default=15)
        p.add_argument("--out", type=Path, help="also write the report here")
        p.add_argument("--at", help="profile the mining/servflow code of this git revision")
    args = parser.parse_args(argv)
    if args.at:
        return _rerun_at(args.at, sys.argv[1:] if argv is None else argv)
    if args.what == "ingest":
        text = profile_ingest(args.path, args.top)
    else:
        text = profile_mine(args.db, args.log, args.top)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
