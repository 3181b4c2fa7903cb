"""Restructuring candidates: log evidence for the redesign heuristics of Reijers & Limam Mansar
(2005), each with the cases behind it and the effect of its change replayed on the real cases.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from optimization.automation import (
    CHASE_WORDS,
    _hours_text,
    _matches,
    _mode_share,
    _round_time,
)
from optimization.model import (
    Change,
    Evidence,
    RestructuringCandidate,
    RestructuringKind,
    signed_share,
)
from optimization.replay import CaseLog, replay

__all__ = ["MAX_CASE_IDS", "find_restructuring"]

MAX_CASE_IDS = 1000  # case ids kept per candidate (the count covers all)
# A replayed change saving less than this share of the mean lead time (or less than a second
# per case) is rounding noise, not a proposal.
NEGLIGIBLE_SHARE = 0.0001


# --------------------------------------------------------------------------------------------
# Restructuring candidates


def find_restructuring(
    log: CaseLog,
    sections: dict[str, list[dict[str, Any]]],
    type_attr: str | None,
    channel_attr: str | None,
) -> list[RestructuringCandidate]:
    lead = log.lead_times()
    lead_mean = float(lead.mean()) if log.cases else 0.0
    min_cases = max(3, int(0.005 * log.cases))
    drafts: list[dict[str, Any]] = []

    pingpong_pairs = [
        tuple(p["activities"])
        for p in sections["pingpong"]
        if p["level"] == "activity" and p["cases"] >= min_cases
    ]
    pair_members = {frozenset(pair) for pair in pingpong_pairs}

    # task elimination: rework loops (self-loops and longer loops not part of a ping-pong)
    for loop in sections["rework_loops"]:
        if loop["body"] is None or loop["cases"] < min_cases:
            continue  # a body of None holds the loops too long to list one by one
        body = tuple(loop["body"])
        if body and frozenset((loop["activity"], *body)) in pair_members:
            continue
        act = log.activity_id(loop["activity"])
        if body:
            hit = _cases_with_repeat(log, act)
            change = Change("collapse_loop", (loop["activity"],))
            shape = " -> ".join((loop["activity"], *body, loop["activity"]))
        else:
            hit = _cases_with_self_loop(log, act)
            change = Change("drop_repeats", (loop["activity"],))
            shape = f"{loop['activity']} -> {loop['activity']}"
        drafts.append(
            {
                "kind": "task_elimination",
                "activities": (loop["activity"], *body),
                "cases": hit,
                "change": change,
                "evidence": (
                    Evidence("loop", shape),
                    Evidence("repetitions", loop["occurrences"], "times"),
                    Evidence("cases with the loop", int(hit.sum()), "cases"),
                    Evidence("time spent in the loop", loop["extra_time_s"], "s"),
                ),
                "why": f"Rework: {shape} repeats in {int(hit.sum()):,} cases. Do it right the "
                "first time (check before the step, fix the cause of the repetition) and the "
                "repetition disappears.",
            }
        )

    # fewer hand-overs: ping-pong between two activities (and their teams)
    team_rows = [p for p in sections["pingpong"] if p["level"] == "team"]
    for pair in pingpong_pairs:
        first_id = log.activity_id(pair[0])
        hit = _cases_with_pingpong(log, first_id, log.activity_id(pair[1]))
        if hit.sum() < min_cases:
            continue
        evidence = [
            Evidence("bouncing", " <-> ".join(pair)),
            Evidence("cases bouncing", int(hit.sum()), "cases"),
        ]
        if team_rows:
            evidence.append(Evidence("teams bouncing", " <-> ".join(team_rows[0]["activities"])))
        drafts.append(
            {
                "kind": "fewer_handovers",
                "activities": pair,
                "cases": hit,
                "change": Change("collapse_pingpong", pair),
                "evidence": tuple(evidence),
                "why": f"Ping-pong: {int(hit.sum()):,} tickets bounce {pair[0]} -> {pair[1]} -> "
                f"{pair[0]}. Give one owner the case (case manager) or let the front line finish "
                "it (empower), with the information the back office asks for taken at intake.",
            }
        )

    # many teams per ticket: case manager
    unit = log.team if (log.team >= 0).any() else None
    if unit is not None:
        teams_per_case = _distinct_per_case(log, unit)
        many = teams_per_case >= 4
        if many.sum() >= max(min_cases, 0.1 * log.cases):
            drafts.append(
                {
                    "kind": "fewer_handovers",
                    "activities": (),
                    "cases": many,
                    "change": None,
                    "evidence": (
                        Evidence("cases with 4 or more teams", int(many.sum()), "cases"),
                        Evidence(
                            "median teams per case", float(np.median(teams_per_case)), "teams"
                        ),
                    ),
                    "why": f"{int(many.sum()):,} tickets pass through four or more teams: a case "
                    "manager who owns the ticket end to end cuts the hand-overs.",
                }
            )

    # contact reduction: customers chasing
    chase = [k for k, v in log.activity_names.items() if _matches(v, CHASE_WORDS)]
    for act in chase:
        hit = np.zeros(log.cases, dtype=bool)
        hit[log.case[log.events_of(act)]] = True
        if hit.sum() < min_cases:
            continue
        name = log.activity_names[act]
        evidence = [Evidence("cases with a chase", int(hit.sum()), "cases")]
        for kpi in sections["kpis"]:
            if kpi["name"] in ("first_contact_resolution", "repeat_contact_rate") and (
                kpi.get("value") is not None
            ):
                evidence.append(Evidence(kpi["name"].replace("_", " "), kpi["value"], "share"))
        drafts.append(
            {
                "kind": "contact_reduction",
                "activities": (name,),
                "cases": hit,
                "change": Change("drop_events", (name,)),
                "evidence": tuple(evidence),
                "why": f"Customers chase ({name}) in {int(hit.sum()):,} tickets. Proactive status "
                "updates (SMS, app) and a promised time remove the reason to contact again.",
            }
        )

    # time limits and escalation: break points
    for b in sections["breakpoints"]:
        if b["stalled_cases"] < min_cases:
            continue
        act = log.activity_id(b["activity"])
        hit = log.stalled & (log.act[log.last] == act)
        # a rule people can state: whole hours (days), and not sooner than an hour
        threshold = max(_round_time(float(b["threshold_s"] or 0.0)), 3600.0)
        drafts.append(
            {
                "kind": "time_limits",
                "activities": (b["activity"],),
                "cases": hit,
                "change": Change("resume_stalled", (b["activity"],), threshold_s=threshold),
                "evidence": (
                    Evidence("stalled tickets", int(b["stalled_cases"]), "cases"),
                    Evidence("drop-out share", b["dropout_share"], "share"),
                    Evidence("median idle time", b["median_idle_s"], "s"),
                    Evidence("escalate after", threshold, "s"),
                ),
                "why": f"Break point: {int(b['stalled_cases']):,} tickets stall after "
                f"{b['activity']} (idle for a median {_hours_text(b['median_idle_s'])}). A time "
                f"limit with a reminder and escalation after {_hours_text(threshold)} brings them "
                "back into the closed loop.",
            }
        )

    # time limits: waits with a long tail on the biggest hand-over delays
    for bn in sections["bottlenecks"][:5]:
        if (bn.get("delay_share") or 0) < 0.1 or bn["cases"] < min_cases:
            continue
        src, dst = log.activity_id(bn["source"]), log.activity_id(bn["target"])
        edge = log.events_of(dst)
        edge = edge[log.prev_act[edge] == src]
        waits = np.nan_to_num(log.wait_before[edge])
        if len(waits) < 5:
            continue
        cap = _round_time(float(np.quantile(waits, 0.9)))
        hit = np.zeros(log.cases, dtype=bool)
        hit[log.case[edge[waits > cap]]] = True
        if not hit.any():
            continue
        drafts.append(
            {
                "kind": "time_limits",
                "activities": (bn["source"], bn["target"]),
                "cases": hit,
                "change": Change("cap_wait", (bn["source"],), threshold_s=cap, target=bn["target"]),
                "evidence": (
                    Evidence("median wait", bn["median_s"], "s"),
                    Evidence("P90 wait", bn["p90_s"], "s"),
                    Evidence("share of all added delay", bn["delay_share"], "share"),
                    Evidence("escalate after", cap, "s"),
                ),
                "why": f"Tickets wait a median {_hours_text(bn['median_s'])} between "
                f"{bn['source']} and {bn['target']} (P90 {_hours_text(bn['p90_s'])}), "
                f"{bn['delay_share']:.0%} of all added delay. A time limit with escalation at "
                f"{_hours_text(cap)} cuts the long tail; staffing the receiving team cuts the rest.",
            }
        )

    # parallelism: two steps seen in both orders, directly after each other
    drafts += [
        d
        for d in _parallel_drafts(log, min_cases)
        if frozenset(d["activities"]) not in pair_members
    ]
    # resequencing: checks that end cases late in the flow (knock-outs)
    drafts += _knockout_drafts(log, sections, min_cases)
    # triage: lead time differs strongly by ticket type or channel
    drafts += _triage_drafts(log, lead, (type_attr, channel_attr), min_cases)

    candidates: list[tuple[int, float, float, dict[str, Any], float]] = []
    seen: set[Any] = set()
    for d in drafts:
        if not d["cases"].any():
            continue  # no case behind it: nothing to show or to change
        key = d["change"] if d["change"] is not None else (d["kind"], d["activities"])
        if key in seen:
            continue  # the same change found by two detections: the first one tells it
        seen.add(key)
        if d["change"] is not None:
            change_s = replay(log, (d["change"],)).mean_change_s
            if change_s > -max(1.0, NEGLIGIBLE_SHARE * lead_mean):
                continue  # the change saves nothing measurable
            score = -change_s / lead_mean if lead_mean > 0 else 0.0
            tier = 0
        else:
            change_s, score, tier = 0.0, 0.0, 1
        share = float(d["cases"].mean()) if log.cases else 0.0
        candidates.append((tier, -score, -share, d, change_s))
    candidates.sort(key=lambda c: (c[0], c[1], c[2], c[3]["kind"], c[3]["activities"]))
    out = []
    for rank, (tier, neg_score, _share, d, change_s) in enumerate(candidates, 1):
        hit = d["cases"]
        ids = tuple(log.case_ids[i] for i in np.flatnonzero(hit)[:MAX_CASE_IDS])
        effect = (
            f" Replayed on the log: mean lead time {_hours_text(change_s)} per case"
            + (f" ({signed_share(change_s / lead_mean)})" if lead_mean > 0 else "")
            + "."
            if tier == 0
            else " Its effect is not replayed (no single change to apply); the cases show where."
        )
        kind: RestructuringKind = d["kind"]
        out.append(
            RestructuringCandidate(
                id=f"R{rank:02d}",
                kind=kind,
                activities=tuple(d["activities"]),
                cases=int(hit.sum()),
                score=round(-neg_score, 6),
                lead_time_change_s=round(change_s, 1),
                evidence=d["evidence"],
                rationale=d["why"] + effect,
                case_ids=ids,
                change=d["change"],
            )
        )
    return out


def _distinct_per_case(log: CaseLog, unit: np.ndarray) -> np.ndarray:
    """Per case: how many distinct values (>= 0) of `unit` its events have."""
    width = int(unit.max()) + 1
    known = unit >= 0
    case = log.case
    if not known.all():  # (the usual case, every event's unit known, needs no selection)
        case, unit = case[known], unit[known]
    if log.cases * width <= 1 << 26:  # a case x unit bitmap instead of sorting the events
        seen = np.zeros(log.cases * width, dtype=bool)
        seen[case * width + unit] = True
        return seen.reshape(log.cases, width).sum(axis=1)
    keys = np.unique(case * width + unit)
    return np.bincount(keys // width, minlength=log.cases)


def _cases_with_self_loop(log: CaseLog, act: int) -> np.ndarray:
    hit = np.zeros(log.cases, dtype=bool)
    at = log.events_of(act)
    hit[log.case[at[log.prev_act[at] == act]]] = True
    return hit


def _cases_with_repeat(log: CaseLog, act: int) -> np.ndarray:
    counts = np.bincount(log.case[log.events_of(act)], minlength=log.cases)
    return counts >= 2


def _cases_with_pingpong(log: CaseLog, a: int, b: int) -> np.ndarray:
    """Cases with a -> b -> a or b -> a -> b in three consecutive events."""
    hit = np.zeros(log.cases, dtype=bool)
    n = len(log.act)
    if n < 3:
        return hit
    at = log.events_of([a, b])  # such a triple starts at an event of a or b
    at = at[at < n - 2]
    x, y, z = log.act[at], log.act[at + 1], log.act[at + 2]
    same = (log.case[at] == log.case[at + 2]) & (x == z) & (x != y)
    pattern = same & (((x == a) & (y == b)) | ((x == b) & (y == a)))
    hit[log.case[at[pattern]]] = True
    return hit


def _parallel_drafts(log: CaseLog, min_cases: int) -> list[dict[str, Any]]:
    n = len(log.act)
    if n < 2:
        return []
    pairs = (log.prev_act >= 0) & (log.prev_act != log.act)
    width = max(log.activity_names, default=0) + 1
    keys = log.prev_act[pairs] * width + log.act[pairs]
    if width * width <= 1 << 24:  # a dense count (the keys in ascending order, as np.unique)
        dense = np.bincount(keys, minlength=width * width)
        uniq = np.flatnonzero(dense)
        counts = dense[uniq]
    else:
        uniq, counts = np.unique(keys, return_counts=True)
    count = dict(zip(uniq.tolist(), counts.tolist(), strict=True))
    out = []
    seen: set[tuple[int, int]] = set()
    for key, ab in count.items():
        a, b = divmod(int(key), width)
        ba = count.get(b * width + a, 0)
        if (b, a) in seen or min(ab, ba) < min_cases or min(ab, ba) < 0.1 * (ab + ba):
            continue
        seen.add((a, b))
        events_a, events_b = log.events_of(a), log.events_of(b)
        edge = np.concatenate(
            (events_b[log.prev_act[events_b] == a], events_a[log.prev_act[events_a] == b])
        )
        waits = np.nan_to_num(log.wait_before[edge])  # the median does not depend on order
        if np.median(waits) <= 0:
            continue
        hit = np.zeros(log.cases, dtype=bool)
        hit[log.case[edge]] = True
        na, nb = log.activity_names[a], log.activity_names[b]
        out.append(
            {
                "kind": "parallelism",
                "activities": (na, nb),
                "cases": hit,
                "change": Change("parallel", (na,), target=nb),
                "evidence": (
                    Evidence(f"{na} then {nb}", ab, "times"),
                    Evidence(f"{nb} then {na}", ba, "times"),
                    Evidence("median wait between them", float(np.median(waits)), "s"),
                ),
                "why": f"{na} and {nb} are done in both orders ({ab:,} and {ba:,} times) with "
                "waiting between them: they do not depend on each other and can run in parallel.",
            }
        )
    return out


def _knockout_drafts(
    log: CaseLog, sections: dict[str, list[dict[str, Any]]], min_cases: int
) -> list[dict[str, Any]]:
    """Steps that often end a case early (a rejection) but come late in the flow."""
    if not log.cases:
        return []
    end_act = log.last_act
    main_end, _share = _mode_share(end_act)
    ended_by = np.bincount(end_act[~log.stalled], minlength=len(log.by_activity[1]) - 1)
    out = []
    for act, name in log.activity_names.items():
        if act == main_end:
            continue
        events = log.events_of(act)
        executions = len(events)
        ended = int(ended_by[act]) if act < len(ended_by) else 0
        if ended < min_cases or executions < 2 * min_cases:
            continue
        ends_here = (end_act == act) & ~log.stalled
        end_share = ended / executions
        # each execution's position in its case: 0 = first, 1 = last
        of = log.case[events]
        first = log.first[of]
        length = log.last[of] - first + 1
        relative = np.where(length > 1, (events - first) / np.maximum(length - 1, 1), 0.0)
        position = float(relative.mean())
        if not (0.1 <= end_share <= 0.9) or position < 0.5:
            continue
        lead = log.lead_times()[ends_here]
        out.append(
            {
                "kind": "resequencing",
                "activities": (name,),
                "cases": ends_here,
                "change": None,
                "evidence": (
                    Evidence("cases ending at this step", ended, "cases"),
                    Evidence("share of its executions that end the case", end_share, "share"),
                    Evidence("mean relative position in the case", position, "0 = first, 1 = last"),
                    Evidence("median lead time of those cases", float(np.median(lead)), "s"),
                ),
                "why": f"{name} ends {end_share:.0%} of the cases that reach it, late in the flow: "
                "a check that knocks cases out belongs early, before the work spent on them.",
            }
        )
    return out


def _triage_drafts(
    log: CaseLog,
    lead: np.ndarray,
    attributes: tuple[str | None, ...],
    min_cases: int,
) -> list[dict[str, Any]]:
    out = []
    closed = ~log.stalled
    for attribute in attributes:
        if attribute is None:
            continue
        values = log.attributes[attribute]
        labels = log.attribute_values[attribute]
        groups = [(labels[v], (values == v) & closed) for v in range(len(labels))]
        groups = [(v, g) for v, g in groups if g.sum() >= min_cases]
        if len(groups) < 2:
            continue
        medians = {str(v): float(np.median(lead[g])) for v, g in groups}
        low, high = min(medians.values()), max(medians.values())
        if high < 3 * max(low, 60.0):
            continue
        slowest = max(medians, key=lambda k: medians[k])
        fastest = min(medians, key=lambda k: medians[k])
        out.append(
            {
                "kind": "triage",
                "activities": (),
                "cases": (values == labels.index(slowest)),
                "change": None,
                "evidence": tuple(
                    Evidence(f"median lead time, {attribute} = {k}", v, "s")
                    for k, v in sorted(medians.items(), key=lambda kv: -kv[1])
                ),
                "why": f"Lead time differs strongly by {attribute}: median "
                f"{_hours_text(medians[slowest])} for '{slowest}' against "
                f"{_hours_text(medians[fastest])} for '{fastest}'. Route by {attribute} at "
                "intake (triage) so each kind of ticket takes its own path from the start.",
            }
        )
    return out
