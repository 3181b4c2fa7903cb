"""Auditor export packs: process maps, BPMN and PNML models, findings as CSV, a PDF report and
a manifest with the SHA-256 of every input and output file, from one stored mining run.

>>> from servflow.export import export_pack, ExportResult, FORMATS
>>> sorted(FORMATS)
['bpmn', 'csv', 'pdf', 'png', 'pnml', 'report', 'svg']

Modules: `processmap` (Graphviz DOT of the map), `dot` (running Graphviz), `bpmn` (BPMN 2.0
with diagram interchange), `pnml`, `csvfiles`, `report` (the PDF report), `manifest`, `source`
(what a pack is made of) and `pack` (writing it all or nothing). See docs/exports.md.
"""

from servflow.export.common import ExportError
from servflow.export.manifest import ExportedFile
from servflow.export.pack import DEFAULT_FORMATS, FORMATS, ExportResult, export_pack

__all__ = [
    "DEFAULT_FORMATS",
    "FORMATS",
    "ExportError",
    "ExportResult",
    "ExportedFile",
    "export_pack",
]
