"""The process map of a mining run as Graphviz DOT: frequency and performance views.

Nodes are the activities (sorted by label, ids `a1`, `a2` ... in that order) plus a start and
an end node; edges are the directly-follows relations of the run (`run_dfg`) and the start and
end activities (`run_endpoints`). Every label written from the log is an HTML-like Graphviz
label escaped with `label_text`, so no label can close a string, inject an attribute or use
Graphviz's `\\N`-style escapes; all text asks for a CJK font.

>>> report = {
...     "log": "t", "run_id": 1,
...     "activities": [{"activity": "受理", "occurrences": 2, "service_median_s": 60.0}],
...     "dfg": [], "start_activities": [{"activity": "受理", "count": 2}],
...     "end_activities": [{"activity": "受理", "count": 2}],
... }
>>> "受理" in map_dot(report, "frequency")
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from servflow.export.common import CJK_FONT, duration_text, html_text

__all__ = ["MAP_KINDS", "MapKind", "label_text", "map_activities", "map_dot"]

_WHITESPACE = str.maketrans({"\t": " ", "\r": " ", "\n": " "})


def label_text(text: object) -> str:
    r"""Log text for a Graphviz HTML-like label: markup escaped, and backslashes doubled so
    Graphviz's `\N`, `\G`, `\l` ... substitutions cannot fire; tabs and line breaks become
    spaces (a diagram label has one line per field).

    >>> print(label_text('a<b & \\N\t"x"'))
    a&lt;b &amp; \\N &quot;x&quot;
    """
    return html_text(str(text).translate(_WHITESPACE)).replace("\\", "\\\\")


MapKind = Literal["frequency", "performance"]
MAP_KINDS: tuple[MapKind, ...] = ("frequency", "performance")

# light to dark; the last two take white text
_BLUES = ("#eef4fb", "#cfe1f2", "#9ecae1", "#4a90c2", "#1f5f99")
_REDS = ("#9e9e9e", "#e6a57e", "#dd7748", "#c8442a", "#99000d")


def map_activities(report: Mapping[str, Any]) -> list[str]:
    """Every activity drawn on the map, sorted by label."""
    names = {str(a["activity"]) for a in report.get("activities", [])}
    for edge in report.get("dfg", []):
        names.update((str(edge["source"]), str(edge["target"])))
    for key in ("start_activities", "end_activities"):
        names.update(str(e["activity"]) for e in report.get(key, []))
    return sorted(names)


def _bucket(value: float, top: float, size: int) -> int:
    if top <= 0:
        return 0
    return min(size - 1, int(value / top * size))


def _boxed(text: str) -> str:
    """An edge label on a white box, readable where it crosses a thick edge."""
    return (
        '<TABLE BORDER="0" CELLBORDER="0" CELLPADDING="1" CELLSPACING="0" BGCOLOR="white">'
        f"<TR><TD>{text}</TD></TR></TABLE>"
    )


def _number(value: float) -> str:
    return f"{value:,.0f}"


def map_dot(report: Mapping[str, Any], kind: MapKind, *, caption: str | None = None) -> str:
    """DOT text of the run's process map: `frequency` (counts) or `performance` (times).

    `caption` names the run in the title (default: "mining run <id>")."""
    names = map_activities(report)
    ids = {name: f"a{i}" for i, name in enumerate(names, start=1)}
    stats = {str(a["activity"]): a for a in report.get("activities", [])}
    dfg = sorted(report.get("dfg", []), key=lambda e: (ids[e["source"]], ids[e["target"]]))
    font = f'fontname="{CJK_FONT}"'
    default_caption = f"mining run {int(report.get('run_id') or 0)}"
    title = (
        f"{label_text(report.get('log', ''))}: "
        f"{'frequency' if kind == 'frequency' else 'performance'} map"
        f" ({label_text(caption or default_caption)})"
    )
    lines = [
        "digraph process_map {",
        f"  graph [{font}, rankdir=TB, nodesep=0.35, ranksep=0.45, labelloc=t, fontsize=14, "
        f"label=<{title}>];",
        f'  node [{font}, shape=box, style="rounded,filled", fontsize=11, penwidth=1.2, '
        'color="#4d4d4d", margin="0.15,0.06"];',
        f'  edge [{font}, fontsize=9, color="#555555", arrowsize=0.7];',
        '  start [label="", shape=circle, width=0.3, fixedsize=true, '
        'style=filled, fillcolor="#5cb85c", color="#3d8b3d"];',
        '  end [label="", shape=doublecircle, width=0.26, fixedsize=true, '
        'style=filled, fillcolor="#d9534f", color="#a94442"];',
    ]
    top_occurrences = max((float(s.get("occurrences") or 0) for s in stats.values()), default=0)
    for name in names:
        row = stats.get(name, {})
        occurrences = float(row.get("occurrences") or 0)
        if kind == "frequency":
            detail = _number(occurrences)
            shade = _bucket(occurrences, top_occurrences, len(_BLUES))
            fill, ink = _BLUES[shade], "#ffffff" if shade >= 3 else "#1a1a1a"
        else:
            median = row.get("service_median_s")
            detail = f"service {duration_text(median)}" if median is not None else "service n/a"
            fill, ink = "#f7f7f7", "#1a1a1a"
        label = f'{label_text(name)}<BR/><FONT POINT-SIZE="9">{label_text(detail)}</FONT>'
        lines.append(f'  {ids[name]} [label=<{label}>, fillcolor="{fill}", fontcolor="{ink}"];')

    top_count = max((float(e["count"]) for e in dfg), default=0)
    top_median = max((float(e.get("median_s") or 0) for e in dfg), default=0)
    for edge in dfg:
        count = float(edge["count"])
        width = 1.0 + 4.0 * (count / top_count if top_count else 0)
        if kind == "frequency":
            text, colour = _number(count), "#555555"
        else:
            median = float(edge.get("median_s") or 0)
            text = duration_text(edge.get("median_s"))
            colour = _REDS[_bucket(median, top_median, len(_REDS))]
        lines.append(
            f"  {ids[edge['source']]} -> {ids[edge['target']]} "
            f'[label=<{_boxed(label_text(text))}>, penwidth={width:.2f}, color="{colour}", '
            f'fontcolor="{colour}"];'
        )
    for key, template in (("start_activities", "start -> {}"), ("end_activities", "{} -> end")):
        for endpoint in sorted(report.get(key, []), key=lambda e: ids[e["activity"]]):
            edge_text = template.format(ids[endpoint["activity"]])
            endpoint_count = _number(float(endpoint["count"]))
            lines.append(
                f'  {edge_text} [label=<{_boxed(endpoint_count)}>, style=dashed, color="#888888", '
                'fontcolor="#666666"];'
            )
    lines.append("}")
    return "\n".join(lines) + "\n"
