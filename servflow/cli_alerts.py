"""Alert commands of the CLI: `servflow alerts LOG [--as-of TS] [--json] [--effect]`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from servflow.textout import printable

__all__ = ["add_commands"]


def add_commands(sub: Any, db_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `servflow alerts` on the `servflow` parser."""
    p = sub.add_parser(
        "alerts",
        help="tickets due for a reminder or escalation now, per team; --effect: did alerts help",
    )
    p.add_argument("log")
    db_option(p)
    p.add_argument(
        "--as-of", metavar="TS", help="'now' (UTC, ISO 8601; default: the log's last event)"
    )
    p.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="alert configuration, TOML or JSON (rules, SLA targets, recipients; "
        "default: every rule learned from the log)",
    )
    p.add_argument(
        "--effect",
        action="store_true",
        help="time from past alerts to the next progress, against tickets before each rule",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_alerts)


def _alerts(args: argparse.Namespace) -> int:
    from mining import store
    from servflow.alerts import alert_effect, find_due_alerts, read_alert_config
    from servflow.cli_mining import parse_time

    config = read_alert_config(args.config)
    as_of = parse_time(args.as_of, "--as-of")
    with store.connect(args.db, read_only=True) as con:
        if args.effect:
            effects = alert_effect(con, args.log)
            if args.json:
                _print_json([e.as_dict() for e in effects])
            else:
                _print_effects(args.log, effects)
            return 0
        report = find_due_alerts(con, args.log, config, as_of=as_of)
    if args.json:
        _print_json(report.as_dict())
        return 0
    out = sys.stdout.write
    out(
        f"Log {args.log} as of {report.as_of} (UTC): {report.waiting:,} tickets waiting, "
        f"{len(report.tickets('remind')):,} due for a reminder, "
        f"{len(report.tickets('escalate')):,} for an escalation.\n"
    )
    for team, alerts in report.by_team().items():
        out(f"\n{_one_line(team or '(no team)')}: {len({a.ticket for a in alerts}):,} tickets\n")
        for a in alerts:
            level = ("SLA " if a.kind == "sla" else "") + a.level
            out(
                f"  {level:<13} {_one_line(a.ticket)}  after {_one_line(a.activity)}"
                f" (by {_one_line(a.last_team or '?')}): waited {_hours(a.waited_s)},"
                f" limit {_hours(a.threshold_s)}  [{_one_line(a.rule)}, {a.source}]\n"
            )
    if not report.alerts:
        out("Nothing is due.\n")
    return 0


def _print_effects(log: str, effects: Any) -> None:
    out = sys.stdout.write
    if not effects:
        out(f"Log {log}: no reminder has been delivered yet, so there is no effect to measure.\n")
        return
    out(f"Log {log}: time from a reminder to the next progress (median), against before the rule\n")
    for e in effects:
        change = e.median_change_s
        out(
            f"  {_one_line(e.rule)} (limit {_hours(e.threshold_s)}, first reminder {e.first_alert}): "
            f"alerted {_hours(e.alerted_median_s)} ({e.alerted_progressed}/{e.alerted_waits} "
            f"moved on), before {_hours(e.baseline_median_s)} ({e.baseline_progressed}/"
            f"{e.baseline_waits} moved on)"
            + (f", change {change / 3600:+.1f} h" if change is not None else "")
            + "\n"
        )


def _one_line(text: object) -> str:
    # log text goes to a terminal: control characters as visible escapes, one line
    return printable(text)


def _hours(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
