"""Mining commands of the CLI: `servflow mine` and `servflow report`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from mining.errors import InputError
from servflow.textout import say

__all__ = ["add_commands", "add_filter_options", "filter_from_args", "parse_time"]


def add_commands(sub: Any, db_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register the mining subcommands on the `servflow` parser."""
    p = sub.add_parser("mine", help="mine a log: flows, bottlenecks, rework, break points ...")
    p.add_argument("log")
    db_option(p)
    p.add_argument("--as-of", metavar="TS", help="'now' for break points and SLA (UTC, ISO 8601)")
    p.add_argument(
        "--sla",
        action="append",
        default=[],
        metavar="TYPE=HOURS",
        help="lead-time target per ticket type (repeatable), e.g. --sla 投诉=48",
    )
    p.add_argument("--sla-attribute", metavar="ATTR", help="case attribute holding the ticket type")
    p.add_argument("--default-sla", type=float, metavar="HOURS", help="target for other types")
    p.add_argument(
        "--end-activity",
        action="append",
        default=[],
        metavar="ACTIVITY",
        help="an activity that ends a case (repeatable; default: learned from the log)",
    )
    p.add_argument(
        "--idle-threshold",
        type=float,
        metavar="HOURS",
        help="idle time after which an open case is stalled (default: learned)",
    )
    p.add_argument(
        "--reference-model",
        type=Path,
        metavar="FILE",
        help="BPMN or PNML model to check conformance against",
    )
    p.add_argument("--no-conformance", action="store_true", help="skip conformance checking")
    for flag, what in KPI_ACTIVITY_OPTIONS.items():
        p.add_argument(f"--{flag}", action="append", default=[], metavar="ACTIVITY", help=what)
    for flag, what in KPI_ATTRIBUTE_OPTIONS.items():
        p.add_argument(f"--{flag}", metavar="ATTR", help=what)
    add_filter_options(p)
    p.add_argument(
        "--no-publish",
        action="store_true",
        help="do not publish the read-only snapshot the dashboard reads",
    )
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=_mine)

    p = sub.add_parser("report", help="print the findings of the newest mining run of a log")
    p.add_argument("log")
    db_option(p)
    p.add_argument(
        "--run", dest="run_id", type=int, metavar="ID", help="a specific run (default: the newest)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_report)


# Scorecard settings: which activities / attributes mean what (default: learned or "not available").
KPI_ACTIVITY_OPTIONS = {
    "handling-activity": "first handling step, for responsiveness (repeatable)",
    "resolution-activity": "activity that resolves a ticket (repeatable; default: end activities)",
    "reopen-activity": "activity that reopens a ticket (repeatable)",
    "chase-activity": "customer chasing / repeat contact activity (repeatable)",
    "escalation-activity": "escalation activity (repeatable)",
}
KPI_ATTRIBUTE_OPTIONS = {
    "satisfaction-attribute": "event or case attribute holding the satisfaction score",
    "customer-attribute": "case attribute identifying the customer, for repeat contacts",
}


def _kpi_columns(args: argparse.Namespace) -> Any:
    from mining.kpis import KpiColumns

    def acts(flag: str) -> tuple[str, ...] | None:
        return tuple(getattr(args, flag.replace("-", "_"))) or None

    return KpiColumns(
        handling_activities=acts("handling-activity"),
        resolution_activities=acts("resolution-activity"),
        reopen_activities=acts("reopen-activity"),
        repeat_contact_activities=acts("chase-activity"),
        escalation_activities=acts("escalation-activity"),
        satisfaction_attribute=args.satisfaction_attribute,
        customer_attribute=args.customer_attribute,
    )


def add_filter_options(p: argparse.ArgumentParser) -> None:
    """The log filter options shared by the commands that read a part of a log."""
    p.add_argument("--from", dest="start", metavar="TS", help="only cases started at/after TS")
    p.add_argument("--to", dest="end", metavar="TS", help="only cases started before/at TS")
    p.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="ATTR=V1,V2",
        help="only cases whose attribute has one of these values (repeatable)",
    )
    p.add_argument(
        "--team",
        dest="teams",
        action="append",
        default=[],
        metavar="NAME",
        help="only cases with at least one event by this team, kept whole (repeatable: any of them)",
    )
    p.add_argument(
        "--resource",
        dest="resources",
        action="append",
        default=[],
        metavar="NAME",
        help="only cases with at least one event by this resource, kept whole (repeatable)",
    )
    p.add_argument(
        "--top-variants", type=int, metavar="K", help="only the K most frequent variants"
    )


def parse_time(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(
            f"{what} {text!r} is not an ISO 8601 time such as 2024-06-30T18:00."
        ) from exc
    if value.tzinfo is not None:
        from datetime import UTC

        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _pairs(values: list[str], what: str) -> list[tuple[str, str]]:
    pairs = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise InputError(f"{what} {item!r} must look like NAME=VALUE.")
        pairs.append((key.strip(), value.strip()))
    return pairs


def filter_from_args(args: argparse.Namespace) -> Any:
    """The `LogFilter` of the options `add_filter_options` registered (None: the whole log)."""
    from mining.filters import LogFilter

    if args.top_variants is not None and args.top_variants < 1:
        raise InputError(f"--top-variants {args.top_variants}: give a number of 1 or more.")
    flt = LogFilter(
        start=parse_time(args.start, "--from"),
        end=parse_time(args.end, "--to"),
        case_attributes=tuple(
            (key, tuple(v.strip() for v in value.split(",")))
            for key, value in _pairs(args.where, "--where")
        ),
        variants_top_k=args.top_variants,
        teams=_names(args.teams, "--team"),
        resources=_names(args.resources, "--resource"),
    )
    return None if flt.is_empty else flt


def _names(values: list[str], what: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(v.strip() for v in values))
    if "" in names:
        raise InputError(f"{what} needs a name, not an empty text.")
    return names


def _options(args: argparse.Namespace) -> Any:
    from mining.run import MiningOptions

    for flag, value, least in (
        ("--idle-threshold", args.idle_threshold, 0),
        ("--default-sla", args.default_sla, 0),
    ):
        if value is not None and not value >= least:
            raise InputError(f"{flag} {value}: give a number of {least} or more.")
    targets = []
    for name, hours in _pairs(args.sla, "--sla"):
        try:
            targets.append((name, float(hours) * 3600))
        except ValueError as exc:
            raise InputError(
                f"--sla {name}={hours}: the target must be a number of hours."
            ) from exc
    flt = filter_from_args(args)
    if args.reference_model is not None and not args.reference_model.exists():
        raise InputError(f"{args.reference_model}: no such reference model file.")
    return MiningOptions(
        flt=flt,
        as_of=parse_time(args.as_of, "--as-of"),
        sla_targets_s=tuple(targets),
        sla_attribute=args.sla_attribute,
        default_sla_s=args.default_sla * 3600 if args.default_sla is not None else None,
        end_activities=tuple(args.end_activity) or None,
        idle_threshold_s=args.idle_threshold * 3600 if args.idle_threshold is not None else None,
        reference_model=args.reference_model,
        conformance=not args.no_conformance,
        kpi_columns=_kpi_columns(args),
    )


def _mine(args: argparse.Namespace) -> int:
    from mining import pm4py_modules, store
    from mining.run import build_report
    from optimization.mining_candidates import mine_with_candidates

    # this process uses pm4py from one thread (conformance): only the modules it needs run
    pm4py_modules.defer_imports()
    options = _options(args)
    progress = (
        None
        if args.quiet or args.json
        else (lambda message: say(f"servflow: mining {args.log}: {message}", file=sys.stderr))
    )
    with store.connect(args.db, create=False) as con:
        # the candidates' events are read on a connection of their own while the log is mined
        # (Arrow and numpy, no mining result needed), and the candidates are ranked in a thread
        # from the findings as soon as the mining has them
        run = mine_with_candidates(con, args.log, options, progress=progress)
        report = build_report(
            con, args.log, run.run_id, sections=None if args.json else SUMMARY_SECTIONS
        )
        if not args.no_publish:
            from servflow.pipeline import publish_snapshot, snapshot_path_for

            # readers (the dashboard) see the new run in the published read-only snapshot
            snapshot = publish_snapshot(args.db, snapshot_path_for(args.db), con=con)
            if progress is not None:
                progress(f"published the snapshot {snapshot}")
    if args.json:
        _print_json(report)
    else:
        print_summary(report, db_path=args.db)
    return 0


def _report(args: argparse.Namespace) -> int:
    from mining import store
    from mining.run import build_report

    with store.connect(args.db, read_only=True) as con:
        report = build_report(
            con, args.log, args.run_id, sections=None if args.json else SUMMARY_SECTIONS
        )
    if args.json:
        _print_json(report)
    else:
        print_summary(report, db_path=args.db)
    return 0


def _hours(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


# The sections `print_summary` shows (the JSON report has every section).
SUMMARY_SECTIONS = ("bottlenecks", "rework", "pingpong", "breakpoints")


def print_summary(report: dict[str, Any], *, db_path: Path | None = None, top: int = 5) -> None:
    """A short human-readable summary of a report."""

    def out(text: str) -> None:
        # each call writes one line: its own line end stays, everything inside is escaped
        say(text.removesuffix("\n"))

    out(
        f"Log {report['log']} (run {report['run_id']}): {report['cases']:,} cases, "
        f"{report['events']:,} events, as of {report['as_of']}"
        + ("  [new loads since this run: mine again]" if report["stale"] else "")
        + "\n"
    )
    kpis = report["kpis"]
    shown = []
    for name, kpi in kpis.items():
        value = kpi.get("value")
        if value is None:
            shown.append(f"{name}: not available")
        elif kpi.get("unit") == "share":
            shown.append(f"{name}: {value:.1%}")
        elif kpi.get("unit") == "seconds":
            shown.append(f"{name}: {_hours(value)}")
        else:
            shown.append(f"{name}: {value:.2f}")
    out("Service quality: " + "; ".join(shown) + "\n")
    out("Bottlenecks (hand-overs ranked by the delay they add):\n")
    for b in report["bottlenecks"][:top]:
        out(
            f"  {b['source']} -> {b['target']}: median wait {_hours(b['median_s'])}, "
            f"{b['count']:,} times, {b['delay_share']:.0%} of added delay\n"
        )
    out("Rework (repeated activities):\n")
    for r in report["rework"][:top]:
        out(
            f"  {r['activity']}: {r['cases']:,} cases ({r['share']:.1%}), extra {_hours(r['extra_time_s'])} in total\n"
        )
    out("Ping-pong:\n")
    for p in report["pingpong"][:top]:
        out(f"  [{p['level']}] {' <-> '.join(p['activities'])}: {p['cases']:,} cases\n")
    out("Break points (stalled cases by last activity):\n")
    for b in report["breakpoints"][:top]:
        out(
            f"  {b['activity']}: {b['stalled_cases']:,} stalled, drop-out {b['dropout_share']:.1%}\n"
        )
    where = f" in {db_path}" if db_path else ""
    out(f"Full results{where}: `servflow report {report['log']} --json`.\n")


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
