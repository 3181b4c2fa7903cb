"""The PDF audit report: an HTML page of the run, printed to PDF by headless Chromium.

Everything taken from the log or the database is escaped with `html_text` (log text is never
markup); the page asks for a CJK font (fonts-noto-cjk), which Chromium embeds in the PDF, so
Chinese labels print as text that PDF readers can search and copy. The page loads nothing
from the network: the process map is a local SVG file beside it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from servflow.export.common import CJK_FONT, ExportError, duration_text, find_tool, html_text
from servflow.export.source import PackSource, describe_filter

__all__ = ["chromium_version", "evidence_text", "kpi_text", "print_pdf", "report_html"]

_TIMEOUT_S = 180
TOP = 5
MAX_ACTIVITIES = 60

_CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-pdf-header-footer",
)


def _chromium() -> str:
    return find_tool("chromium", "SERVFLOW_CHROMIUM", "The PDF report (printed by Chromium)")


@cache
def chromium_version() -> str:
    done = subprocess.run(
        [_chromium(), "--version"], capture_output=True, timeout=_TIMEOUT_S, check=False
    )
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "unknown"


def kpi_text(kpi: Mapping[str, Any]) -> str:
    """A KPI value as people read it: a share in percent, seconds as a duration.

    >>> kpi_text({"value": 0.9757, "unit": "share"}), kpi_text({"value": None, "unit": "share"})
    ('97.6%', 'not available')
    """
    value = kpi.get("value")
    if value is None:
        return "not available"
    if kpi.get("unit") == "share":
        return f"{value:.1%}"
    if kpi.get("unit") == "seconds":
        return duration_text(value)
    return f"{value:.2f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], empty: str) -> str:
    if not rows:
        return f"<p class='empty'>{html_text(empty)}</p>"
    head = "".join(f"<th>{html_text(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html_text(v)}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pct(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, int | float) else "n/a"


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value or "")


def _parameters(options: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for key, value in options.items():
        if value in (None, [], {}, ()):
            continue
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v not in (None, [], {})}
            if not value:
                continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append([key, str(text)])
    return rows


def evidence_text(name: str, value: Any, unit: str) -> str:
    """One piece of evidence for people: seconds as a duration, shares in percent.

    >>> evidence_text("median wait", 72558.0, "s"), evidence_text("drop-out", 0.0372, "share")
    ('median wait: 20.2 h', 'drop-out: 3.7%')
    """
    if value is None:
        return f"{name}: n/a"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if unit in ("s", "seconds"):
            return f"{name}: {duration_text(float(value))}"
        if unit == "share":
            return f"{name}: {value:.1%}"
        shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3g}"
        return f"{name}: {shown} {unit}".rstrip()
    return f"{name}: {value} {unit}".rstrip()


def _hours_saved(candidate: Any) -> str:
    """Effort saved a month; "unknown" where the log has no start times to measure it."""
    hours = candidate.hours_saved_per_month
    return "unknown (no start times)" if hours is None else f"{hours:.1f} h"


def _candidates(candidates: Any) -> str:
    if candidates is None:
        return "<p class='empty'>No candidates for this mining run.</p>"
    parts = ["<h3>Automation</h3>"]
    rows = []
    for a in candidates.automation[:TOP]:
        evidence = "; ".join(evidence_text(c.name, c.value, c.unit) for c in a.criteria)
        rows.append([a.activity, a.kind, f"{a.score:.2f}", _hours_saved(a), evidence])
    parts.append(
        _table(
            ["activity", "kind", "score", "saved per month", "evidence"],
            rows,
            "No automation candidates.",
        )
    )
    if candidates.judgement:
        parts.append("<h3>Judgement work, not proposed</h3>")
        parts.append(
            _table(
                ["activity", "executions", "why (criteria values)"],
                [[j.activity, _count(j.executions), j.reason] for j in candidates.judgement],
                "",
            )
        )
    parts.append("<h3>Restructuring</h3>")
    rows = []
    for r in candidates.restructuring[:TOP]:
        evidence = "; ".join(evidence_text(e.name, e.value, e.unit) for e in r.evidence)
        rows.append(
            [
                " → ".join(r.activities),
                r.heuristic,
                _count(r.cases),
                duration_text(r.lead_time_change_s),
                evidence,
            ]
        )
    parts.append(
        _table(
            ["activities", "heuristic", "cases", "lead-time change per case", "evidence"],
            rows,
            "No restructuring candidates.",
        )
    )
    return "".join(parts)


_STYLE = f"""
@page {{ size: A4; margin: 14mm 12mm; }}
body {{ font-family: "{CJK_FONT}", sans-serif; font-size: 9.5pt; color: #1a1a1a; }}
h1 {{ font-size: 16pt; margin: 0 0 4pt; }}
h2 {{ font-size: 12pt; margin: 14pt 0 4pt; border-bottom: 1px solid #999; }}
h3 {{ font-size: 10pt; margin: 8pt 0 3pt; }}
table {{ border-collapse: collapse; width: 100%; margin: 3pt 0; }}
th, td {{ border: 1px solid #bbb; padding: 2pt 4pt; text-align: left; vertical-align: top; }}
th {{ background: #eef2f6; }}
.meta td:first-child {{ width: 28%; font-weight: bold; }}
td:first-child {{ white-space: nowrap; }}
.map {{ text-align: center; page-break-inside: avoid; }}
.map img {{ max-width: 100%; max-height: 235mm; }}
.empty, .note {{ color: #555; }}
code {{ font-size: 8pt; word-break: break-all; }}
"""


def report_html(
    source: PackSource,
    *,
    map_file: str | None,
    generated_at: str,
    software: Mapping[str, str],
    model: Mapping[str, Any] | None,
    files: Sequence[tuple[str, str]],
) -> str:
    """The report page. `map_file`: the process map image beside the page; `files`: (path,
    SHA-256) of the pack's other files."""
    r = source.report
    first, last = source.period
    rows_read = sum(int(load["rows_read"]) for load in source.loads)
    rows_loaded = sum(int(load["rows_loaded"]) for load in source.loads)
    rows_rejected = sum(int(load["rows_rejected"]) for load in source.loads)
    analysed = [
        ["Log", source.log_name],
        [
            "Mining run",
            f"{source.run_id} (mined {r['mined_at']}, as of {r['as_of']})"
            if source.parameters_from is None
            else f"mined for this export at {r['mined_at']} (as of {r['as_of']}) with the "
            f"filter below and the parameters of stored run {source.parameters_from}",
        ],
        ["Period (first to last event)", f"{first} to {last} (UTC)"],
        ["Cases and events", f"{_count(r['cases'])} cases, {_count(r['events'])} events"],
        ["Filter", describe_filter(source.flt)],
        [
            "Rows of the input files",
            f"{rows_read:,} read, {rows_loaded:,} loaded, {rows_rejected:,} rejected",
        ],
    ]
    if model is not None:
        analysed.append(
            [
                "Process model",
                f"{model['miner']}, noise threshold {model['noise_threshold']}, "
                f"from {model['variants']} variants of {model['cases']} cases",
            ]
        )
    if source.stale:
        analysed.append(["Note", "loads arrived after this mining run; mine again to include them"])
    inputs = [
        [
            load["load_id"],
            load["source_path"],
            load["source_sha256"],
            f"{load['rows_read']:,}",
            f"{load['rows_loaded']:,}",
            f"{load['rows_rejected']:,}",
            str(load["loaded_at"]),
        ]
        for load in source.loads
    ]
    activities = [
        [a["activity"], _count(a["occurrences"]), _count(a["cases"])]
        for a in r["activities"][:MAX_ACTIVITIES]
    ]
    kpis = [
        [name, kpi_text(k), k.get("definition") or "", k.get("note") or ""]
        for name, k in r["kpis"].items()
    ]
    bottlenecks = [
        [
            f"{b['source']} → {b['target']}",
            duration_text(b["median_s"]),
            _count(b["count"]),
            _pct(b["delay_share"]),
        ]
        for b in r["bottlenecks"][:TOP]
    ]
    rework = [
        [w["activity"], _count(w["cases"]), _pct(w["share"]), duration_text(w["extra_time_s"])]
        for w in r["rework"][:TOP]
    ]
    pingpong = [
        [p["level"], " ↔ ".join(p["activities"]), _count(p["cases"]), _pct(p["share"])]
        for p in r["pingpong"][:TOP]
    ]
    breakpoints = [
        [
            b["activity"],
            _count(b["stalled_cases"]),
            _pct(b["dropout_share"]),
            duration_text(b["threshold_s"]),
        ]
        for b in r["breakpoints"][:TOP]
    ]
    sla = [
        [
            s["ticket_type"],
            duration_text(s["target_s"]),
            _count(s["cases"]),
            _count(s["breached"]),
            _pct(s["breach_share"]),
        ]
        for s in r["sla"]
    ]
    causes = [
        [c["attribute"], c["value"], _count(c["cases"]), f"{c['ratio']:.2f}" if c["ratio"] else ""]
        for c in r["root_causes_lead_time"][:TOP]
    ]
    quality_loads = [
        [load["load_id"], load["source_path"], load["max_severity"]] for load in source.loads
    ]
    quality = [
        [f["load_id"], f["severity"], f["code"], f["message"]] for f in source.quality_findings
    ]
    body = [
        f"<h1>Audit report: process mining of log {html_text(source.log_name)}</h1>",
        f"<p class='note'>Generated {html_text(generated_at)} by servflow "
        f"{html_text(software.get('servflow', ''))}. The files of this pack and their SHA-256 "
        "are listed at the end and in manifest.json.</p>",
        "<h2>What was analysed</h2>",
        "<table class='meta'><tbody>"
        + "".join(f"<tr><td>{html_text(k)}</td><td>{html_text(v)}</td></tr>" for k, v in analysed)
        + "</tbody></table>",
        "<h3>Input files</h3>",
        _table(
            ["load", "file", "SHA-256", "rows read", "loaded", "rejected", "loaded at"],
            inputs,
            "No loads.",
        ),
        "<h3>Parameters of the mining run</h3>",
        _table(["parameter", "value"], _parameters(r["options"]), "Defaults only."),
        f"<h3>Activities ({len(r['activities'])})</h3>",
        _table(["activity", "occurrences", "cases"], activities, "No activities."),
        (
            f"<p class='note'>The first {MAX_ACTIVITIES} are shown; csv/activities.csv has all.</p>"
            if len(r["activities"]) > MAX_ACTIVITIES
            else ""
        ),
        "<h2>Scorecard</h2>",
        _table(["KPI", "value", "definition", "note"], kpis, "No KPIs."),
        "<h2>Top findings</h2>",
        "<h3>Bottlenecks (hand-overs ranked by the delay they add)</h3>",
        _table(
            ["hand-over", "median wait", "times", "share of added delay"],
            bottlenecks,
            "None found.",
        ),
        "<h3>Rework</h3>",
        _table(["activity", "cases", "share", "extra time"], rework, "None found."),
        "<h3>Ping-pong</h3>",
        _table(["level", "between", "cases", "share"], pingpong, "None found."),
        "<h3>Break points (stalled cases by last activity)</h3>",
        _table(
            ["activity", "stalled cases", "drop-out", "idle threshold"], breakpoints, "None found."
        ),
        "<h3>SLA</h3>",
        _table(
            ["ticket type", "target", "cases", "breached", "share"],
            sla,
            "No SLA targets were configured for this run.",
        ),
        "<h3>Root causes of long lead times</h3>",
        _table(["attribute", "value", "cases", "ratio to the rest"], causes, "None found."),
        "<h2>Candidates</h2>",
        _candidates(source.candidates),
        "<h2>Data quality</h2>",
        _table(["load", "file", "worst finding"], quality_loads, "No loads."),
        _table(["load", "severity", "finding", "message"], quality, "No data-quality findings."),
    ]
    if map_file is not None:
        body += [
            "<h2 style='page-break-before: always'>Process map (frequency)</h2>",
            f"<div class='map'><img src='{html_text(map_file)}' alt='process map'></div>",
        ]
    body += [
        "<h2>Files of this pack</h2>",
        _table(
            ["file", "SHA-256"],
            [[name, f"{digest}"] for name, digest in files],
            "No other files.",
        ),
        "<h3>Software</h3>",
        _table(["component", "version"], [[k, v] for k, v in software.items()], ""),
    ]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>servflow audit report: {html_text(source.log_name)}</title>"
        f"<style>{_STYLE}</style></head><body>" + "\n".join(body) + "</body></html>\n"
    )


def print_pdf(html_file: Path, pdf_file: Path, scratch: Path) -> None:
    """Print `html_file` to `pdf_file` with headless Chromium (profile kept in `scratch`)."""
    command = [
        _chromium(),
        *_CHROMIUM_FLAGS,
        f"--user-data-dir={scratch / 'chromium-profile'}",
        f"--print-to-pdf={pdf_file}",
        html_file.resolve().as_uri(),
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ExportError(
            f"Chromium did not print the PDF report within {_TIMEOUT_S} s; leave the report "
            "out with --formats, or try again on a less busy machine."
        ) from exc
    if done.returncode != 0 or not pdf_file.exists() or pdf_file.stat().st_size == 0:
        message = done.stderr.decode("utf-8", "replace").strip()[-800:]
        raise ExportError(f"Chromium could not print the PDF report: {message}")
