"""manifest.json: where a pack came from and what it holds, with a SHA-256 for every file.

The manifest is the one file of a pack that changes from one export to the next (it holds
the generation time, as does the PDF report); every other text file is byte-identical for the
same database, filter and parameters, so a second export can be checked against the first by
comparing the `files` hashes.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from servflow.export.common import sha256_file
from servflow.export.source import PackSource, run_filter_json

__all__ = ["MANIFEST_FORMAT", "ExportedFile", "build_manifest", "hash_files", "software_versions"]

MANIFEST_FORMAT = "servflow-export-pack/1"


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """One file of a pack: its path inside the pack (with `/`), SHA-256 and size in bytes."""

    path: str
    sha256: str
    bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "bytes": self.bytes}


def hash_files(folder: Path, *, skip: Sequence[str] = ()) -> tuple[ExportedFile, ...]:
    """Every file under `folder` (sorted by path) with its hash, except those in `skip`."""
    found = []
    for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix()):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and name not in skip:
            found.append(ExportedFile(name, sha256_file(path), path.stat().st_size))
    return tuple(found)


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def software_versions(*, graphviz: str | None, chromium: str | None) -> dict[str, str]:
    """Versions of the software that wrote the pack (external programs only when used)."""
    versions = {
        "servflow": _version("servflow"),
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "pm4py": _version("pm4py"),
        "lxml": _version("lxml"),
    }
    if graphviz:
        versions["graphviz"] = graphviz
    if chromium:
        versions["chromium"] = chromium
    return versions


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def build_manifest(
    source: PackSource,
    *,
    formats: Sequence[str],
    files: Sequence[ExportedFile],
    generated_at: str,
    software: Mapping[str, str],
    model: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The manifest of a pack (see docs/exports.md for every key)."""
    report = source.report
    inputs = [_plain(load) for load in source.loads]
    first, last = source.period
    return {
        "format": MANIFEST_FORMAT,
        "log": source.log_name,
        "generated_at": generated_at,
        "mining_run": _plain(
            {
                "run_id": source.run_id if source.parameters_from is None else None,
                "stored": source.parameters_from is None,
                "parameters_from_run": source.parameters_from,
                "mined_at": report["mined_at"],
                "as_of": report["as_of"],
                "cases": report["cases"],
                "events": report["events"],
                "last_load_id": max((load["load_id"] for load in source.loads), default=None),
                "servflow_version": report["servflow_version"],
                "stale": source.stale,
            }
        ),
        "period": _plain({"first_event": first, "last_event": last}),
        "filter": run_filter_json(source.flt),
        "parameters": {"mining": _plain(report["options"]), "model": _plain(model)},
        "inputs": inputs,
        "rows": {
            "read": sum(int(load["rows_read"]) for load in source.loads),
            "loaded": sum(int(load["rows_loaded"]) for load in source.loads),
            "rejected": sum(int(load["rows_rejected"]) for load in source.loads),
        },
        "software": dict(software),
        "formats": list(formats),
        "candidates": source.candidates is not None,
        "files": [f.as_dict() for f in files],
    }
