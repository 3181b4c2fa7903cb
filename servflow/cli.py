"""`servflow` command line: a thin runner of the pipeline steps.

Bad input exits with status 2 and a one-paragraph message naming the file, column or row;
nothing already stored is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mining.errors import ServflowError

__all__ = ["main"]

EXIT_INPUT = 2
COMMAND_MODULES: tuple[str, ...] = (
    "cli_mining",
    "cli_optimization",
    "cli_export",
    "cli_dashboard",
    "cli_alerts",
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_INPUT
    try:
        return int(args.run(args) or 0)
    except ServflowError as exc:
        print(f"servflow: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("servflow: interrupted; nothing of the unfinished step was stored.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if os.environ.get("SERVFLOW_DEBUG"):
            raise
        print(
            f"servflow: internal error: {type(exc).__name__}: {exc}. This is a bug in servflow; "
            "run again with SERVFLOW_DEBUG=1 for the traceback and report it.",
            file=sys.stderr,
        )
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="servflow",
        description="Process mining and service-flow optimization for ticket event logs.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def db_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--db",
            type=Path,
            default=None,
            help="DuckDB file (default: $SERVFLOW_DB or ./servflow.duckdb)",
        )

    p = sub.add_parser("ingest", help="load event-log files (CSV, XES, Parquet, JSON lines)")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    db_option(p)
    p.add_argument("--log", dest="log_name", help="log name (default: the file name)")
    for role in (
        "case",
        "activity",
        "timestamp",
        "resource",
        "team",
        "start-timestamp",
        "lifecycle",
    ):
        p.add_argument(
            f"--{role}", metavar="COL", help=f"source column of the {role.replace('-', ' ')}"
        )
    p.add_argument(
        "--timestamp-format", metavar="FMT", help="strptime layout, e.g. '%%d/%%m/%%Y %%H:%%M'"
    )
    p.add_argument("--timezone", metavar="TZ", help="zone of naive timestamps, e.g. Asia/Shanghai")
    p.add_argument("--delimiter", metavar="C", help="CSV delimiter (default: detected)")
    p.add_argument("--encoding", help="text encoding (default: detected)")
    p.add_argument("--format", choices=("csv", "xes", "parquet", "jsonl"), help="default: detected")
    p.add_argument(
        "--pseudonymize",
        action="store_true",
        help="replace case, customer and resource ids by keyed HMAC pseudonyms "
        "(key in $SERVFLOW_PSEUDONYM_KEY)",
    )
    p.add_argument(
        "--pseudonymize-column",
        action="append",
        default=[],
        metavar="COL",
        help="another attribute column to pseudonymize (repeatable)",
    )
    p.add_argument(
        "--fail-on",
        choices=("error", "warning", "never"),
        default="error",
        help="data-quality severity that stops a load (default: error)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.add_argument("--json", action="store_true", help="print the load results as JSON")
    p.set_defaults(run=_ingest)

    p = sub.add_parser("logs", help="list the stored logs")
    db_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_logs)

    p = sub.add_parser("quality", help="data-quality report of a log's loads")
    p.add_argument("log")
    db_option(p)
    p.add_argument("--load", type=int, help="only this load id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_quality)

    p = sub.add_parser("generate", help="generate a telecom ticket log with known problems")
    p.add_argument("args", nargs=argparse.REMAINDER, help="options of the generator (see --help)")
    p.set_defaults(run=_generate)

    p = sub.add_parser("demo", help="ingest and mine the bundled sample logs")
    db_option(p)
    p.set_defaults(run=_demo)

    import importlib

    # each command group registers its own subcommands
    for module in COMMAND_MODULES:
        importlib.import_module(f"servflow.{module}").add_commands(sub, db_option)
    return parser


def _progress(args: argparse.Namespace) -> Any:
    if getattr(args, "quiet", False):
        return None
    return lambda message: print(f"servflow: {message}", file=sys.stderr, flush=True)


def _ingest(args: argparse.Namespace) -> int:
    from mining.ingest import IngestOptions
    from servflow.pipeline import ingest_paths

    options = IngestOptions(
        log_name=args.log_name,
        case=args.case,
        activity=args.activity,
        timestamp=args.timestamp,
        resource=args.resource,
        team=args.team,
        start_timestamp=args.start_timestamp,
        lifecycle=args.lifecycle,
        timestamp_format=args.timestamp_format,
        timezone=args.timezone,
        delimiter=_delimiter(args.delimiter),
        encoding=args.encoding,
        format=args.format,
        pseudonymize=args.pseudonymize or bool(args.pseudonymize_column),
        pseudonymize_columns=tuple(args.pseudonymize_column),
        fail_on=None if args.fail_on == "never" else args.fail_on,
    )
    results = ingest_paths(args.paths, db_path=args.db, options=options, progress=_progress(args))
    if args.json:
        _print_json([r.as_dict() for r in results])
        return 0
    for r in results:
        if r.already_loaded:
            print(
                f"{r.source_path}: already loaded into log '{r.log_name}' (same sha256); nothing added."
            )
            continue
        print(
            f"{r.source_path} -> log '{r.log_name}' (load {r.load_id}): {r.rows_read:,} rows read, "
            f"{r.rows_loaded:,} loaded, {r.rows_rejected:,} rejected; {r.events_added:,} new events, "
            f"{r.events_already_stored:,} already stored; {r.cases_added:,} new cases."
        )
        for f in r.findings:
            print(f"  [{f.severity}] {f.code}: {f.message}")
            for example in f.examples[:3]:
                print(f"      e.g. {json.dumps(example, ensure_ascii=False, default=str)}")
    return 0


def _delimiter(value: str | None) -> str | None:
    if value in ("\\t", "tab", "TAB"):
        return "\t"
    return value


def _logs(args: argparse.Namespace) -> int:
    from mining import catalog

    rows = catalog.list_logs(args.db)
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print("No logs stored yet. Load one with `servflow ingest PATH`.")
        return 0
    for row in rows:
        print(
            f"{row['name']}: {row['cases']:,} cases, {row['events']:,} events, "
            f"{row['activities']} activities, {row['first_event']} .. {row['last_event']}, "
            f"{row['loads']} load(s)"
        )
    return 0


def _quality(args: argparse.Namespace) -> int:
    from mining import catalog

    report = catalog.quality_report(args.db, args.log, load_id=args.load)
    if args.json:
        _print_json(report)
        return 0
    for load in report["loads"]:
        print(
            f"load {load['load_id']} {load['source_path']} ({load['loaded_at']}): "
            f"{load['rows_read']:,} rows read, {load['rows_loaded']:,} loaded, "
            f"{load['rows_rejected']:,} rejected; worst finding: {load['max_severity']}"
        )
        for f in load["findings"]:
            print(f"  [{f['severity']}] {f['code']} ({f['pattern']}): {f['message']}")
        for r in load["rejected_rows"][:10]:
            print(f"  rejected row {r['source_row']}: {r['reason']}")
    return 0


def _generate(args: argparse.Namespace) -> int:
    from servflow import samplegen

    return int(samplegen.main(list(args.args)))


def _demo(args: argparse.Namespace) -> int:
    from servflow import demo

    return demo.run(args.db)


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    sys.exit(main())
