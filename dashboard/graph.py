r"""Process maps as Graphviz DOT text, with every label from the log escaped.

Labels go into double-quoted DOT strings: backslashes, quotes and line breaks are escaped, so
no label can end the string, start an HTML-like label or inject Graphviz escapes (`\N`, `\l`).

>>> print(dot_string('say "hi" \\N <b>'))
"say \"hi\" \\N <b>"
"""

from __future__ import annotations

from typing import Literal

from mining.flows import Dfg, DfgEdge

__all__ = ["PerformanceStat", "dot_string", "format_duration", "process_map_dot"]

PerformanceStat = Literal["median", "mean", "p90"]

# light to dark: where the colour of a node or edge goes with its weight
_NODE_COLOURS = ("#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
_EDGE_COLOURS = ("#bdbdbd", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603", "#7f2704")


def dot_string(label: str) -> str:
    """`label` as a double-quoted DOT string that Graphviz shows literally."""
    escaped = (
        label.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )
    return f'"{escaped}"'


def format_duration(seconds: float | None) -> str:
    """A short human reading of a duration: 45 s, 12 min, 5.2 h, 3.1 d."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _shade(value: float, top: float, palette: tuple[str, ...]) -> str:
    if top <= 0:
        return palette[0]
    position = min(len(palette) - 1, int(value / top * (len(palette) - 1) + 0.5))
    return palette[position]


def _edge_time(edge: DfgEdge, stat: PerformanceStat) -> float:
    return {"median": edge.median_s, "mean": edge.mean_s, "p90": edge.p90_s}[stat]


def process_map_dot(
    dfg: Dfg,
    *,
    measure: Literal["frequency", "performance"] = "frequency",
    stat: PerformanceStat = "median",
) -> str:
    """DOT text of a process map: activities with their counts, edges with counts or times.

    Activities are shaded by how often they occur; in performance mode edges are coloured and
    thickened by their waiting time, in frequency mode by their count.
    """
    names = {a.activity for a in dfg.activities}
    names |= {e.source for e in dfg.edges} | {e.target for e in dfg.edges}
    ids = {name: f"a{i}" for i, name in enumerate(sorted(names))}
    occurrences = {a.activity: a.occurrences for a in dfg.activities}
    top_node = max(occurrences.values(), default=0)
    lines = [
        "digraph process_map {",
        "  rankdir=TB;",
        '  graph [fontname="Noto Sans CJK SC, sans-serif"];',
        '  node [shape=box, style="rounded,filled", fontname="Noto Sans CJK SC, sans-serif", '
        "fontsize=11];",
        '  edge [fontname="Noto Sans CJK SC, sans-serif", fontsize=9];',
        '  start [shape=circle, label="", width=0.25, style=filled, fillcolor="#31a354"];',
        '  end [shape=doublecircle, label="", width=0.2, style=filled, fillcolor="#de2d26"];',
    ]
    for name in sorted(names):
        count = occurrences.get(name, 0)
        fill = _shade(count, top_node, _NODE_COLOURS)
        font = "white" if fill in _NODE_COLOURS[4:] else "black"
        label = dot_string(name + "\n" + f"{count:,}")
        lines.append(f'  {ids[name]} [label={label}, fillcolor="{fill}", fontcolor="{font}"];')
    for a in dfg.start_activities:
        if a.activity in ids:
            lines.append(f'  start -> {ids[a.activity]} [label="{a.count:,}", style=dashed];')
    for a in dfg.end_activities:
        if a.activity in ids:
            lines.append(f'  {ids[a.activity]} -> end [label="{a.count:,}", style=dashed];')
    if measure == "performance":
        weights = {(e.source, e.target): _edge_time(e, stat) for e in dfg.edges}
    else:
        weights = {(e.source, e.target): float(e.count) for e in dfg.edges}
    top_edge = max(weights.values(), default=0.0)
    for e in dfg.edges:
        weight = weights[(e.source, e.target)]
        label = format_duration(weight) if measure == "performance" else f"{e.count:,}"
        colour = _shade(weight, top_edge, _EDGE_COLOURS)
        width = 1.0 + 4.0 * (weight / top_edge if top_edge > 0 else 0.0)
        lines.append(
            f"  {ids[e.source]} -> {ids[e.target]} [label={dot_string(label)}, "
            f'color="{colour}", penwidth={width:.2f}];'
        )
    lines.append("}")
    return "\n".join(lines)
