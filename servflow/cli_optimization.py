"""Optimization commands of the CLI: `servflow candidates` and `servflow whatif`."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from typing import Any

from mining.errors import InputError
from servflow.textout import say

__all__ = ["add_commands"]


def add_commands(sub: Any, db_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register the optimization subcommands on the `servflow` parser."""
    p = sub.add_parser(
        "candidates", help="ranked automation and restructuring candidates of a mined log"
    )
    p.add_argument("log")
    db_option(p)
    p.add_argument("--run", dest="run_id", type=int, metavar="ID", help="default: newest run")
    p.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="criterion weight (repeatable), e.g. --weight volume=3; recomputes, not stored",
    )
    p.add_argument(
        "--system-resource",
        action="append",
        default=[],
        metavar="NAME",
        help="a resource/team name (substring) that is a system or robot (repeatable; recomputes)",
    )
    p.add_argument(
        "--automated-activity",
        action="append",
        default=[],
        metavar="ACTIVITY",
        help="an activity already automated (repeatable; recomputes)",
    )
    p.add_argument(
        "--flag-automated",
        action="append",
        default=[],
        metavar="ACTIVITY",
        help="flag an activity as already automated for good (stored; the newest run's "
        "candidates are ranked again without it)",
    )
    p.add_argument(
        "--min-executions",
        type=int,
        metavar="N",
        help="executions a step needs to be scored (default 30; rarer: too rare to judge; "
        "recomputes)",
    )
    p.add_argument("--type-attribute", metavar="ATTR", help="case attribute of the ticket type")
    p.add_argument("--channel-attribute", metavar="ATTR", help="case attribute of the channel")
    p.add_argument("--json", action="store_true", help="print the candidates as JSON")
    p.set_defaults(run=_candidates)

    p = sub.add_parser(
        "whatif", help="replay a candidate's change on the real cases: before and after"
    )
    p.add_argument("log")
    p.add_argument("candidate_id", nargs="?", metavar="CANDIDATE_ID", help="e.g. R01 or A03")
    p.add_argument(
        "--candidate",
        dest="candidate_option",
        metavar="ID",
        help="candidate id (R01, A03 ...; join ids with + to apply them together)",
    )
    db_option(p)
    p.add_argument("--run", dest="run_id", type=int, metavar="ID", help="default: newest run")
    p.add_argument("--seed", type=int, default=0, help="random seed of the bootstrap (default 0)")
    p.add_argument("--json", action="store_true", help="print the estimate as JSON")
    p.set_defaults(run=_whatif)


def _run_id(con: Any, log: str, run_id: int | None) -> int:
    from mining import store
    from mining.run import latest_run_id

    log_id = store.log_id_for(con, log)  # UnknownLogError names the stored logs
    if run_id is None:
        found = latest_run_id(con, log)
        if found is None:
            raise InputError(
                f"Log {log!r} has not been mined yet: run `servflow mine {log}` first."
            )
        return found
    row = store.one(con, "SELECT log_id FROM mining_runs WHERE run_id = ?", [run_id])
    if row is None or int(row[0]) != log_id:
        raise InputError(f"Log {log!r} has no mining run {run_id}; see `servflow report {log}`.")
    return run_id


def _options(args: argparse.Namespace) -> Any:
    from dataclasses import fields, replace

    from optimization.model import CandidateOptions, Weights

    custom = (
        args.weight
        or args.system_resource
        or args.automated_activity
        or args.type_attribute
        or args.channel_attribute
        or args.min_executions is not None
    )
    if not custom:
        return None
    weights = Weights()
    names = [f.name for f in fields(Weights)]
    for item in args.weight:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or name not in names or not math.isfinite(number) or number < 0:
            raise InputError(
                f"--weight {item!r} must look like NAME=NUMBER (NUMBER >= 0) with NAME one of "
                f"{', '.join(names)}."
            )
        weights = replace(weights, **{name: number})
    options = CandidateOptions(weights=weights)
    if args.min_executions is not None:
        if args.min_executions < 1:
            raise InputError(f"--min-executions must be at least 1, not {args.min_executions}.")
        options = replace(options, min_executions=args.min_executions)
    if args.system_resource:
        options = replace(
            options, system_resources=options.system_resources + tuple(args.system_resource)
        )
    return replace(
        options,
        automated_activities=tuple(args.automated_activity),
        type_attribute=args.type_attribute,
        channel_attribute=args.channel_attribute,
    )


def _candidates(args: argparse.Namespace) -> int:
    from mining import store
    from optimization.candidates import candidates_for_run, compute_and_store, find_candidates

    options = _options(args)
    if args.flag_automated:
        from optimization.candidates import flag_automated

        with store.connect(args.db) as con:
            run_id = _run_id(con, args.log, args.run_id)
            with store.transaction(con):  # all flags or none
                for activity in args.flag_automated:
                    flag_automated(con, args.log, activity)
            compute_and_store(con, run_id)
    with store.connect(args.db, read_only=True) as con:
        run_id = _run_id(con, args.log, args.run_id)
        found = (
            find_candidates(con, run_id, options)
            if options is not None
            else candidates_for_run(con, run_id)
        )
    if found is None:  # a run mined before candidates were stored with it
        with store.connect(args.db) as con:
            found = compute_and_store(con, run_id)
    if args.json:
        _print_json(found.as_dict())
        return 0
    _print_candidates(found)
    return 0


def _print_candidates(found: Any) -> None:
    """The text form of a candidate set; every label from the log is escaped (`say`)."""
    say(f"Log {found.log_name} (mining run {found.run_id})")
    say("Automation candidates (score = weighted criteria x volume confidence, 0..1):")
    for a in found.automation:
        runs = f" ({a.executions:,} runs)" if a.executions is not None else ""
        if a.hours_saved_per_month is not None and a.kind != "time_limit_rule":
            effort = f"saves {a.hours_saved_per_month:,.1f} h/month"
        elif a.kind == "time_limit_rule":
            effort = "effort saved: none (cuts waiting, not work)"
        else:
            effort = "effort saved: unknown, the log has no start times"
        say(
            f"  {a.id} {a.activity}  score {a.score:.2f}  [{a.kind}]  "
            f"{_rate(a.executions_per_month)}/month{runs}, {effort}, "
            f"lead time {_time(a.lead_time_change_s)} per case"
        )
        if a.rule is not None:
            say(f"      rule: {a.rule.describe()}")
    if not found.automation:
        say("  none")
    if found.too_rare:
        say("Too rare to judge (too few executions for the criteria to mean anything; not scored):")
        for t in found.too_rare:
            say(
                f"  {t.activity}: {t.executions:,} execution{'s' if t.executions != 1 else ''} "
                f"in {t.cases:,} case{'s' if t.cases != 1 else ''}"
            )
    if found.judgement:
        say("Judgement work, not proposed (the evidence says judgement, not a data interface):")
        for j in found.judgement:
            say(f"  {j.activity} ({j.executions:,} runs): {j.reason}")
    if found.already_automated:
        say("Already automated (not proposed):")
        for x in found.already_automated:
            say(f"  {x.activity}: {x.reason}")
    say("Restructuring candidates (score = share of the mean lead time saved):")
    for r in found.restructuring:
        acts = " / ".join(r.activities) if r.activities else "-"
        say(f"  {r.id} [{r.kind}] {acts}: {r.cases:,} cases")  # the effect ends the rationale
        say(f"      {r.rationale}")
    if not found.restructuring:
        say("  none")
    say(f"Replay one: `servflow whatif {found.log_name} --candidate ID`.")


def _whatif(args: argparse.Namespace) -> int:
    from mining import store
    from optimization.whatif import estimate_whatif

    candidate = args.candidate_option or args.candidate_id
    if not candidate:
        raise InputError("Name the candidate to replay: --candidate ID (e.g. R01 or A03).")
    if args.candidate_option and args.candidate_id and args.candidate_option != args.candidate_id:
        raise InputError(
            f"Two different candidates given ({args.candidate_id!r} and "
            f"{args.candidate_option!r}); join ids with + to apply several together."
        )
    with store.connect(args.db, read_only=True) as con:
        run_id = _run_id(con, args.log, args.run_id)
        result = estimate_whatif(con, run_id, candidate, seed=args.seed)
    if args.json:
        _print_json(result.as_dict())
        return 0
    before, after = result.lead_time_before, result.lead_time_after
    low, high = result.lead_time_after_low, result.lead_time_after_high
    say(f"{result.candidate_id}: {result.change}")
    say(f"  cases: {result.cases:,} ({result.cases_changed:,} changed)")
    for label, key in (("mean", "mean"), ("median", "median"), ("P90", "p90")):
        say(
            f"  lead time {label}: {_time(getattr(before, key))} -> {_time(getattr(after, key))} "
            f"(range {_time(getattr(low, key))} .. {_time(getattr(high, key))})"
        )
    if before.mean is not None and after.mean is not None:
        from optimization.model import signed_share

        change = after.mean - before.mean
        share = f" ({signed_share(change / before.mean)})" if before.mean else ""
        say(f"  mean lead time change: {_time(change)} per case{share}")
    deciles = result.deciles()
    if deciles["before"]:
        say("  lead time deciles (P10 .. P90):")
        say("    before: " + " ".join(_time(x) for x in deciles["before"]))
        say("    after:  " + " ".join(_time(x) for x in deciles["after"]))
    say(f"  stalled tickets: {result.stalled_before:,} -> {result.stalled_after:,}")
    if math.isfinite(result.work_hours_before):
        say(f"  hours of work: {result.work_hours_before:,.0f} -> {result.work_hours_after:,.0f}")
    else:
        say("  hours of work: unknown (no start times; see the assumptions)")
    say("  assumptions:")
    for a in result.assumptions:
        say(f"    - {a}")
    return 0


def _rate(per_month: float) -> str:
    """Executions a month without a false "0" for a rare step."""
    if per_month >= 10:
        return f"{per_month:,.0f}"
    return f"{per_month:.1f}" if per_month >= 1 else f"{per_month:.2f}"


def _time(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "n/a"
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 120:
        return f"{sign}{s:.0f} s"
    if s < 7200:
        return f"{sign}{s / 60:.0f} min"
    if s < 3 * 86400:
        return f"{sign}{s / 3600:.1f} h"
    return f"{sign}{s / 86400:.1f} d"


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
