"""Process models: Inductive Miner discovery, BPMN/PNML export, reading a reference model.

Discovery scales with the number of variants, not of events: the variants and their case
counts are computed in SQL on DuckDB and handed to pm4py's Inductive Miner as the variant
collection it works on internally (`collections.Counter` of activity tuples, pm4py's "UVCL").
`pm4py.discover_process_tree_inductive` on a DataFrame first reduces the log to exactly that
collection, so the tree is the one pm4py finds on the whole log, with no log to build:

- without a noise threshold (plain IM) the tree depends only on which traces occur, not on how
  often: one trace per variant;
- with a noise threshold (IMf) frequencies matter: each variant with its exact case count.

This is the one place servflow calls pm4py below its front layer (the front layer accepts a
DataFrame or a DFG only, and mining on a DFG is a different algorithm, IMd); the agreement
with the front layer on the whole log is tested.

Models read from a process owner's BPMN or PNML file are treated as hostile XML: a DOCTYPE or
entity declaration is refused before pm4py (whose lxml parser resolves entities) sees the file.

>>> import tempfile, pathlib
>>> from mining import store
>>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
>>> discover_process_model(con, 1)   # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
mining.errors.InputError: no cases to discover a model from ...
"""

from __future__ import annotations

import codecs
import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb

from mining import store
from mining.errors import HostileInputError, InputError
from mining.filters import LogFilter, apply_filter

__all__ = [
    "DEFAULT_MAX_MODEL_FILE_BYTES",
    "LogVariant",
    "ProcessModel",
    "activity_labels",
    "check_model_file",
    "discover_process_model",
    "load_log_variants",
    "model_from_variants",
    "read_process_model",
    "write_bpmn",
    "write_pnml",
    "xml_safe_label",
]

DEFAULT_MAX_MODEL_FILE_BYTES = 64 * 1024**2

Weighting = Literal["one trace per variant", "exact counts", "reference model"]


@dataclass(frozen=True, slots=True)
class LogVariant:
    """One variant of the (filtered) log: its activity labels in order and its case count.

    `variant_no` is its rank (0 = most frequent); `activity_ids` the log's integer codes.
    """

    variant_no: int
    activities: tuple[str, ...]
    activity_ids: tuple[int, ...]
    cases: int


@dataclass(frozen=True, slots=True)
class ProcessModel:
    """A process model as pm4py objects, with where it came from.

    - `net`, `initial_marking`, `final_marking`: the accepting Petri net (used for alignments);
    - `bpmn`: the BPMN graph; `tree`: the process tree (None for a model read from a file);
    - `activities`: the visible activity labels of the model, sorted;
    - `source`: 'inductive miner' or the file the model was read from;
    - `noise_threshold`, `variants`, `cases`: what the model was discovered from (None when read);
    - `weighting`: how variant frequencies reached the miner (see the module docstring).
    """

    net: Any
    initial_marking: Any
    final_marking: Any
    bpmn: Any
    tree: Any
    activities: tuple[str, ...]
    source: str
    noise_threshold: float | None
    variants: int | None
    cases: int | None
    weighting: Weighting


def load_log_variants(
    con: duckdb.DuckDBPyConnection, log_id: int, *, flt: LogFilter | None = None
) -> tuple[LogVariant, ...]:
    """The variants of the log under `flt` with their case counts, most frequent first.

    Also leaves the temp tables `sf_model_case_variants (case_no, variant)` and
    `sf_model_variants (variant_no, variant, cases)` on the connection (used by conformance).

    >>> import tempfile, pathlib
    >>> from mining import store
    >>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
    >>> load_log_variants(con, 1)
    ()
    """
    apply_filter(con, log_id, flt)
    projected = flt is not None and flt.projects_activities
    con.execute(
        store.sql(
            "model_case_variants_from_events" if projected else "model_case_variants_from_cases"
        )
    )
    con.execute(store.sql("model_variants"))
    names = activity_labels(con, log_id)
    return tuple(
        LogVariant(
            variant_no=int(no),
            activities=tuple(names[i] for i in ids),
            activity_ids=tuple(int(i) for i in ids),
            cases=int(n),
        )
        for no, ids, n in con.execute(store.sql("model_variant_list")).fetchall()
    )


def activity_labels(con: duckdb.DuckDBPyConnection, log_id: int) -> dict[int, str]:
    """The log's activity labels by integer id."""
    rows = con.execute(store.sql("model_activity_labels"), [int(log_id)]).fetchall()
    return {int(i): str(name) for i, name in rows}


def discover_process_model(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    noise_threshold: float = 0.0,
) -> ProcessModel:
    """Discover a process model of the log under `flt` with pm4py's Inductive Miner.

    `noise_threshold` in [0, 1): 0 is the plain Inductive Miner (every trace of the log fits the
    model); above 0 the infrequent-behaviour variant (IMf) leaves out rare paths.

    >>> import tempfile, pathlib
    >>> from mining import store
    >>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
    >>> model = discover_process_model(con, 1, noise_threshold=0.2)  # doctest: +SKIP
    >>> write_bpmn(model, "flow.bpmn")  # doctest: +SKIP
    """
    if not 0.0 <= noise_threshold < 1.0:
        raise InputError(
            f"noise_threshold must be at least 0 and below 1 (got {noise_threshold}); "
            "0 keeps all behaviour, 0.2 is a common choice to hide rare paths."
        )
    variants = load_log_variants(con, log_id, flt=flt)
    if not variants:
        raise InputError(
            f"no cases to discover a model from in log {log_id} under this filter; "
            "widen the filter or load the log first."
        )
    return model_from_variants(variants, noise_threshold)


def model_from_variants(variants: Sequence[LogVariant], noise_threshold: float) -> ProcessModel:
    """The Inductive Miner's model of these variants (see `discover_process_model`). Runs no
    SQL, so it can run in a thread beside queries on the connection the variants came from.

    >>> v = LogVariant(variant_no=0, activities=("a", "b"), activity_ids=(0, 1), cases=3)
    >>> model_from_variants([v], 0.0).activities  # doctest: +SKIP
    ('a', 'b')
    """
    if not variants:
        raise InputError("no variants to discover a model from.")
    weighting: Weighting = "one trace per variant" if noise_threshold == 0.0 else "exact counts"
    tree = _inductive_tree(variants, noise_threshold)

    # pm4py.convert_to_petri_net and convert_to_bpmn, from their own module
    from pm4py.convert import convert_to_bpmn, convert_to_petri_net

    net, im, fm = convert_to_petri_net(tree)
    bpmn = convert_to_bpmn(tree)
    return ProcessModel(
        net=net,
        initial_marking=im,
        final_marking=fm,
        bpmn=bpmn,
        tree=tree,
        activities=_visible_labels(net),
        source="inductive miner",
        noise_threshold=noise_threshold,
        variants=len(variants),
        cases=sum(v.cases for v in variants),
        weighting=weighting,
    )


def _inductive_tree(variants: Sequence[LogVariant], noise_threshold: float) -> Any:
    """pm4py's Inductive Miner (IM, or IMf above noise 0) on the variant collection: what
    `pm4py.discover_process_tree_inductive` runs after reducing a DataFrame to its variants."""
    from collections import Counter

    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.im import IMUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL
    from pm4py.objects.process_tree.utils.generic import fold, tree_sort

    collection: Counter[tuple[str, ...]] = Counter()
    for variant in variants:
        collection[variant.activities] += 1 if noise_threshold == 0.0 else variant.cases
    parameters = {
        "noise_threshold": noise_threshold,
        "multiprocessing": False,
        "disable_fallthroughs": False,
    }
    miner = IMUVCL(parameters) if noise_threshold == 0.0 else IMFUVCL(parameters)
    tree = fold(miner.apply(IMDataStructureUVCL(collection), parameters))
    tree_sort(tree)
    return tree


def _visible_labels(net: Any) -> tuple[str, ...]:
    return tuple(sorted({str(t.label) for t in net.transitions if t.label is not None}))


# --- writing ------------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry at all (C0 controls except tab/newline/CR, surrogates, U+FFFE/F).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe_label(label: str) -> str:
    """`label` with characters XML cannot hold written as visible `\\xNN` escapes.

    `<`, `&`, quotes and CJK text need nothing here: the XML writers escape them.

    >>> xml_safe_label("受理\\x01<A&B>")
    '受理\\\\x01<A&B>'
    """
    return _XML_ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", label)


def write_bpmn(model: ProcessModel, path: str | Path) -> Path:
    """Write the model as a BPMN 2.0 file (with diagram layout when Graphviz is available).

    Returns the path written (pm4py appends `.bpmn` when the name lacks it).

    >>> write_bpmn(model, "flow.bpmn")  # doctest: +SKIP
    PosixPath('flow.bpmn')
    """
    import pm4py

    target = _with_suffix(Path(path), ".bpmn")
    bpmn = copy.deepcopy(model.bpmn)
    for node in bpmn.get_nodes():
        name = node.get_name()
        if isinstance(name, str):
            node.set_name(xml_safe_label(name))
    try:
        pm4py.write_bpmn(bpmn, str(target), auto_layout=True)
    except (OSError, RuntimeError):
        # No Graphviz `dot` on this machine: a BPMN file without diagram coordinates is still
        # a valid model for BPMN tools.
        pm4py.write_bpmn(bpmn, str(target), auto_layout=False)
    return target


def write_pnml(model: ProcessModel, path: str | Path) -> Path:
    """Write the model's Petri net with its initial and final marking as a PNML file.

    >>> write_pnml(model, "flow.pnml")  # doctest: +SKIP
    PosixPath('flow.pnml')
    """
    import pm4py

    target = _with_suffix(Path(path), ".pnml")
    net, im, fm = copy.deepcopy((model.net, model.initial_marking, model.final_marking))
    for transition in net.transitions:
        if isinstance(transition.label, str):
            transition.label = xml_safe_label(transition.label)
    pm4py.write_pnml(net, im, fm, str(target))
    return target


def _with_suffix(path: Path, suffix: str) -> Path:
    return path if path.name.lower().endswith(suffix[1:]) else path.with_name(path.name + suffix)


# --- reading a reference model ------------------------------------------------------------------

_HEAD_BYTES = 1 << 20
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_REFUSAL = (
    "process models never need a DTD; servflow refuses DTDs and entity declarations "
    "(XXE, entity expansion). Export the model again without a DOCTYPE"
)


def read_process_model(
    path: str | Path, *, max_bytes: int = DEFAULT_MAX_MODEL_FILE_BYTES
) -> ProcessModel:
    """Read a reference model from a BPMN 2.0 or PNML file (recognized by its root element).

    The file is checked first: DOCTYPE and entity declarations are refused
    (`HostileInputError`), as are files over `max_bytes` and files that are not BPMN or PNML
    (`InputError`).

    >>> read_process_model("standard_process.bpmn")  # doctest: +SKIP
    """
    file = Path(path).expanduser()
    kind = check_model_file(file, max_bytes=max_bytes)

    import pm4py

    try:
        if kind == "bpmn":
            bpmn = pm4py.read_bpmn(str(file.resolve()))
            net, im, fm = pm4py.convert_to_petri_net(bpmn)
        else:
            net, im, fm = pm4py.read_pnml(str(file.resolve()))
            bpmn = pm4py.convert_to_bpmn(net, im, fm)
    except Exception as exc:  # pm4py raises bare Exceptions and KeyErrors on unsupported models
        raise InputError(
            f"{file}: cannot read this {kind.upper()} model ({type(exc).__name__}: {exc}). "
            "Export it as a flat process (tasks, gateways, one start and end event; no pools, "
            "sub-processes or boundary events) and try again."
        ) from exc
    if not im or not fm:
        raise InputError(
            f"{file}: the Petri net has no {'initial' if not im else 'final'} marking; "
            "conformance needs both. Add them to the PNML file (initialMarking / finalMarkings)."
        )
    labels = _visible_labels(net)
    if not labels:
        raise InputError(f"{file}: the model has no labelled activities to compare with a log.")
    return ProcessModel(
        net=net,
        initial_marking=im,
        final_marking=fm,
        bpmn=bpmn,
        tree=None,
        activities=labels,
        source=str(file),
        noise_threshold=None,
        variants=None,
        cases=None,
        weighting="reference model",
    )


def check_model_file(
    path: Path, *, max_bytes: int = DEFAULT_MAX_MODEL_FILE_BYTES
) -> Literal["bpmn", "pnml"]:
    """Refuse a hostile or foreign XML file; return whether it holds BPMN or PNML."""
    if not path.is_file():
        raise InputError(f"{path}: no such model file. Give the path of a .bpmn or .pnml file.")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"{path}: {size:,} bytes, more than the {max_bytes:,}-byte limit for a process "
            "model; raise max_bytes if this really is one model."
        )
    with path.open("rb") as stream:
        head = stream.read(_HEAD_BYTES)
    if _DECLARATION.search(_decoded_head(head, path)):
        raise HostileInputError(
            f"{path}: refused: the file contains a markup declaration; {_REFUSAL}."
        )

    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )
    try:
        document = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"{path}: not well-formed XML ({exc}); this is not a model file.") from exc
    info = document.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise HostileInputError(f"{path}: refused: the file has a document type; {_REFUSAL}.")
    root = etree.QName(document.getroot()).localname
    if root == "definitions":
        return "bpmn"
    if root == "pnml":
        return "pnml"
    raise InputError(
        f"{path}: the root element is <{root}>; a BPMN file has <definitions>, a PNML file "
        "<pnml>. Export the reference model as BPMN 2.0 or PNML."
    )


def _decoded_head(head: bytes, path: Path) -> str:
    """The first bytes as text the way an XML parser would see them (BOM or UTF-16 markers)."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) or head[:4] in (
        b"\x00\x00\x00<",
        b"<\x00\x00\x00",
    ):
        raise InputError(f"{path}: UTF-32 XML is not read; save the model as UTF-8.")
    for bom, marker, codec in (
        (codecs.BOM_UTF16_LE, b"<\x00", "utf-16-le"),
        (codecs.BOM_UTF16_BE, b"\x00<", "utf-16-be"),
    ):
        if head.startswith(bom) or head.startswith(marker):
            body = head[2:] if head.startswith(bom) else head
            return body[: len(body) // 2 * 2].decode(codec, errors="replace")
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    # ASCII-compatible encodings: Latin-1 keeps every markup character where it is.
    return head.decode("latin-1")
