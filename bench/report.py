"""Write `bench/RESULTS.md` and `bench/scaling.png` from `bench/results.json`.

.venv/bin/python -m bench.report
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.datasets import REPO
from bench.steps import STEPS, reference_step

__all__ = ["evaluate_targets", "main", "write_report"]

BENCH = REPO / "bench"
GIB = 2**30
MIB = 2**20
CHART_STEPS = (
    "ingest_parquet",
    "ingest_csv",
    "ingest_xes",
    "dfg",
    "variants",
    "rework",
    "breakpoints",
    "filtered_map",
    "full",
)


class Results:
    """Lookup over the merged results."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.by_key = {(m["step"], m["dataset"], m["tool"]): m for m in data["measurements"]}

    def get(self, step: str, dataset: str, tool: str) -> dict[str, Any] | None:
        return self.by_key.get((step, dataset, tool))

    def ok(self, step: str, dataset: str, tool: str) -> dict[str, Any] | None:
        m = self.get(step, dataset, tool)
        return m if m and m.get("status") == "ok" else None

    def events(self, dataset: str) -> int:
        return int(self.data["datasets"].get(dataset, {}).get("events") or 0)

    def datasets_for(self, step: str) -> list[str]:
        keys = {m["dataset"] for m in self.data["measurements"] if m["step"] == step}
        return sorted(
            keys,
            key=lambda k: (
                not self.data["datasets"].get(k, {}).get("generated", False),
                self.events(k),
            ),
        )


# --- formatting --------------------------------------------------------------------------------


def _s(m: dict[str, Any] | None) -> str:
    if m is None:
        return "–"
    if m.get("status") != "ok":
        return {"skipped": "skipped", "killed": "killed", "error": "error"}.get(m["status"], "?")
    return _secs(m["best_s"])


def _secs(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _mib(m: dict[str, Any] | None) -> str:
    if m is None or not m.get("peak_rss_bytes") or m.get("status") == "skipped":
        return "–"
    text = f"{m['peak_rss_bytes'] / MIB:,.0f}"
    return text if m.get("status") == "ok" else f">{text}"


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> str:
    """a / b of the best times, as '12.3x'."""
    if not a or not b or a.get("status") != "ok" or b.get("status") != "ok":
        return "–"
    if b["best_s"] <= 0:
        return "–"
    value = a["best_s"] / b["best_s"]
    return f"{value:.1f}x" if value < 100 else f"{value:,.0f}x"


def _count(n: int) -> str:
    return f"{n:,}"


def _check(sf: dict[str, Any] | None, pm: dict[str, Any] | None) -> str:
    """The facts both sides report, compared."""
    if not sf or not pm or sf.get("status") != "ok" or pm.get("status") != "ok":
        return ""
    a, b = sf.get("facts", {}), pm.get("facts", {})
    parts = []
    for key in ("events", "cases", "edges", "variants", "activities_with_rework", "stalled_cases"):
        if key in a and key in b:
            mark = "=" if a[key] == b[key] else "≠"
            parts.append(f"{key.replace('_', ' ')} {_fmt_fact(a[key])} {mark} {_fmt_fact(b[key])}")
    return "; ".join(parts)


def _fmt_fact(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


# --- targets -----------------------------------------------------------------------------------


def evaluate_targets(res: Results) -> list[dict[str, Any]]:
    """Each target of issues 2, 3 and 5: what was measured and whether it is met (None: not
    measured)."""
    out: list[dict[str, Any]] = []

    def add(target: str, measured: str, met: bool | None, where: str) -> None:
        out.append({"target": target, "measured": measured, "met": met, "where": where})

    sf, pm = res.get("full", "telecom-1m", "servflow"), res.get("full", "telecom-1m", "pm4py")
    if sf and pm and sf.get("status") == "ok" and pm.get("status") == "ok":
        speedup = pm["best_s"] / sf["best_s"]
        add(
            "Full analysis at 1M events ≥ 10x faster than pm4py",
            f"servflow {_secs(sf['best_s'])} s, pm4py {_secs(pm['best_s'])} s: {speedup:.1f}x",
            speedup >= 10,
            "full / telecom-1m",
        )
    else:
        add("Full analysis at 1M events ≥ 10x faster than pm4py", "not measured", None, "")

    cli_target = "`servflow mine` (whole process) on 2M events ≥ 5x faster than the pm4py script"
    sf, pm = res.ok("mine_cli", "telecom-2m", "servflow"), res.ok("mine_cli", "telecom-2m", "pm4py")
    if sf and pm:
        speedup = pm["best_s"] / sf["best_s"]
        add(
            cli_target,
            f"servflow mine {_secs(sf['best_s'])} s, pm4py script {_secs(pm['best_s'])} s: "
            f"{speedup:.1f}x",
            speedup >= 5,
            "mine_cli / telecom-2m",
        )
    else:
        add(cli_target, "not measured", None, "")

    full10 = res.get("full", "telecom-10m", "servflow")
    target10 = "Full analysis at 10M events under 20 s, within 4 GiB peak memory"
    if full10:
        ok = full10.get("status") == "ok"
        peak = full10.get("peak_rss_bytes", 0)
        add(
            target10,
            (f"completed in {_secs(full10['best_s'])} s, " if ok else f"{full10['status']}, ")
            + f"peak {peak / GIB:.2f} GiB",
            ok and full10["best_s"] < 20 and peak <= 4 * GIB,
            "full / telecom-10m",
        )
    else:
        add(target10, "not measured", None, "")

    fm = res.get("filtered_map", "telecom-10m", "servflow")
    if fm and fm.get("status") == "ok":
        peak = fm.get("peak_rss_bytes", 0)
        add(
            "Filtered process map with performance figures at 10M events under 1 s "
            "(first call in a fresh process), within 4 GiB",
            f"first call {_secs(fm['first_s'])} s, best {_secs(fm['best_s'])} s, "
            f"peak {peak / GIB:.2f} GiB",
            fm["first_s"] < 1.0 and peak <= 4 * GIB,
            "filtered_map / telecom-10m",
        )
    else:
        add("Filtered process map at 10M events under 1 s", "not measured", None, "")

    for key in ("telecom-1m", "telecom-10m"):
        ing = res.ok("ingest_parquet", key, "servflow")
        if ing:
            events = ing["facts"].get("events") or res.events(key)
            rate = events / ing["best_s"]
            add(
                f"Ingest ≥ 1M events/s from Parquet ({key})",
                f"{_count(events)} events in {_secs(ing['best_s'])} s: {rate / 1e6:.2f}M events/s",
                rate >= 1e6,
                f"ingest_parquet / {key}",
            )
    ing10 = res.get("ingest_parquet", "telecom-10m", "servflow")
    if ing10:
        peak = ing10.get("peak_rss_bytes", 0)
        add(
            "Ingest of 10M events under 4 GiB peak memory (Parquet)",
            f"peak {peak / GIB:.2f} GiB",
            ing10.get("status") == "ok" and peak <= 4 * GIB,
            "ingest_parquet / telecom-10m",
        )
    csv10 = res.get("ingest_csv", "telecom-10m", "servflow")
    if csv10:
        peak = csv10.get("peak_rss_bytes", 0)
        add(
            "Ingest of 10M events under 4 GiB peak memory (CSV)",
            f"peak {peak / GIB:.2f} GiB",
            csv10.get("status") == "ok" and peak <= 4 * GIB,
            "ingest_csv / telecom-10m",
        )
    for key in res.datasets_for("ingest_xes"):
        sfx, pmx = res.ok("ingest_xes", key, "servflow"), res.ok("ingest_xes", key, "pm4py")
        if sfx and pmx:
            add(
                f"XES ingest faster than pm4py.read_xes ({key})",
                f"servflow {_secs(sfx['best_s'])} s, pm4py {_secs(pmx['best_s'])} s "
                f"({pmx['best_s'] / sfx['best_s']:.1f}x)",
                sfx["best_s"] < pmx["best_s"],
                f"ingest_xes / {key}",
            )
    return out


# --- RESULTS.md --------------------------------------------------------------------------------


def write_report(data: dict[str, Any], out: Path = BENCH) -> None:
    res = Results(data)
    (out / "RESULTS.md").write_text("\n".join(_markdown(res)) + "\n", "utf-8")
    write_chart(res, out / "scaling.png")


def _markdown(res: Results) -> list[str]:
    data = res.data
    mach = data["machine"]
    runs = data.get("runs", [])
    lines = [
        "# Benchmark results",
        "",
        "Generated by `python -m bench.run` (see [README.md](README.md) for what is measured "
        "and how); do not edit by hand. The analysis at the end comes from `bench/NOTES.md`.",
        "",
        "## Machine",
        "",
        f"- CPU: {mach['cpu_model']}, {mach['logical_cores']} logical cores "
        f"({mach['physical_cores']} physical)",
        f"- Memory: {mach['memory_bytes'] / GIB:.1f} GiB; {mach['os']}; Python {mach['python']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in mach["versions"].items()),
        f"- DuckDB: memory_limit {mach['duckdb_settings']['memory_limit']}, threads "
        f"{mach['duckdb_settings']['threads']}",
        "- The machine was shared with other jobs: the load average is given per run and per "
        "measurement (`load_1m_before` in results.json); times are the best of repeats.",
        "",
        "Runs merged into these results:",
        "",
    ]
    lines += _table(
        ["started (UTC)", "finished", "code", "load average start → end", "command"],
        (
            [
                r["started"],
                r.get("finished", "?")[11:],
                r.get("code_note", r.get("code", "?")),
                f"{r['load_average_start']} → {r.get('load_average_end', '?')}",
                f"`{r['command']}`",
            ]
            for r in runs
        ),
    )
    lines += ["", "## Targets", ""]
    lines += _table(
        ["target", "measured", "met"],
        (
            [
                t["target"],
                t["measured"],
                {True: "yes", False: "**no**", None: "not measured"}[t["met"]],
            ]
            for t in evaluate_targets(res)
        ),
    )
    lines += [
        "",
        "## Results per step",
        "",
        "Times are wall-clock seconds, best of up to 5 runs within 15 s in one fresh process "
        "(so a step over ~7 s ran once), except the full analysis up to 1M events: best of 3 "
        "on both sides; peak memory is the resident set size of that whole process "
        "(Python, imports, the data it holds: for pm4py, the DataFrame). `pm4py ÷ servflow` is "
        "how many times faster servflow is; `servflow ÷ ref` is how far servflow is from the "
        "machine reference (a plain DuckDB scan/aggregate of the same stored events, or the bare "
        "file read for ingest). The scaling chart is [scaling.png](scaling.png).",
        "",
    ]
    for name, step in STEPS.items():
        lines += [f"### {step.title} (`{name}`)", ""]
        if step.skip_reason:
            lines += [f"Skipped: {step.skip_reason}.", ""]
            continue
        lines += [
            f"- servflow: {step.servflow}",
            f"- pm4py: {step.pm4py}",
            f"- reference: {step.reference}",
            "",
        ]
        keys = res.datasets_for(name)
        if not keys:
            lines += ["Not measured in these results.", ""]
            continue
        header = [
            "log",
            "events",
            "servflow s",
            "pm4py s",
            "pm4py ÷ servflow",
            "ref s",
            "servflow ÷ ref",
            "servflow peak MiB",
            "pm4py peak MiB",
        ]
        if step.kind == "ingest":
            header.insert(4, "servflow events/s")
        header.append("same result")
        rows = []
        notes: list[str] = []
        for key in keys:
            sf, pm = res.get(name, key, "servflow"), res.get(name, key, "pm4py")
            ref = res.get(reference_step(name), key, "reference")
            measured = [m for m in (sf, pm, ref) if m]
            reasons = {m.get("reason") for m in measured}
            if measured and all(m["status"] == "skipped" for m in measured) and len(reasons) == 1:
                notes.append(f"- {key}: not measured: {reasons.pop()}")
                continue
            events = res.events(key)
            if step.kind == "ingest" and sf and sf.get("status") == "ok":
                events = sf["facts"].get("events") or events
            row = [
                key,
                _count(events),
                _s(sf),
                _s(pm),
                _ratio(pm, sf),
                _s(ref),
                _ratio(sf, ref),
                _mib(sf),
                _mib(pm),
            ]
            if step.kind == "ingest":
                rate = (
                    f"{events / sf['best_s'] / 1e6:.2f}M"
                    if sf and sf.get("status") == "ok"
                    else "–"
                )
                row.insert(4, rate)
            row.append(_check(sf, pm))
            rows.append(row)
            for tool, m in (("servflow", sf), ("pm4py", pm), ("reference", ref)):
                if m and m.get("status") != "ok":
                    why = m.get("reason") or m.get("error", "")
                    notes.append(
                        f"- {key}, {tool}: {m['status']}: {str(why).splitlines()[0][:300]}"
                    )
        lines += _table(header, rows)
        if notes:
            lines += ["", *sorted(set(notes))]
        lines.append("")
        lines += _phase_tables(res, name, keys)
    skipped = [m for m in data["measurements"] if m["step"] == "*"]
    if skipped:
        lines += ["## Logs not available", ""]
        lines += [f"- {m['dataset']}: {m['reason']}" for m in skipped]
        lines.append("")
    lines += _dataset_table(res)
    analysis = BENCH / "NOTES.md"
    if analysis.exists():
        lines += ["## Analysis", "", analysis.read_text("utf-8").strip(), ""]
    return lines


def _phase_tables(res: Results, step: str, keys: list[str]) -> list[str]:
    """Per-phase seconds of the largest log's measurements (ingest and full analysis)."""
    if step not in ("ingest_parquet", "ingest_csv", "ingest_xes", "full"):
        return []
    lines: list[str] = []
    for tool in ("servflow", "pm4py"):
        measured = [k for k in keys if (m := res.ok(step, k, tool)) and m.get("phases")]
        if not measured:
            continue
        lines += [f"Phases of {tool} (seconds, best run):", ""]
        labels: list[str] = []
        for k in measured:
            for label, _ in res.ok(step, k, tool)["phases"]:  # type: ignore[index]
                if label not in labels:
                    labels.append(label)
        rows = []
        for label in labels:
            row = [label]
            for k in measured:
                phases = dict(res.ok(step, k, tool)["phases"])  # type: ignore[index]
                row.append(_secs(phases[label]) if label in phases else "–")
            rows.append(row)
        lines += _table(["phase", *measured], rows)
        lines.append("")
        for k in measured:
            prof = res.ok(step, k, tool).get("profile")  # type: ignore[union-attr]
            if prof:
                lines += [
                    f"<details><summary>cProfile of {tool} on {k} (top functions by "
                    "cumulative time)</summary>",
                    "",
                    "```",
                ]
                lines += [
                    f"{p['cumulative_s']:9.3f} s {p['calls']:>9,}  {p['function']}" for p in prof
                ]
                lines += ["```", "", "</details>", ""]
    return lines


def _dataset_table(res: Results) -> list[str]:
    rows = []
    for key, info in sorted(res.data["datasets"].items(), key=lambda kv: kv[1].get("events", 0)):
        rows.append(
            [
                key,
                info.get("title", ""),
                _count(int(info.get("events") or 0)),
                _count(int(info["cases"])) if info.get("cases") else "–",
            ]
        )
    return ["## Logs", "", *_table(["log", "what", "events", "cases"], rows), ""]


# --- chart -------------------------------------------------------------------------------------


def write_chart(res: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 3, figsize=(13, 11), constrained_layout=True)
    styles = {
        "servflow": {"color": "#1f6fb4", "marker": "o", "linestyle": "-"},
        "pm4py": {"color": "#d9541e", "marker": "s", "linestyle": "--"},
        "reference": {"color": "#6b6b6b", "marker": "^", "linestyle": ":"},
    }
    for ax, step in zip(axes.flat, CHART_STEPS, strict=True):
        ax.set_title(STEPS[step].title)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("events")
        ax.set_ylabel("seconds")
        ax.grid(True, which="both", alpha=0.25)
        plotted = False
        for tool, style in styles.items():
            measured = reference_step(step) if tool == "reference" else step
            generated: list[tuple[int, float, str]] = []
            real: list[tuple[int, float, str]] = []
            for key in res.datasets_for(step):
                m = res.ok(measured, key, tool)
                if not m:
                    continue
                events = res.events(key)
                target = generated if res.data["datasets"].get(key, {}).get("generated") else real
                target.append((events, m["best_s"], key))
            generated.sort()
            if generated:
                ax.plot([g[0] for g in generated], [g[1] for g in generated], label=tool, **style)
                plotted = True
            for events, secs, _key in real:
                ax.plot(
                    [events],
                    [secs],
                    color=style["color"],
                    marker=style["marker"],
                    markerfacecolor="none",
                    linestyle="none",
                    markersize=9,
                )
                plotted = True
        if plotted:
            ax.legend(fontsize=8, loc="upper left")
        else:
            ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes)
    fig.suptitle(
        "servflow vs pm4py vs DuckDB reference: time against log size (log-log)\n"
        "lines: generated telecom logs; hollow markers: real logs",
        fontsize=12,
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    data = json.loads((BENCH / "results.json").read_text("utf-8"))
    write_report(data)
    print("wrote bench/RESULTS.md and bench/scaling.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
