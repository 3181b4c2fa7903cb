"""Export command of the CLI: `servflow export LOG --out DIR`, the auditor export pack."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from servflow.textout import say

__all__ = ["add_commands"]


def add_commands(sub: Any, db_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `servflow export` on the `servflow` parser."""
    from servflow.cli_mining import add_filter_options
    from servflow.export.pack import FORMATS

    p = sub.add_parser(
        "export",
        help="write the auditor export pack of a mining run (maps, BPMN, PNML, CSV, PDF report)",
        description="Write the export pack of a stored mining run of LOG into "
        "DIR/<log>-run<id>: "
        + "; ".join(f"{name}: {what}" for name, what in FORMATS.items())
        + "; and manifest.json with the SHA-256 of every input and output file.",
    )
    p.add_argument("log")
    db_option(p)
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--formats",
        nargs="+",
        metavar="FORMAT",
        help=f"what to write (default: all): {', '.join(FORMATS)}; separated by spaces or commas",
    )
    p.add_argument("--run", dest="run_id", type=int, metavar="ID", help="a specific mining run")
    add_filter_options(p)
    p.add_argument("--json", action="store_true", help="print the pack's files as JSON")
    p.set_defaults(run=_export)


def _export(args: argparse.Namespace) -> int:
    from mining import store
    from servflow.cli_mining import filter_from_args
    from servflow.export import export_pack

    formats = [part for item in args.formats for part in item.split(",")] if args.formats else None
    flt = filter_from_args(args)
    with store.connect(args.db, read_only=True) as con:
        result = export_pack(con, args.log, args.out, formats=formats, flt=flt, run_id=args.run_id)
    run = result.manifest["mining_run"]
    if args.json:
        json.dump(
            {
                "path": str(result.path),
                "run_id": run["run_id"],
                "stored": run["stored"],
                "parameters_from_run": run["parameters_from_run"],
                "files": [f.as_dict() for f in result.files],
            },
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
        return 0
    caption = (
        f"mining run {run['run_id']}"
        if run["stored"]
        else f"filtered, mined for this export with the parameters of run "
        f"{run['parameters_from_run']}"
    )
    say(f"Export pack of log {args.log!r} ({caption}): {result.path}")
    for f in result.files:
        say(f"  {f.path}  {f.bytes:,} bytes  sha256 {f.sha256}")
    return 0
