"""How far ingest's events write is from the floor of any write: `python -m bench.write_floor`.

    .venv/bin/python -m bench.write_floor bench/data/db/telecom_10000000.duckdb telecom_10m \\
        --out bench/profiles/ingest_write_floor_telecom-10m.md

Ingest writes a load's events sorted by case and time, each with its position in the case
(`seq`) and its successor's activity, times, team and resource (`mining/sql/load_write_events.sql`:
a window partitioned by case, then `ORDER BY`). This benchmark takes the stored events of one log
of an ingested database (opened read-only), stages them in a temp table in file order, as ingest
holds them before the write, and writes them into a table with the events' schema in a new
database file, in several ways:

- `ingest`: ingest's statement, as it is;
- `copy`: the staged rows as they are, no order and no successors: the floor of any write;
- `sorted_copy`: the staged rows in case and time order, no successors: the floor of a write
  that keeps the events in case order;
- `streaming`: sorted into a temp table, then positions and successors from DuckDB's streaming
  window (`OVER ()`, in the order of the sorted table), which runs on one thread;
- `arrow`: sorted and fetched as one Arrow table, positions and successors computed with numpy
  and Arrow, then inserted: the whole load is held in Python's memory, outside DuckDB's limit
  (its time includes importing numpy and pyarrow, which ingest does not load).

Each variant runs in a fresh process (its peak memory is its own). Variants that write whole
events are checked against the stored ones: the same rows (`EXCEPT ALL` both ways) in the same
(case, position) order. Prints wall time, CPU time (all threads) and peak memory of each, with
the ratio to `ingest` measured in the same run, as a Markdown table (`--out` writes it too).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["VARIANTS", "main"]

MARKER = "WRITE_FLOOR "

# The staged events: the columns ingest's merged events have (mining/sql/load_merge_events.sql),
# in file order.
_STAGE = """
CREATE TEMP TABLE sf_merged AS
SELECT case_no, activity_id, ts, start_ts, resource_id, team_id, lifecycle, attributes,
       load_id, source_row, occurrence
FROM src.events
WHERE log_id = $log_id
ORDER BY load_id, source_row
"""

_CASE_ORDER = "case_no, ts, load_id, source_row"

_PAYLOAD = (
    "activity_id, ts, start_ts, resource_id, team_id, lifecycle, attributes, "
    "load_id, source_row, occurrence"
)


def _ingest(con: Any, log_id: int) -> None:
    from mining import store

    store.run_sql(con, "load_write_events", log_id=log_id)


def _copy(con: Any, log_id: int) -> None:
    con.execute(
        f"INSERT INTO events SELECT $log_id, case_no, 0, {_PAYLOAD}, "
        "NULL, NULL, NULL, NULL, NULL FROM sf_merged",
        {"log_id": log_id},
    )


def _sorted_copy(con: Any, log_id: int) -> None:
    con.execute(
        f"INSERT INTO events SELECT $log_id, case_no, 0, {_PAYLOAD}, "
        f"NULL, NULL, NULL, NULL, NULL FROM sf_merged ORDER BY {_CASE_ORDER}",
        {"log_id": log_id},
    )


def _streaming(con: Any, log_id: int) -> None:
    con.execute(f"CREATE TEMP TABLE sf_sorted AS SELECT * FROM sf_merged ORDER BY {_CASE_ORDER}")
    nexts = ", ".join(
        f"CASE WHEN next_case = case_no THEN n_{c} END"
        for c in ("activity_id", "ts", "team_id", "resource_id", "start_ts")
    )
    con.execute(
        f"""
        INSERT INTO events
        SELECT $log_id, case_no,
               (n - max(first_n) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))::INTEGER,
               {_PAYLOAD}, {nexts}
        FROM (
            SELECT *, CASE WHEN lag(case_no) OVER () IS DISTINCT FROM case_no THEN n END AS first_n
            FROM (
                SELECT *, row_number() OVER () AS n,
                       lead(case_no) OVER () AS next_case,
                       lead(activity_id) OVER () AS n_activity_id, lead(ts) OVER () AS n_ts,
                       lead(team_id) OVER () AS n_team_id,
                       lead(resource_id) OVER () AS n_resource_id,
                       lead(start_ts) OVER () AS n_start_ts
                FROM sf_sorted
            )
        )
        """,
        {"log_id": log_id},
    )


def _arrow(con: Any, log_id: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    table = con.sql(
        f"SELECT {log_id}::INTEGER AS log_id, case_no, 0::INTEGER AS seq, {_PAYLOAD} "
        f"FROM sf_merged ORDER BY {_CASE_ORDER}"
    ).to_arrow_table()
    case = table.column("case_no").to_numpy()
    n = len(case)
    last = np.ones(n, dtype=bool)  # the last event of its case
    np.not_equal(case[1:], case[:-1], out=last[:-1])
    firsts = np.flatnonzero(np.concatenate(([True], last[:-1])))
    sizes = np.diff(np.append(firsts, n))
    seq = np.arange(n, dtype=np.int64) - np.repeat(firsts, sizes)
    columns = [table.column(i) for i in range(table.num_columns)]
    names = list(table.column_names)
    columns[2] = pa.chunked_array([pa.array(seq.astype(np.int32))])
    at_end = pa.array(last)
    for name in ("activity_id", "ts", "team_id", "resource_id", "start_ts"):
        values = table.column(name).combine_chunks()
        following = pa.concat_arrays([values.slice(1), pa.nulls(1, values.type)])
        columns.append(
            pa.chunked_array([pc.if_else(at_end, pa.scalar(None, values.type), following)])
        )
        names.append(f"next_{name}")
    out = pa.table(columns, names=names)
    del table
    con.register("sf_written", out)
    con.execute("INSERT INTO events SELECT * FROM sf_written")


VARIANTS = {
    "ingest": (_ingest, True),
    "copy": (_copy, False),
    "sorted_copy": (_sorted_copy, False),
    "streaming": (_streaming, True),
    "arrow": (_arrow, True),
}


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _job(db: Path, log: str, variant: str, work: Path) -> dict[str, Any]:
    import duckdb

    # the new database file is the default catalog: the statements' `events` is its table
    con = duckdb.connect(str(work / f"{variant}.duckdb"), config={"memory_limit": "3GB"})
    con.execute("ATTACH ? AS src (READ_ONLY)", [str(db)])
    row = con.execute("SELECT log_id FROM src.logs WHERE name = ?", [log]).fetchone()
    if row is None:
        raise SystemExit(f"{db}: no log named {log!r}")
    log_id = int(row[0])
    con.execute(_STAGE, {"log_id": log_id})
    con.execute("CREATE TABLE events AS SELECT * FROM src.events LIMIT 0")
    con.execute("CHECKPOINT")
    staged_rss = _rss()
    write, whole = VARIANTS[variant]
    started, cpu = time.perf_counter(), _cpu()
    write(con, log_id)
    con.execute("CHECKPOINT")
    wall, cpu = time.perf_counter() - started, _cpu() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result: dict[str, Any] = {
        "variant": variant,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_bytes": peak,
        "staged_rss_bytes": staged_rss,
        "rows": _count(con, "SELECT count(*) FROM events"),
    }
    if whole:
        stored = f"SELECT * FROM src.events WHERE log_id = {log_id}"
        result["rows_differing"] = sum(
            _count(con, f"SELECT count(*) FROM ({a} EXCEPT ALL {b})")
            for a, b in (("SELECT * FROM events", stored), (stored, "SELECT * FROM events"))
        )
        result["out_of_order"] = _count(
            con,
            "SELECT count(*) FROM (SELECT case_no, seq, "
            "lag(case_no) OVER (ORDER BY rowid) AS prev_case, "
            "lag(seq) OVER (ORDER BY rowid) AS prev_seq FROM events) "
            "WHERE prev_case > case_no OR (prev_case = case_no AND prev_seq >= seq)",
        )
    con.close()
    return result


def _count(con: Any, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _run(db: Path, log: str, variant: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="servflow-write-floor-") as work:
        done = subprocess.run(
            [sys.executable, "-m", "bench.write_floor", str(db), log, "--job", variant, work],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).parent.parent,
        )
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            result: dict[str, Any] = json.loads(line[len(MARKER) :])
            return result
    raise SystemExit(f"{variant}: the job failed:\n{done.stderr[-2000:]}")


def _report(db: Path, log: str, results: list[dict[str, Any]]) -> str:
    base = next(r for r in results if r["variant"] == "ingest")
    mib = 1024 * 1024
    lines = [
        f"# Writing the events of `{log}` ({base['rows']:,} events): ingest against the floor",
        "",
        f"`python -m bench.write_floor {db} {log}`: each variant in a fresh process, one after "
        "another; time and CPU of the write and its checkpoint; peak memory of the process "
        "(the staged events included) and its growth over the staged state. Load average at "
        f"the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}.",
        "",
        "| variant | wall s | x ingest | CPU s | x ingest | peak MiB | growth MiB | check |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "rows_differing" in r:
            ok = r["rows_differing"] == 0 and r["out_of_order"] == 0
            check = (
                "stored rows, stored order"
                if ok
                else (f"**{r['rows_differing']} rows differ, {r['out_of_order']} out of order**")
            )
        else:
            check = f"{r['rows']:,} rows (no positions or successors)"
        lines.append(
            f"| `{r['variant']}` | {r['wall_s']:.2f} | {r['wall_s'] / base['wall_s']:.2f} "
            f"| {r['cpu_s']:.2f} | {r['cpu_s'] / base['cpu_s']:.2f} "
            f"| {r['peak_bytes'] / mib:,.0f} "
            f"| {(r['peak_bytes'] - r['staged_rss_bytes']) / mib:,.0f} | {check} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.write_floor", description=__doc__)
    parser.add_argument("db", type=Path, help="an ingested servflow database")
    parser.add_argument("log", help="the log whose events are written")
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated, from {', '.join(VARIANTS)} (default: all; ingest always runs)",
    )
    parser.add_argument("--out", type=Path, help="also write the report here")
    parser.add_argument("--job", nargs=2, metavar=("VARIANT", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.job:
        variant, work = args.job
        print(MARKER + json.dumps(_job(args.db, args.log, variant, Path(work))), flush=True)
        return 0
    wanted = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in wanted if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant {unknown[0]!r}; choose from {', '.join(VARIANTS)}")
    order = ["ingest", *[v for v in wanted if v != "ingest"]]
    results = []
    for variant in order:
        results.append(_run(args.db, args.log, variant))
        print(f"{variant}: {results[-1]['wall_s']:.2f} s", file=sys.stderr, flush=True)
    report = _report(args.db, args.log, results)
    print(report)
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
