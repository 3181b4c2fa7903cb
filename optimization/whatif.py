"""What-if estimates: a candidate's change replayed on the real cases, with an uncertainty range.

`estimate_whatif` takes a candidate of a run's stored set (`A03`, `R01` ...; several joined by
`+` are applied together), replays its change on every case of the run (`optimization.replay`)
and reports lead time, stalled tickets and hours of work before and after. The range
(`after_low` .. `after_high`) is a 95% bootstrap interval: cases are resampled with replacement
and, where stalled tickets are resumed, the comparable tickets they continue like are drawn
again in every round.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from mining.errors import InputError
from optimization.model import (
    AutomationCandidate,
    CandidateSet,
    Change,
    RestructuringCandidate,
    Stats,
    WhatIfResult,
    _span,
)

if TYPE_CHECKING:
    from optimization.replay import CaseLog

__all__ = ["case_lead_times", "describe_change", "estimate_whatif"]

ROUNDS = 200  # bootstrap rounds
SAMPLE = 2000  # per-case values kept for distribution charts


def estimate_whatif(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    candidate_id: str,
    *,
    seed: int = 0,
    candidates: CandidateSet | None = None,
    cases: CaseLog | None = None,
) -> WhatIfResult:
    """Replay candidate `candidate_id` of run `run_id` (its stored set, else computed).

    `candidate_id` may join several ids with `+` (e.g. `R03+R05`) to apply them together;
    `candidates` is the run's set and `cases` its events (`optimization.replay.load_cases`)
    when the caller already holds them. `InputError` for an unknown id or a candidate without
    a replayable change.
    """
    from optimization.candidates import candidates_for_run, find_candidates
    from optimization.replay import bootstrap_stats, load_cases, replay

    if cases is not None and cases.run_id != run_id:
        raise InputError(f"The cases given belong to run {cases.run_id}, not {run_id}.")
    found = candidates or candidates_for_run(con, run_id) or find_candidates(con, run_id)
    if found.run_id != run_id:
        raise InputError(f"The candidates given belong to run {found.run_id}, not {run_id}.")
    chosen = [_candidate(found, part.strip()) for part in candidate_id.split("+")]
    changes: list[Change] = []
    for c in chosen:
        if c.change is None:
            raise InputError(
                f"Candidate {c.id} ({c.kind}) has no change the what-if can replay: its effect "
                "depends on how the work is reorganised. Pick a candidate with a change (remove "
                "a loop, automate a step, cap a wait, run steps in parallel)."
            )
        changes.append(c.change)
    log = cases if cases is not None else load_cases(con, run_id, attributes=False)
    base = replay(log, tuple(changes), seed=seed)
    rng = np.random.default_rng(seed)
    resumes = any(c.kind in ("resume_stalled", "cap_wait") for c in changes)
    rounds = ROUNDS if len(log.act) <= 2_000_000 else 50
    before_stats = Stats.of(base.lead_before.tolist())
    after_stats = Stats.of(base.lead_after.tolist())
    draws = np.zeros((rounds, 3))
    redraws = min(rounds, 10) if resumes and bool(base.changed.any()) else 1
    per_redraw = math.ceil(rounds / redraws)
    at = 0
    for r in range(redraws):
        after = (
            base.lead_after
            if redraws == 1
            else replay(log, tuple(changes), seed=seed + 1 + r).lead_after
        )
        take = min(per_redraw, rounds - at)
        if take <= 0:
            break
        draws[at : at + take] = bootstrap_stats(after, rounds=take, rng=rng)
        at += take
    low = np.quantile(draws[:at], 0.025, axis=0) if at else np.full(3, np.nan)
    high = np.quantile(draws[:at], 0.975, axis=0) if at else np.full(3, np.nan)
    has_work = log.has_start
    sample = (
        rng.choice(log.cases, size=SAMPLE, replace=False)
        if log.cases > SAMPLE
        else np.arange(log.cases)
    )
    return WhatIfResult(
        candidate_id="+".join(c.id for c in chosen),
        change="; ".join(describe_change(c) for c in changes),
        cases=log.cases,
        cases_changed=int(base.changed.sum()),
        lead_time_before=before_stats,
        lead_time_after=after_stats,
        lead_time_after_low=Stats(*(float(x) for x in low)),
        lead_time_after_high=Stats(*(float(x) for x in high)),
        stalled_before=int(base.stalled_before.sum()),
        stalled_after=int(base.stalled_after.sum()),
        work_hours_before=float(base.work_before.sum() / 3600) if has_work else math.nan,
        work_hours_after=float(base.work_after.sum() / 3600) if has_work else math.nan,
        assumptions=_assumptions(changes, has_work, rounds),
        before_sample_s=tuple(float(x) for x in base.lead_before[sample]),
        after_sample_s=tuple(float(x) for x in base.lead_after[sample]),
    )


def case_lead_times(con: duckdb.DuckDBPyConnection, run_id: int) -> np.ndarray:
    """Per-case lead time of a run as the what-if measures it (stalled cases to the as-of time)."""
    from optimization.replay import load_cases

    return load_cases(con, run_id, attributes=False).lead_times()


def _candidate(found: CandidateSet, cid: str) -> AutomationCandidate | RestructuringCandidate:
    candidate = found.find(cid)
    if candidate is None:
        known = [c.id for c in found.automation] + [c.id for c in found.restructuring]
        raise InputError(
            f"No candidate {cid!r} in the candidates of mining run {found.run_id} of log "
            f"{found.log_name!r} (candidates: {', '.join(known) or 'none'}). "
            f"List them with `servflow candidates {found.log_name}`."
        )
    return candidate


def _hours(seconds: float | None) -> str:
    """A threshold as the candidate's rule states it (days from three days on, else hours or
    minutes), so "escalate at 50 d" is not replayed as "1200.0 h"."""
    if seconds is None:
        return "?"
    return _span(seconds)


def describe_change(change: Change) -> str:
    """The change in words."""
    acts = ", ".join(change.activities)
    if change.kind == "collapse_loop":
        return f"the loop back to {acts} is walked once (no return to it)"
    if change.kind == "drop_repeats":
        return f"{acts} is done once: its direct repetitions disappear"
    if change.kind == "collapse_pingpong":
        return f"no bouncing between {' and '.join(change.activities)}: the first hand-over holds"
    if change.kind == "drop_events":
        return f"the {acts} events disappear (no reason left for them)"
    if change.kind == "automate":
        share = "" if change.share >= 1 else f" for {change.share:.0%} of the tickets"
        most = (
            ""
            if change.threshold_s is None
            else f", saving at most {_hours(change.threshold_s)} a run"
        )
        return f"{acts} is automated{share}: it runs right after the previous step{most}"
    if change.kind == "cap_wait":
        target = f" before {change.target}" if change.target else ""
        return f"waits after {acts}{target} are escalated at {_hours(change.threshold_s)}" + (
            "" if change.target else "; tickets stalled there are resumed"
        )
    if change.kind == "resume_stalled":
        return (
            f"tickets stalled after {acts} are escalated at {_hours(change.threshold_s)} and "
            "carry on"
        )
    if change.kind == "parallel":
        return f"{acts} and {change.target} run in parallel"
    return change.kind


def _assumptions(changes: list[Change], has_work: bool, rounds: int) -> tuple[str, ...]:
    out = [
        "Lead time of a case runs from its first to its last event; a stalled case is still "
        "open, so its lead time runs to the run's as-of time.",
        "Every other wait and service time stays as observed: removing time from a case moves "
        "its later events earlier by the same amount (no queueing or staffing effects).",
        f"The range is a 95% bootstrap interval over the cases ({rounds} rounds).",
    ]
    kinds = {c.kind for c in changes}
    if "collapse_pingpong" in kinds:
        out.append(
            "Without the bouncing, the ticket goes on from the first hand-over with the wait "
            "observed after the last one; the bounced steps' waits and service times disappear."
        )
    if kinds & {"collapse_loop", "drop_repeats"}:
        out.append(
            "A removed loop or repetition takes its own waiting and service time with it; the "
            "step after the loop follows the first execution with its observed wait."
        )
    if "drop_events" in kinds:
        out.append("The removed events' waiting and service time disappear from their cases.")
    if "automate" in kinds:
        out.append(
            "An automated step runs as soon as its predecessor completes and takes no time; its "
            "service time is no longer work. Where the log has no start times the wait before "
            "the step may be waiting for the customer or a deadline, so a run saves at most 1 h."
        )
    if kinds & {"resume_stalled", "cap_wait"}:
        out.append(
            "A stalled ticket caught by the rule carries on like a comparable closed ticket that "
            "went through the same step (drawn at random), waiting at most until the "
            "escalation; longer waits of other tickets are cut at the escalation time."
        )
    if "parallel" in kinds:
        out.append(
            "Two steps in parallel both start when the step before them completes; the pair "
            "finishes when the longer of the two would have."
        )
    if not has_work:
        out.append("The log has no start times: hours of work are not available.")
    return tuple(out)
