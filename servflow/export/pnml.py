"""PNML (Petri Net Markup Language) written from a process tree, with fixed ids.

The translation is the standard block-structured one (a workflow net): every block runs from
an entry place to an exit place; an activity is a labelled transition, a silent step (tau) an
unlabelled one; a choice shares its entry and exit places among the branches; a parallel block
opens and closes with silent split and join transitions; a loop enters and leaves through
silent transitions around its body, with the redo part leading back. The initial marking is one
token on the source place `p1`, the final marking one token on the sink place. Places,
transitions and arcs are numbered in the tree's order, so the same tree gives the same file.

>>> from pm4py.objects.process_tree.obj import ProcessTree, Operator
>>> tree = ProcessTree(Operator.XOR)
>>> tree.children = [ProcessTree(label="咨询", parent=tree), ProcessTree(parent=tree)]
>>> net = petri_net(tree)
>>> [t.label for t in net.transitions], net.final_place
(['咨询', None], 'p2')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from servflow.export.common import ExportError, xml_text

__all__ = ["PetriNet", "Transition", "petri_net", "pnml_xml"]

PNML_CORE = "http://www.pnml.org/version-2009/grammar/pnmlcoremodel"


@dataclass(frozen=True, slots=True)
class Transition:
    id: str
    label: str | None


@dataclass(frozen=True, slots=True)
class PetriNet:
    """An accepting Petri net: one token on `initial_place` at the start, on `final_place` at the end."""

    places: tuple[str, ...]
    transitions: tuple[Transition, ...]
    arcs: tuple[tuple[str, str], ...]
    initial_place: str
    final_place: str


@dataclass
class _Builder:
    places: list[str] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    arcs: list[tuple[str, str]] = field(default_factory=list)

    def place(self) -> str:
        self.places.append(f"p{len(self.places) + 1}")
        return self.places[-1]

    def transition(self, label: str | None, inputs: list[str], outputs: list[str]) -> None:
        t = Transition(f"t{len(self.transitions) + 1}", label)
        self.transitions.append(t)
        self.arcs += [(p, t.id) for p in inputs] + [(t.id, p) for p in outputs]

    def block(self, tree: Any, entry: str, exit_: str) -> None:
        operator = tree.operator
        if operator is None:
            self.transition(None if tree.label is None else str(tree.label), [entry], [exit_])
            return
        kind = str(operator.value) if hasattr(operator, "value") else str(operator)
        children = list(tree.children)
        if kind == "->":
            here = entry
            for i, child in enumerate(children):
                there = exit_ if i == len(children) - 1 else self.place()
                self.block(child, here, there)
                here = there
        elif kind == "X":
            for child in children:
                self.block(child, entry, exit_)
        elif kind == "+":
            pairs = [(self.place(), self.place()) for _ in children]
            self.transition(None, [entry], [p for p, _ in pairs])
            for child, (begin, end) in zip(children, pairs, strict=True):
                self.block(child, begin, end)
            self.transition(None, [q for _, q in pairs], [exit_])
        elif kind == "*":
            body_in, body_out = self.place(), self.place()
            self.transition(None, [entry], [body_in])
            self.block(children[0], body_in, body_out)
            for redo in children[1:]:
                self.block(redo, body_out, body_in)
            self.transition(None, [body_out], [exit_])
        else:
            raise ExportError(
                f"the process model uses the operator {kind!r}, which has no Petri net "
                "translation here; only sequence, choice, parallel and loop blocks do."
            )


def petri_net(tree: Any) -> PetriNet:
    """The workflow net of a pm4py process tree (see the module docstring)."""
    builder = _Builder()
    source, sink = builder.place(), builder.place()
    builder.block(tree, source, sink)
    return PetriNet(
        tuple(builder.places), tuple(builder.transitions), tuple(builder.arcs), source, sink
    )


def pnml_xml(net: PetriNet, *, name: str) -> bytes:
    """The PNML file (UTF-8 bytes) of `net`, readable by pm4py and ProM."""
    from lxml import etree

    root = etree.Element("pnml")
    element = etree.SubElement(root, "net", id="net1", type=PNML_CORE)
    etree.SubElement(etree.SubElement(element, "name"), "text").text = xml_text(name)
    page = etree.SubElement(element, "page", id="n0")
    for place in net.places:
        node = etree.SubElement(page, "place", id=place)
        etree.SubElement(etree.SubElement(node, "name"), "text").text = place
        if place == net.initial_place:
            etree.SubElement(etree.SubElement(node, "initialMarking"), "text").text = "1"
    for t in net.transitions:
        node = etree.SubElement(page, "transition", id=t.id)
        if t.label is not None:
            etree.SubElement(etree.SubElement(node, "name"), "text").text = xml_text(t.label)
        else:
            # ProM's mark of a silent transition; pm4py reads a transition without name as silent
            etree.SubElement(
                node, "toolspecific", tool="ProM", version="6.4", activity="$invisible$"
            )
    for i, (source, target) in enumerate(net.arcs, start=1):
        etree.SubElement(page, "arc", id=f"a{i}", source=source, target=target)
    markings = etree.SubElement(element, "finalmarkings")
    final = etree.SubElement(etree.SubElement(markings, "marking"), "place", idref=net.final_place)
    etree.SubElement(final, "text").text = "1"
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
