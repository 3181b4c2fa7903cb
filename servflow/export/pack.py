"""`export_pack`: write the auditor export pack of one mining run, all or nothing.

The pack is written into a temporary folder beside its target and renamed into place only
when every file is written and hashed, so a failure (bad input, a missing tool, a full disk,
an interrupt) leaves no half-written pack, and an earlier pack of the same run stays as it was
until the new one replaces it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from mining.filters import LogFilter
from servflow.export.common import ExportError, safe_file_part
from servflow.export.manifest import ExportedFile

__all__ = ["DEFAULT_FORMATS", "FORMATS", "MODEL_NOISE_THRESHOLD", "ExportResult", "export_pack"]

# format name -> what it writes
FORMATS: dict[str, str] = {
    "svg": "process maps (frequency, performance) as SVG: map-frequency.svg, map-performance.svg",
    "png": "process maps as PNG: map-frequency.png, map-performance.png",
    "pdf": "process maps as PDF: map-frequency.pdf, map-performance.pdf",
    "bpmn": "the discovered process model as BPMN 2.0 with diagram layout: model.bpmn",
    "pnml": "the discovered process model as a Petri net: model.pnml",
    "csv": "the findings as CSV files (UTF-8 with BOM): csv/*.csv",
    "report": "the PDF audit report: report.pdf",
}
DEFAULT_FORMATS: tuple[str, ...] = tuple(FORMATS)

# the model conformance checking discovers by default (mining.conformance)
MODEL_NOISE_THRESHOLD = 0.2
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class ExportResult:
    """A written pack: its folder, the manifest, and every file in it (manifest.json last)."""

    path: Path
    manifest: dict[str, Any]
    files: tuple[ExportedFile, ...]


def _check_formats(formats: Sequence[str] | None) -> tuple[str, ...]:
    if formats is None:
        return DEFAULT_FORMATS
    wanted = [f.strip().lower() for f in formats if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise ExportError(
            f"unknown export format {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"choose from {', '.join(FORMATS)}."
        )
    # the order of FORMATS, each once
    return tuple(f for f in FORMATS if f in wanted)


def _prepare_out_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(
            f"{out_dir}: the output path is a file, not a folder; give a folder for --out "
            "(it is created when missing)."
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(
            f"{out_dir}: cannot create the output folder ({exc.strerror or exc}); give a "
            "folder you can write to."
        ) from exc
    return out_dir


def _temp_folder(out_dir: Path, name: str) -> Path:
    try:
        return Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=out_dir))
    except OSError as exc:
        raise ExportError(
            f"{out_dir}: the output folder is not writable ({exc.strerror or exc}); give a "
            "folder you can write to."
        ) from exc


def _replace(temp: Path, target: Path) -> None:
    """Move the finished pack into place; an older pack of that name is swapped out whole."""
    if target.exists() and not target.is_dir():
        raise ExportError(f"{target}: a file of that name is in the way of the pack folder.")
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        target.rename(old)
    try:
        temp.rename(target)
    except OSError:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def export_pack(
    con: duckdb.DuckDBPyConnection,
    log_name: str,
    out_dir: Path,
    *,
    formats: Sequence[str] | None = None,
    flt: LogFilter | None = None,
    run_id: int | None = None,
) -> ExportResult:
    """Write the export pack of a stored mining run of `log_name` into `out_dir`.

    The run is `run_id`, else the newest run mined with `flt`, else the newest run. The pack
    is the folder `<out_dir>/<log>-run<id>` (replaced whole when it exists); `formats` picks
    from `FORMATS` (default: all); manifest.json is always written.

    A filter that no stored run used (or that `run_id` did not use) is mined afresh in a
    scratch database with the parameters of that run (`servflow.export.live`); the source
    database is only read. That pack is `<out_dir>/<log>-run<id>-filter-<hash of the filter>`.

    Bad input (unknown log, no such run, unusable output folder, unknown format) raises an
    `InputError` before anything is written.

    >>> from mining import store
    >>> con = store.connect(":memory:")
    >>> export_pack(con, "tickets", Path("out"))  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    mining.errors.UnknownLogError: No log named 'tickets' in this database ...
    """
    from servflow.export.source import choose_run, stored_runs

    chosen = _check_formats(formats)
    choice = choose_run(stored_runs(con, log_name), log_name, flt, run_id)
    base_run = int(choice.run["run_id"])
    if choice.stored:
        name = f"{safe_file_part(log_name)}-run{base_run}"
        return _export(con, log_name, base_run, None, Path(out_dir), name, chosen)
    from servflow.export.live import mined_scratch, options_from_json
    from servflow.export.source import run_filter_json

    digest = hashlib.sha256(
        json.dumps(run_filter_json(flt), sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()[:8]
    name = f"{safe_file_part(log_name)}-run{base_run}-filter-{digest}"
    out = _prepare_out_dir(Path(out_dir))  # bad output folders fail before mining
    options = options_from_json(json.loads(choice.run["options"]), flt)
    with mined_scratch(con, log_name, options) as (scratch, scratch_run):
        return _export(scratch, log_name, scratch_run, base_run, out, name, chosen)


def _export(
    con: duckdb.DuckDBPyConnection,
    log_name: str,
    run_id: int,
    parameters_from: int | None,
    out_dir: Path,
    name: str,
    formats: Sequence[str],
) -> ExportResult:
    from servflow.export.source import load_source

    source = load_source(con, log_name, run_id, parameters_from=parameters_from)
    model_formats = [f for f in formats if f in ("bpmn", "pnml")]
    if source.stale and model_formats:
        raise ExportError(
            f"Mining run {source.run_id} of log {log_name!r} is older than the log's newest "
            f"load, so a process model discovered now would not match its findings. Mine the "
            f"log again (`servflow mine {log_name}`), or leave out {' and '.join(model_formats)}."
        )
    out_dir = _prepare_out_dir(out_dir)
    target = out_dir / name
    temp = _temp_folder(out_dir, name)
    try:
        manifest, files = _write_pack(con, source, temp, formats)
        _replace(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return ExportResult(target, manifest, files)


def _write_pack(
    con: duckdb.DuckDBPyConnection, source: Any, folder: Path, formats: Sequence[str]
) -> tuple[dict[str, Any], tuple[ExportedFile, ...]]:
    from mining.run import SECTIONS
    from servflow.export import dot
    from servflow.export.manifest import build_manifest, hash_files, software_versions
    from servflow.export.processmap import MAP_KINDS, map_dot

    generated_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    used_dot = any(f in formats for f in ("svg", "png", "pdf", "bpmn", "report"))
    maps = (
        {kind: map_dot(source.report, kind, caption=source.run_caption) for kind in MAP_KINDS}
        if used_dot
        else {}
    )
    for fmt in ("svg", "png", "pdf"):
        if fmt in formats:
            for kind, text in maps.items():
                (folder / f"map-{kind}.{fmt}").write_bytes(dot.render(text, fmt))

    model_info = None
    if "bpmn" in formats or "pnml" in formats:
        model_info = _write_model(con, source, folder, formats)

    if "csv" in formats:
        from servflow.export.csvfiles import write_findings

        write_findings(
            folder / "csv",
            con,
            source.run_id,
            SECTIONS,
            quality_findings=source.quality_findings,
            rejected_rows=source.rejected_rows,
            candidates=source.candidates,
        )

    chromium = None
    if "report" in formats:
        from servflow.export.report import chromium_version, print_pdf, report_html

        chromium = chromium_version()
        software = software_versions(graphviz=dot.dot_version(), chromium=chromium)
        scratch = Path(tempfile.mkdtemp(prefix="servflow-report-"))
        try:
            (scratch / "map.svg").write_bytes(dot.render(maps["frequency"], "svg"))
            html = report_html(
                source,
                map_file="map.svg",
                generated_at=generated_at,
                software=software,
                model=model_info,
                files=[(f.path, f.sha256) for f in hash_files(folder)],
            )
            page = scratch / "report.html"
            page.write_text(html, encoding="utf-8")
            print_pdf(page, folder / "report.pdf", scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    software = software_versions(
        graphviz=dot.dot_version() if used_dot else None, chromium=chromium
    )
    files = hash_files(folder)
    manifest = build_manifest(
        source,
        formats=formats,
        files=files,
        generated_at=generated_at,
        software=software,
        model=model_info,
    )
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    return manifest, files + hash_files(folder, skip=[f.path for f in files])


def _write_model(
    con: duckdb.DuckDBPyConnection, source: Any, folder: Path, formats: Sequence[str]
) -> dict[str, Any]:
    from mining.discovery import discover_process_model
    from servflow.export.bpmn import bpmn_graph, bpmn_xml
    from servflow.export.manifest import software_versions
    from servflow.export.pnml import petri_net, pnml_xml

    model = discover_process_model(
        con, source.log_id, flt=source.flt, noise_threshold=MODEL_NOISE_THRESHOLD
    )
    info = {
        "miner": "inductive miner (pm4py)",
        "noise_threshold": MODEL_NOISE_THRESHOLD,
        "variants": model.variants,
        "cases": model.cases,
        "weighting": model.weighting,
        "activities": list(model.activities),
    }
    about = (
        f"Discovered by servflow from log {source.log_name}, mining run {source.run_id}: "
        f"{info['miner']}, noise threshold {MODEL_NOISE_THRESHOLD}, {model.variants} variants "
        f"of {model.cases} cases."
    )
    if "bpmn" in formats:
        xml = bpmn_xml(
            bpmn_graph(model.tree),
            process_name=source.log_name,
            documentation=about,
            exporter_version=software_versions(graphviz=None, chromium=None)["servflow"],
        )
        (folder / "model.bpmn").write_bytes(xml)
    if "pnml" in formats:
        (folder / "model.pnml").write_bytes(pnml_xml(petri_net(model.tree), name=source.log_name))
    return info
