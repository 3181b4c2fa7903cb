"""BPMN 2.0 XML with diagram interchange, written from a process tree.

The process tree of `mining.discovery` (pm4py's Inductive Miner) is translated block by block:
an activity becomes a task, a sequence a chain of flows, a choice (X) a pair of exclusive
gateways, a parallel block (+) a pair of parallel gateways, a loop (*) an exclusive join before
its body and an exclusive split after it with the redo part flowing back; silent steps (tau)
become plain flows. Element ids are numbered in the tree's own order (`Activity_1`,
`Gateway_1`, `Flow_1` ...), so the same tree always gives the same file.

Each branch leaving an exclusive gateway carries the placeholder condition `branch == "<flow
id>"`: the log records which way cases went, not why, and engines such as SpiffWorkflow load
a model only when every branch of a choice has a condition.

Every node gets a `BPMNShape` and every flow a `BPMNEdge` laid out by Graphviz (left to
right, BPMN's usual sizes: tasks 100x80, events 36x36, gateways 50x50), so a BPMN modeler shows
the diagram as drawn instead of stacking everything at 0,0.

>>> from pm4py.objects.process_tree.obj import ProcessTree, Operator
>>> tree = ProcessTree(Operator.SEQUENCE)
>>> tree.children = [ProcessTree(label="受理", parent=tree), ProcessTree(label="结单", parent=tree)]
>>> graph = bpmn_graph(tree)
>>> [n.name for n in graph.nodes], len(graph.flows)
([None, '受理', '结单', None], 3)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Literal

from servflow.export.common import ExportError, xml_text
from servflow.export.dot import DotLayout, layout

__all__ = ["BpmnFlow", "BpmnGraph", "BpmnNode", "bpmn_graph", "bpmn_layout_dot", "bpmn_xml"]

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

NodeKind = Literal["startEvent", "endEvent", "task", "exclusiveGateway", "parallelGateway"]

# BPMN shape sizes in pixels (those of bpmn-js / Camunda Modeler)
_SIZES: dict[str, tuple[int, int]] = {
    "startEvent": (36, 36),
    "endEvent": (36, 36),
    "task": (100, 80),
    "exclusiveGateway": (50, 50),
    "parallelGateway": (50, 50),
}
_ID_PREFIX = {
    "startEvent": "StartEvent",
    "endEvent": "EndEvent",
    "task": "Activity",
    "exclusiveGateway": "Gateway",
    "parallelGateway": "Gateway",
}


@dataclass(frozen=True, slots=True)
class BpmnNode:
    id: str
    kind: NodeKind
    name: str | None = None


@dataclass(frozen=True, slots=True)
class BpmnFlow:
    id: str
    source: str
    target: str


@dataclass(frozen=True, slots=True)
class BpmnGraph:
    """A flat BPMN process: nodes and sequence flows in creation order."""

    nodes: tuple[BpmnNode, ...]
    flows: tuple[BpmnFlow, ...]

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(n.name or "" for n in self.nodes if n.kind == "task")


@dataclass(frozen=True, slots=True)
class _Fragment:
    entry: str
    exit: str


@dataclass
class _Builder:
    nodes: list[BpmnNode] = field(default_factory=list)
    flows: list[BpmnFlow] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)

    def node(self, kind: NodeKind, name: str | None = None) -> str:
        prefix = _ID_PREFIX[kind]
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        node_id = f"{prefix}_{self.counters[prefix]}"
        self.nodes.append(BpmnNode(node_id, kind, name))
        return node_id

    def flow(self, source: str, target: str) -> None:
        if (source, target) in self.seen:
            return
        self.seen.add((source, target))
        self.flows.append(BpmnFlow(f"Flow_{len(self.flows) + 1}", source, target))

    def connect(self, source: str, fragment: _Fragment | None, target: str) -> None:
        if fragment is None:
            self.flow(source, target)
        else:
            self.flow(source, fragment.entry)
            self.flow(fragment.exit, target)

    def block(self, tree: Any) -> _Fragment | None:
        """The fragment of `tree`; None for a silent step."""
        operator = tree.operator
        if operator is None:
            if tree.label is None:
                return None
            task = self.node("task", str(tree.label))
            return _Fragment(task, task)
        kind = str(operator.value) if hasattr(operator, "value") else str(operator)
        children = list(tree.children)
        if kind == "->":
            parts = [f for f in (self.block(c) for c in children) if f is not None]
            if not parts:
                return None
            for left, right in pairwise(parts):
                self.flow(left.exit, right.entry)
            return _Fragment(parts[0].entry, parts[-1].exit)
        if kind in ("X", "+"):
            gateway: NodeKind = "exclusiveGateway" if kind == "X" else "parallelGateway"
            split = self.node(gateway)
            branches = [self.block(c) for c in children]
            if kind == "+":
                branches = [b for b in branches if b is not None] or [None]
            join = self.node(gateway)
            for branch in branches:
                self.connect(split, branch, join)
            return _Fragment(split, join)
        if kind == "*":
            join = self.node("exclusiveGateway")
            body = self.block(children[0])
            split = self.node("exclusiveGateway")
            self.connect(join, body, split)
            redo = children[1:]
            for part in redo:
                self.connect(split, self.block(part), join)
            return _Fragment(join, split)
        raise ExportError(
            f"the process model uses the operator {kind!r}, which has no BPMN translation here; "
            "only sequence, choice, parallel and loop blocks (as the Inductive Miner makes) do."
        )


def bpmn_graph(tree: Any) -> BpmnGraph:
    """The BPMN process of a pm4py process tree (see the module docstring)."""
    builder = _Builder()
    start = builder.node("startEvent")
    body = builder.block(tree)
    end = builder.node("endEvent")
    # the end event is created last so the start event, then tree order, number the rest
    builder.connect(start, body, end)
    return BpmnGraph(tuple(builder.nodes), tuple(builder.flows))


def bpmn_layout_dot(graph: BpmnGraph) -> str:
    """DOT text that lays the process out left to right with BPMN's shape sizes."""
    shapes = {"startEvent": "circle", "endEvent": "circle", "task": "box"}
    lines = [
        "digraph bpmn {",
        "  graph [rankdir=LR, nodesep=0.45, ranksep=0.55];",
        '  node [label="", fixedsize=true];',
        "  edge [arrowhead=none];",
    ]
    for node in graph.nodes:
        width, height = _SIZES[node.kind]
        shape = shapes.get(node.kind, "diamond")
        lines.append(
            f"  {node.id} [shape={shape}, width={width / 72:.4f}, height={height / 72:.4f}];"
        )
    lines += [f"  {f.source} -> {f.target};" for f in graph.flows]
    lines.append("}")
    return "\n".join(lines) + "\n"


def bpmn_xml(
    graph: BpmnGraph,
    *,
    process_name: str,
    documentation: str = "",
    exporter_version: str = "",
    coordinates: DotLayout | None = None,
) -> bytes:
    """The BPMN 2.0 file (UTF-8 bytes) of `graph`, laid out by Graphviz unless `coordinates`."""
    from lxml import etree

    placed = coordinates if coordinates is not None else layout(bpmn_layout_dot(graph))
    nsmap = {None: BPMN_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS, "xsi": XSI_NS}

    def m(tag: str) -> str:
        return f"{{{BPMN_NS}}}{tag}"

    root = etree.Element(
        m("definitions"),
        nsmap=nsmap,  # type: ignore[arg-type]
        id="Definitions_1",
        targetNamespace="urn:servflow:export",
        exporter="servflow",
        exporterVersion=exporter_version or "unknown",
    )
    process = etree.SubElement(
        root, m("process"), id="Process_1", name=xml_text(process_name), isExecutable="true"
    )
    if documentation:
        etree.SubElement(process, m("documentation")).text = xml_text(documentation)
    incoming: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    outgoing: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    for f in graph.flows:
        outgoing[f.source].append(f.id)
        incoming[f.target].append(f.id)
    for node in graph.nodes:
        element = etree.SubElement(process, m(node.kind), id=node.id)
        if node.name is not None:
            element.set("name", xml_text(node.name))
        if node.kind.endswith("Gateway"):
            fan_in, fan_out = len(incoming[node.id]), len(outgoing[node.id])
            direction = (
                "Diverging"
                if fan_in <= 1 < fan_out
                else "Converging"
                if fan_out <= 1 < fan_in
                else "Mixed"
                if fan_in > 1 and fan_out > 1
                else "Unspecified"
            )
            element.set("gatewayDirection", direction)
        for flow_id in incoming[node.id]:
            etree.SubElement(element, m("incoming")).text = flow_id
        for flow_id in outgoing[node.id]:
            etree.SubElement(element, m("outgoing")).text = flow_id
    kinds = {n.id: n.kind for n in graph.nodes}
    for f in graph.flows:
        flow = etree.SubElement(
            process, m("sequenceFlow"), id=f.id, sourceRef=f.source, targetRef=f.target
        )
        if kinds[f.source] == "exclusiveGateway" and len(outgoing[f.source]) > 1:
            # The log shows which way cases went, not why: a named placeholder condition keeps
            # the choice explicit and lets execution engines (SpiffWorkflow) load the model.
            condition = etree.SubElement(flow, m("conditionExpression"))
            condition.set(f"{{{XSI_NS}}}type", "tFormalExpression")
            condition.text = f'branch == "{f.id}"'

    diagram = etree.SubElement(root, f"{{{BPMNDI_NS}}}BPMNDiagram", id="BPMNDiagram_1")
    plane = etree.SubElement(
        diagram, f"{{{BPMNDI_NS}}}BPMNPlane", id="BPMNPlane_1", bpmnElement="Process_1"
    )
    margin = 20
    for node in graph.nodes:
        x, y, _w, _h = placed.nodes[node.id]
        width, height = _SIZES[node.kind]
        shape = etree.SubElement(
            plane, f"{{{BPMNDI_NS}}}BPMNShape", id=f"{node.id}_di", bpmnElement=node.id
        )
        if node.kind.endswith("Gateway"):
            shape.set("isMarkerVisible", "true")
        etree.SubElement(
            shape,
            f"{{{DC_NS}}}Bounds",
            x=str(round(x - width / 2) + margin),
            y=str(round(y - height / 2) + margin),
            width=str(width),
            height=str(height),
        )
    for f in graph.flows:
        points = placed.edges.get((f.source, f.target))
        if not points or len(points) < 2:
            sx, sy = placed.nodes[f.source][:2]
            tx, ty = placed.nodes[f.target][:2]
            points = ((sx, sy), (tx, ty))
        edge = etree.SubElement(
            plane, f"{{{BPMNDI_NS}}}BPMNEdge", id=f"{f.id}_di", bpmnElement=f.id
        )
        for px, py in points:
            etree.SubElement(
                edge, f"{{{DI_NS}}}waypoint", x=str(round(px) + margin), y=str(round(py) + margin)
            )
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
