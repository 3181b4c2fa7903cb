"""`servflow` command line: a thin runner of the pipeline steps.

Bad input exits with status 2 and a one-paragraph message naming the file, column or row;
nothing already stored is touched.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from mining.errors import ServflowError
from mining.settings import DEFAULT_MISSING_VALUES
from servflow.textout import say

__all__ = ["main", "run"]

EXIT_INPUT = 2
COMMAND_MODULES: tuple[str, ...] = (
    "cli_mining",
    "cli_optimization",
    "cli_export",
    "cli_dashboard",
    "cli_alerts",
)


def run() -> NoReturn:
    """The `servflow` command: `main`, then a quick exit.

    Python's own exit tears down every module a command imported, one by one: after pm4py,
    pandas and matplotlib that takes most of a second, longer than many commands themselves.
    When the command is done, its output flushed and the functions registered to run at exit
    have run, nothing is left for that teardown to do, and the process ends there.
    """
    code = main()
    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)
    if threading.active_count() > 1 or run_exit_functions is None:
        sys.exit(code)  # a thread still working: the usual exit waits for it
    run_exit_functions()
    for stream in (sys.stdout, sys.stderr):
        # the reader may have gone (`servflow report | head`) or the stream be closed
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["generate"]:
        args = argparse.Namespace(command="generate", run=lambda _args: _generate(argv[1:]))
    else:
        args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_INPUT
    interrupted, restore = _watch_interrupts()
    try:
        from mining.settings import read_settings

        read_settings()  # every SERVFLOW_* setting is checked before any work starts
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return _interrupted()
    except ServflowError as exc:
        if interrupted():
            return _interrupted()
        say(f"servflow: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return 0
    except Exception as exc:
        # DuckDB turns Ctrl-C during a query into its own exception ("Query interrupted")
        if interrupted():
            return _interrupted()
        if os.environ.get("SERVFLOW_DEBUG"):
            raise
        say(
            f"servflow: internal error: {type(exc).__name__}: {exc}. This is a bug in servflow; "
            "run again with SERVFLOW_DEBUG=1 for the traceback and report it.",
            file=sys.stderr,
        )
        return 1
    finally:
        restore()


EXIT_INTERRUPTED = 130


def _watch_interrupts() -> tuple[Callable[[], bool], Callable[[], None]]:
    """Note every SIGINT (then raise KeyboardInterrupt as usual), so that an interrupted DuckDB
    query, which DuckDB reports as its own error, is still seen as an interruption. Returns
    (was interrupted?, restore the previous handler)."""
    seen: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        return (lambda: False), (lambda: None)

    def handler(signum: int, frame: Any) -> None:
        seen.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)

    def restore() -> None:
        signal.signal(signal.SIGINT, previous)

    return (lambda: bool(seen)), restore


def _interrupted() -> int:
    say("servflow: interrupted; nothing of the unfinished step was stored.", file=sys.stderr)
    return EXIT_INTERRUPTED


class _Parser(argparse.ArgumentParser):
    """argparse with its messages escaped (they quote the arguments as typed)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        say(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(EXIT_INPUT)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="servflow",
        description="Process mining and service-flow optimization for ticket event logs.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

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
    p.add_argument(
        "--missing-values",
        metavar="LIST",
        help="comma-separated placeholders read as missing in resource, team and attribute "
        f"columns (default: {','.join(DEFAULT_MISSING_VALUES)}; '' keeps every value as written)",
    )
    p.add_argument(
        "--max-xes-bytes",
        type=_positive_int,
        metavar="N",
        help="size limit of an XES file's XML after decompression (default: 8 GiB)",
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

    # `servflow generate ...` is handed to the generator's own parser in main(), before this
    # one sees its options; this entry lists it in the help
    sub.add_parser(
        "generate", help="generate a telecom ticket log with known problems", add_help=False
    )

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
    return lambda message: say(f"servflow: {message}", file=sys.stderr)


def _ingest(args: argparse.Namespace) -> int:
    from mining.ingest import IngestOptions
    from servflow.pipeline import ingest_each

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
        max_xes_bytes=args.max_xes_bytes,
        **_missing_values(args.missing_values),
    )
    outcomes = ingest_each(args.paths, db_path=args.db, options=options, progress=_progress(args))
    failed = any(o.status == "failed" for o in outcomes)
    if args.json:
        _print_json([o.as_dict() for o in outcomes])
    elif len(outcomes) == 1 and failed:
        pass  # the error below says it all
    else:
        for outcome in outcomes:
            _print_outcome(outcome)
        if failed:
            counts = {
                status: sum(1 for o in outcomes if o.status == status)
                for status in ("stored", "already_loaded", "failed", "not_attempted")
            }
            say(
                f"{counts['stored']} file(s) stored, {counts['already_loaded']} already loaded, "
                f"{counts['failed']} failed, {counts['not_attempted']} not attempted."
            )
    if failed:
        error = next(o.error for o in outcomes if o.status == "failed")
        say(f"servflow: error: {error}", file=sys.stderr)
        return EXIT_INPUT
    return 0


def _print_outcome(outcome: Any) -> None:
    r = outcome.result
    if outcome.status == "not_attempted":
        say(f"{outcome.path}: not attempted (an earlier file failed); nothing of it is stored.")
    elif outcome.status == "failed":
        say(f"{outcome.path}: failed, nothing of it stored: {outcome.error}")
        _print_findings(outcome.findings)
        for example in outcome.rejected_examples:
            say(f"  rejected row {example['row']}: {example['reason']}")
    elif r.already_loaded:
        say(
            f"{r.source_path}: already loaded into log '{r.log_name}' (same sha256); nothing added."
        )
    else:
        say(
            f"{r.source_path} -> log '{r.log_name}' (load {r.load_id}): {r.rows_read:,} rows read, "
            f"{r.rows_loaded:,} loaded, {r.rows_rejected:,} rejected; {r.events_added:,} new events, "
            f"{r.events_already_stored:,} already stored; {r.cases_added:,} new cases."
        )
        _print_findings(r.findings)


def _print_findings(findings: Any) -> None:
    for f in findings:
        say(f"  [{f.severity}] {f.code}: {f.message}")
        for example in f.examples[:3]:
            say(f"      e.g. {json.dumps(example, ensure_ascii=False, default=str)}")


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of bytes, 1 or more")
    return int(text)


def _missing_values(value: str | None) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    return {"missing_values": tuple(v.strip() for v in value.split(",") if v.strip())}


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
        say("No logs stored yet. Load one with `servflow ingest PATH`.")
        return 0
    for row in rows:
        say(
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
        say(
            f"load {load['load_id']} {load['source_path']} ({load['loaded_at']}): "
            f"{load['rows_read']:,} rows read, {load['rows_loaded']:,} loaded, "
            f"{load['rows_rejected']:,} rejected; worst finding: {load['max_severity']}"
        )
        for f in load["findings"]:
            say(f"  [{f['severity']}] {f['code']} ({f['pattern']}): {f['message']}")
            for example in f["examples"][:3]:
                say(f"      e.g. {json.dumps(example, ensure_ascii=False, default=str)}")
        for r in load["rejected_rows"][:10]:
            say(f"  rejected row {r['source_row']}: {r['reason']}")
    return 0


def _generate(argv: list[str]) -> int:
    from servflow import samplegen

    return int(samplegen.main(argv))


def _demo(args: argparse.Namespace) -> int:
    from servflow import demo

    return demo.run(args.db)


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    run()
