"""Automation candidates: every activity of a stored run scored on the automation criteria.

`profile_activities` measures each activity from the run's cases (`optimization.replay.CaseLog`);
`rank_automation` leaves out what is already automated, scores the rest (the weighted mean of
the criteria the log can tell), picks the kind of automation that fits (system integration,
time-limit rule, self-service shift), lists as judgement work, not proposed, the steps whose
evidence says judgement rather than a system integration, learns time-limit rules from the normal waits, and
replays each proposal for its effect on the lead time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np

from optimization.model import (
    AlreadyAutomated,
    AutomationCandidate,
    AutomationKind,
    CandidateOptions,
    Change,
    Criterion,
    JudgementWork,
    TimeLimitRule,
    TooRare,
    Weights,
    signed_share,
)
from optimization.replay import CaseLog, replay

__all__ = ["CHASE_WORDS", "CRITERIA", "DAY", "profile_activities", "rank_automation"]

# criterion -> (unit, definition): shown beside every value.
CRITERIA: dict[str, tuple[str, str]] = {
    "volume": (
        "executions per month",
        "how often the step runs; score: log-scaled against the most frequent step",
    ),
    "time": (
        "hours per month",
        "time attached to the step each month: executions x mean service time where the log has "
        "start times, else x mean waiting time before it counted up to 1 h per execution (the "
        "most automating it is credited with); score: log-scaled against the largest",
    ),
    "standardization": (
        "share",
        "how deterministic the step's neighbours are: mean of the shares of its most common "
        "successor and most common predecessor (case end and start count as neighbours)",
    ),
    "duration_uniformity": (
        "coefficient of variation",
        "spread of the step's duration (service time, else waiting time before it): standard "
        "deviation / mean; score: exp(-1.5 x CV)",
    ),
    "predictability": (
        "share",
        "how well the case attributes predict the step's outcome (its successor): accuracy of "
        "the best one-attribute lookup rule 'if attribute = v then next step = ...' (rule-based "
        "near 1, judgement lower)",
    ),
    "low_exceptions": (
        "share of executions",
        "exception and rework rate: executions that repeat the step in its case, are followed by "
        "a chase or escalation, or leave the case stalled; score: 1 - 2 x rate (at least 0)",
    ),
    "few_resources": (
        "resources",
        "distinct resources doing the step (teams in the rationale); score: 1 - log(resources) / "
        "log(most resources of any step)",
    ),
    "stability": (
        "coefficient of variation",
        "stability over time: CV of the step's monthly share of all events; score: 1 - CV",
    ),
}

# Activity-name fragments of customer chasing / repeat contact and escalation (case-insensitive).
CHASE_WORDS: tuple[str, ...] = (
    "催",
    "chase",
    "remind",
    "follow-up",
    "follow up",
    "repeat contact",
    "再次来电",
    "重复来电",
)
ESCALATION_WORDS: tuple[str, ...] = ("升级", "escalat")
MACHINE_CV = 0.02  # durations this regular (with >= 20 runs) are a machine's
INSTANT_S = 1.0  # steps recorded within a second of the previous one ...
INSTANT_SHARE = 0.95  # ... this often are system-triggered
DAY = 86400.0
HANDLING_CAP_S = 3600.0  # without start times, automating a step saves at most this per run
SHORT_S = 600.0  # a step this quick (median) is called short in the rationale
# Volume confidence: a step's score is multiplied by n / (n + VOLUME_PRIOR) for its n
# executions, as if VOLUME_PRIOR executions had spoken against automating it. Criteria measured
# on few executions are uncertain (one execution is trivially deterministic), so a rarer step
# never outranks a more frequent one with the same criteria.
VOLUME_PRIOR = 10
DENSE_COUNTS = 1 << 22  # at most this many counters in a dense count, else sort the keys


# --------------------------------------------------------------------------------------------
# Per-activity statistics


class _Profile:
    """Everything measured about one activity (plain attributes, internal)."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # for mypy: attributes are set in __init__
        raise AttributeError(name)


def _matches(name: str, words: Iterable[str]) -> bool:
    low = name.lower()
    return any(w.lower() in low for w in words)


def _mode_share(values: np.ndarray) -> tuple[int, float]:
    """The most frequent value (the smallest of equally frequent ones) and its share."""
    if not len(values):
        return -1, math.nan
    low, high = int(values.min()), int(values.max())
    if high - low <= DENSE_COUNTS:  # ids: a dense count instead of sorting
        counts = np.bincount(values - low)
        i = int(np.argmax(counts))
        return i + low, float(counts[i] / len(values))
    keys, counts = np.unique(values, return_counts=True)
    i = int(np.argmax(counts))
    return int(keys[i]), float(counts[i] / counts.sum())


def _cv(values: np.ndarray) -> float | None:
    values = values[np.isfinite(values)]
    if len(values) < 5 or values.mean() <= 0:
        return None
    return float(values.std() / values.mean())


def _counts_by(groups: int, key: np.ndarray, width: int) -> np.ndarray:
    """(groups, width) counts of `key` = group * width + value (a dense count)."""
    return np.bincount(key, minlength=groups * width).reshape(groups, width)


def _group_max(key: np.ndarray, groups: int, width: int) -> np.ndarray:
    """Per group g: the count of its most frequent key among g * width .. g * width + width - 1
    (0 for a group without keys)."""
    if groups * width <= DENSE_COUNTS:
        return _counts_by(groups, key, width).max(axis=1)
    keys, counts = np.unique(key, return_counts=True)
    group = keys // width
    starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
    out = np.zeros(groups, dtype=np.int64)
    if len(keys):
        out[group[starts]] = np.maximum.reduceat(counts, starts)
    return out


def _distinct_by(groups: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """Per group id (0 .. count-1): how many distinct values >= 0 it has among the pairs."""
    known = values >= 0
    if not known.all():  # (the usual case, every value known, needs no selection)
        groups, values = groups[known], values[known]
    width = int(values.max()) + 1 if len(values) else 1
    if count * width <= 1 << 26:  # a group x value bitmap instead of sorting the pairs
        seen = np.zeros(count * width, dtype=bool)
        seen[groups * width + values] = True
        return seen.reshape(count, width).sum(axis=1)
    return np.bincount(np.unique(groups * width + values) // width, minlength=count)


def _rule_accuracy(log: CaseLog, acts: int, act_next: np.ndarray, width: int) -> dict[str, Any]:
    """Per case attribute, per activity: how many of its executions the best one-attribute
    lookup rule 'if attribute = v then successor = mode' gets right (the sum over the
    attribute's values of the most common successor's count). `act_next` is each event's
    activity * `width` + successor + 1 (-1, the case end, becomes 0).

    The counts per (value, activity, successor) come from one dense count over all events by
    the case's combination of attribute values, added up per value of each attribute: the
    same integers as a count over all events per attribute."""
    if not log.attributes:
        return {}
    keys = acts * width
    combined = _value_combinations(log, keys)
    if combined is None:  # too many combinations for a dense count: one count per attribute
        return _rule_accuracy_each(log, acts, act_next, width)
    combination, values_of = combined
    combinations = len(next(iter(values_of.values())))
    key = np.take(combination, log.case)
    key *= keys
    key += act_next
    counts = np.bincount(key, minlength=combinations * keys).reshape(combinations, keys)
    del key
    right: dict[str, Any] = {}
    for attribute, value in values_of.items():
        by_value = np.zeros((len(log.attribute_values[attribute]) + 1, keys), dtype=counts.dtype)
        np.add.at(by_value, value, counts)
        best = by_value.reshape(-1, acts, width).max(axis=2)  # per (value, activity)
        right[attribute] = best.sum(axis=0)
    return right


def _value_combinations(log: CaseLog, keys: int) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """Per case: the number of its combination of attribute value codes (0 .. combinations-1);
    per attribute and combination: its value code + 1 (0: missing). None where a dense count
    of combinations x `keys` would be too large."""
    combination = np.zeros(log.cases, dtype=np.int64)
    size = 1
    for attribute, column in log.attributes.items():
        values = len(log.attribute_values[attribute]) + 1  # -1 (missing) becomes its own value
        combination *= values
        combination += column
        combination += 1
        size *= values
        if size > DENSE_COUNTS:  # number the combinations that occur
            combination, size = _renumber(combination, size)
            if size * keys > DENSE_COUNTS:
                return None
    combination, size = _renumber(combination, size)
    if size * keys > DENSE_COUNTS:
        return None
    example = np.zeros(size, dtype=np.int64)  # a case of each combination
    example[combination] = np.arange(log.cases)
    values_of = {attribute: column[example] + 1 for attribute, column in log.attributes.items()}
    return combination, values_of


def _renumber(numbers: np.ndarray, size: int) -> tuple[np.ndarray, int]:
    """`numbers` (0 .. size-1) as 0 .. distinct-1, in the same order, and how many distinct."""
    if size <= DENSE_COUNTS:
        present = np.zeros(size, dtype=bool)
        present[numbers] = True
        number = np.cumsum(present) - 1
        return number[numbers], int(present.sum())
    seen = np.unique(numbers)
    return np.searchsorted(seen, numbers), len(seen)


def _rule_accuracy_each(
    log: CaseLog, acts: int, act_next: np.ndarray, width: int
) -> dict[str, Any]:
    """`_rule_accuracy` with one count over all events per attribute."""
    right: dict[str, Any] = {}
    key = np.empty(len(log.case), dtype=np.int64)  # one buffer for every attribute's keys
    for attribute, column in log.attributes.items():
        values = len(log.attribute_values[attribute]) + 1  # -1 (missing) becomes its own value
        np.take(column, log.case, out=key)
        key += 1
        key *= acts * width
        key += act_next
        best = _group_max(key, values * acts, width)  # per (value, activity)
        right[attribute] = best.reshape(values, acts).sum(axis=0)
    return right


def _flag_counts(act: np.ndarray, acts: int, flags: tuple[np.ndarray, ...]) -> list[list[int]]:
    """Per flag (at most 8, one bool per event), per activity id: how many of its events have
    the flag. One dense count of activity x combination of flags, added up per flag."""
    bits = np.zeros(len(act), dtype=np.uint8)
    for b, flag in enumerate(flags):
        bits |= flag.view(np.uint8) << b
    key = act << len(flags)
    key |= bits
    del bits
    width = 1 << len(flags)
    counts = np.bincount(key, minlength=acts * width).reshape(acts, width)
    combination = np.arange(width)
    return [counts[:, (combination >> b) & 1 == 1].sum(axis=1).tolist() for b in range(len(flags))]


def profile_activities(
    log: CaseLog,
    options: CandidateOptions,
    sections: dict[str, list[dict[str, Any]]],
    type_attr: str | None,
) -> list[_Profile]:
    """Everything the criteria, the kinds and the rules need about each activity of `log`.

    Counts and shares come from one dense count per statistic over all events (activity x
    value); the statistics of a distribution (median, mean, spread) from each activity's
    events, in log order, as selected by `CaseLog.by_activity`.
    """
    n = len(log.act)
    if not n:
        return []
    months = log.months()
    order, bounds = log.by_activity
    acts = len(bounds) - 1
    chase_ids = [k for k, v in log.activity_names.items() if _matches(v, CHASE_WORDS)]
    escalation_ids = [k for k, v in log.activity_names.items() if _matches(v, ESCALATION_WORDS)]
    exception_next = np.isin(log.next_act, chase_ids + escalation_ids)
    # executions that repeat an activity already seen in the case: within an activity's
    # events (ascending, so grouped by case) the case is the one of the execution before
    case_sorted = log.case[order]
    repeat_sorted = np.zeros(n, dtype=bool)
    np.equal(case_sorted[1:], case_sorted[:-1], out=repeat_sorted[1:])
    repeat_sorted[bounds[1:-1]] = False  # an activity's first event repeats nothing
    repeated = np.zeros(n, dtype=bool)
    repeated[order] = repeat_sorted
    is_last = np.zeros(n, dtype=bool)
    is_last[log.last] = True
    stalled_after = np.zeros(n, dtype=bool)  # the last events of the stalled cases
    stalled_after[log.last[log.stalled]] = True
    exception = repeated | exception_next | stalled_after
    wait_after = np.empty(n)
    wait_after[:-1] = log.wait_before[1:]
    wait_after[is_last] = np.nan  # the last event (n - 1) included
    month = log.ts - log.ts.min()
    month /= 30.44 * DAY
    month = np.floor(month, out=month).astype(np.int64)
    month_total = np.bincount(month)
    # the words as `_matches` compares them (lowered twice), lowered once for every name
    system_words = tuple(w.lower().lower() for w in options.system_resources)
    system_res = {
        k for k, v in log.resource_names.items() if any(w in v.lower() for w in system_words)
    }
    system_team = {
        k for k, v in log.team_names.items() if any(w in v.lower() for w in system_words)
    }
    by_system = np.zeros(n, dtype=bool)
    for ids, units in ((system_res, log.resource), (system_team, log.team)):
        if ids:
            by_system |= np.isin(units, list(ids))
    starts_with = np.bincount(log.act[log.first], minlength=acts)
    handover_unit = log.team if (log.team >= 0).any() else log.resource
    change_of_unit = np.zeros(n, dtype=bool)
    np.not_equal(handover_unit[1:], handover_unit[:-1], out=change_of_unit[1:])
    change_of_unit[log.first] = False
    handovers_per_case = np.bincount(log.case, weights=change_of_unit, minlength=log.cases)
    few_handovers = float(np.quantile(handovers_per_case, 0.25)) if log.cases else 0.0
    same_unit = handover_unit == handover_unit[log.first][log.case]
    bottleneck_sources = {
        b["source"] for b in sections["bottlenecks"] if (b.get("delay_share") or 0) >= 0.1
    }

    flags = (exception, repeated, stalled_after, by_system, log.segment <= INSTANT_S, same_unit)
    exceptions, repeats, stalls, by_systems, instants, same_units, openings = _flag_counts(
        log.act, acts, (*flags, log.prev_act == -1)
    )
    del flags
    width = acts + 1  # successor or predecessor + 1 (-1, none, becomes 0)
    act_next = log.act * width
    act_next += log.next_act
    act_next += 1
    next_max = _group_max(act_next, acts, width)  # per activity: its most common successor's
    rule_right = _rule_accuracy(log, acts, act_next, width)
    act_prev = np.multiply(log.act, width, out=act_next)  # the buffer, no longer needed
    act_prev += log.prev_act
    act_prev += 1
    prev_max = _group_max(act_prev, acts, width)
    del act_next, act_prev
    by_month = _counts_by(acts, log.act * len(month_total) + month, len(month_total))
    resource_counts = _distinct_by(log.act, log.resource, acts)
    teams = log.team >= 0
    team_width = int(log.team.max()) + 1 if teams.any() else 1
    team_counts = None
    if acts * team_width <= DENSE_COUNTS:
        every = teams.all()  # then no selection is needed
        team_key = (log.act if every else log.act[teams]) * team_width
        team_key += log.team if every else log.team[teams]
        team_counts = _counts_by(acts, team_key, team_width)
        del team_key
    type_counts = None
    if type_attr is not None:
        labels = len(log.attribute_values[type_attr])
        first_time = ~repeated  # each case once per activity
        values = log.attributes[type_attr][log.case[first_time]]
        type_key = log.act[first_time]
        known = values >= 0
        if not known.all():
            type_key, values = type_key[known], values[known]
        type_key *= labels
        type_key += values
        type_counts = _counts_by(acts, type_key, labels)
        del type_key, values
    handovers_sorted = handovers_per_case[case_sorted]

    profiles = []
    for act_id, name in log.activity_names.items():
        if not 0 <= act_id < acts:
            continue
        lo, hi = int(bounds[act_id]), int(bounds[act_id + 1])
        mask = order[lo:hi]  # event indices, ascending: selects as a boolean mask would
        count = hi - lo
        if not count:
            continue
        service = log.service[mask]
        has_service = bool(np.isfinite(service).sum() >= max(1, 0.5 * count))
        basis = service if has_service else log.wait_before[mask]
        finite = basis[np.isfinite(basis)]
        successor = log.next_act[mask]
        next_share = float(next_max[act_id] / count)
        prev_share = float(prev_max[act_id] / count)
        accuracy, rule_attr = next_share, ""
        for attribute, right in rule_right.items():
            attribute_accuracy = float(right[act_id] / count)
            if attribute_accuracy > accuracy + 1e-9:
                accuracy, rule_attr = attribute_accuracy, attribute
        shares = by_month[act_id] / np.maximum(month_total, 1)
        full = month_total >= 20
        stability_cv = (
            float(shares[full].std() / shares[full].mean())
            if full.sum() >= 2 and shares[full].mean() > 0
            else None
        )
        if team_counts is not None:
            per_team = team_counts[act_id]
        else:
            per_team = np.bincount(log.team[mask][log.team[mask] >= 0], minlength=team_width)
        team_total = int(np.count_nonzero(per_team))
        cases = count - repeats[act_id]
        type_share, main_type = math.nan, None
        if type_counts is not None and type_attr is not None and type_counts[act_id].any():
            by_type = type_counts[act_id]
            main_type = log.attribute_values[type_attr][int(np.argmax(by_type))]
            type_share = float(by_type.max() / by_type.sum())
        waits_after = wait_after[mask]
        waits_after = waits_after[np.isfinite(waits_after)]
        case_handovers = handovers_sorted[lo:hi][~repeat_sorted[lo:hi]]
        profiles.append(
            _Profile(
                id=act_id,
                name=name,
                count=count,
                cases=cases,
                per_month=count / months,
                has_service=has_service,
                median_s=float(np.median(finite)) if len(finite) else None,
                mean_s=float(finite.mean()) if len(finite) else None,
                # without start times a wait counts up to HANDLING_CAP_S, the most automating
                # the step is credited with (a 30-day wait is not time the step takes)
                hours_per_month=float(
                    (finite if has_service else np.minimum(finite, HANDLING_CAP_S)).mean()
                )
                * count
                / months
                / 3600
                if len(finite)
                else None,
                cv=_cv(basis),
                next_share=next_share,
                prev_share=prev_share,
                accuracy=accuracy,
                rule_attr=rule_attr,
                exception_rate=exceptions[act_id] / count,
                repeat_rate=repeats[act_id] / count,
                stalled_after=stalls[act_id],
                resources=int(resource_counts[act_id]),
                teams=team_total,
                main_team=log.team_names.get(int(np.argmax(per_team))) if team_total else None,
                stability_cv=stability_cv,
                system_share=by_systems[act_id] / count,
                instant_share=instants[act_id] / count,
                is_first=bool(starts_with[act_id]),
                always_first=openings[act_id] == count,
                type_share=type_share,
                main_type=main_type,
                same_unit_share=same_units[act_id] / count,
                case_handovers=float(np.median(case_handovers)),
                few_handovers=few_handovers,
                bottleneck_source=name in bottleneck_sources,
                waits_after=waits_after,
                successors=successor,
                mask=mask,
            )
        )
    return profiles


# --------------------------------------------------------------------------------------------
# Automation candidates


def _log_score(value: float | None, top: float) -> float:
    if value is None or top <= 0:
        return 0.0
    return float(min(1.0, math.log1p(max(value, 0.0)) / math.log1p(top)))


def _criteria(p: _Profile, weights: Weights, tops: dict[str, float]) -> tuple[Criterion, ...]:
    w = weights.as_dict()

    def make(name: str, value: float | None, score: float | None) -> Criterion:
        unit, definition = CRITERIA[name]
        if value is not None and not math.isfinite(value):
            value = None
        return Criterion(
            name=name,
            value=None if value is None else round(float(value), 4),
            unit=unit,
            score=round(float(score), 4) if score is not None and value is not None else 0.0,
            weight=float(w[name]) if value is not None else 0.0,
            definition=definition,
        )

    standard = (
        (p.next_share + p.prev_share) / 2
        if math.isfinite(p.next_share) and math.isfinite(p.prev_share)
        else None
    )
    resources_score = (
        1.0
        if p.resources <= 1
        else max(0.0, 1 - math.log(p.resources) / math.log(max(tops["resources"], 2)))
    )
    return (
        make("volume", p.per_month, _log_score(p.per_month, tops["per_month"])),
        make("time", p.hours_per_month, _log_score(p.hours_per_month, tops["hours"])),
        make("standardization", standard, standard),
        make("duration_uniformity", p.cv, math.exp(-1.5 * p.cv) if p.cv is not None else None),
        make("predictability", p.accuracy, p.accuracy),
        make("low_exceptions", p.exception_rate, max(0.0, 1 - 2 * p.exception_rate)),
        make("few_resources", float(p.resources) if p.resources else None, resources_score),
        make(
            "stability",
            p.stability_cv,
            max(0.0, 1 - p.stability_cv) if p.stability_cv is not None else None,
        ),
    )


def _score(criteria: tuple[Criterion, ...]) -> float:
    total = sum(c.weight for c in criteria)
    if total <= 0:
        return 0.0
    return round(sum(c.weight * c.score for c in criteria) / total, 4)


def _already_automated(p: _Profile, options: CandidateOptions) -> str | None:
    if p.name in options.automated_activities:
        return "flagged as automated in the settings"
    if p.system_share >= 0.9:
        return (
            f"performed by a system or robot resource in {p.system_share:.0%} of its executions "
            "(configurable list of system resource names)"
        )
    if p.has_service and p.cv is not None and p.count >= 20 and p.cv < MACHINE_CV:
        return f"machine-regular duration (coefficient of variation {p.cv:.3f} over {p.count} runs)"
    if not p.is_first and p.count >= 20 and p.instant_share >= INSTANT_SHARE:
        return (
            f"recorded within {INSTANT_S:.0f} s of the previous step in {p.instant_share:.0%} of "
            "its executions (system-triggered)"
        )
    return None


def _time_limit_rule(log: CaseLog, p: _Profile) -> TimeLimitRule | None:
    waits = p.waits_after
    if len(waits) < 5:
        return None
    months = log.months()
    remind = _round_time(float(np.quantile(waits, 0.8)))
    escalate = max(_round_time(float(np.quantile(waits, 0.95))), remind)
    onward = p.successors[(p.successors >= 0) & (p.successors != p.id)]
    successor, _share = _mode_share(onward if len(onward) else p.successors[p.successors >= 0])
    expected = log.activity_names.get(successor) if successor >= 0 else None
    # who usually does the expected next step right after this one: the team holding the
    # ticket where the log has teams, else the resource
    follows = p.mask[log.next_act[p.mask] == successor] + 1
    has_teams = bool((log.team >= 0).any())
    unit: Literal["team", "resource"] = "team" if has_teams else "resource"
    holders, names = (log.team, log.team_names) if has_teams else (log.resource, log.resource_names)
    held = holders[follows]
    held = held[held >= 0]
    team, share = None, None
    if len(held):
        holder, share = _mode_share(held)
        team = names.get(holder)
    caught = (int((waits > remind).sum()) + p.stalled_after) / months
    escalations = (int((waits > escalate).sum()) + p.stalled_after) / months
    return TimeLimitRule(
        after_activity=p.name,
        expected_activity=expected,
        remind_after_s=remind,
        escalate_after_s=escalate,
        remind_team=team,
        tickets_per_month_caught=round(caught, 2),
        escalations_per_month=round(escalations, 2),
        remind_unit=unit if team is not None else None,
        remind_share=round(share, 4) if team is not None and share is not None else None,
    )


def _round_time(seconds: float) -> float:
    """Whole days above three days, whole hours above an hour, whole minutes below (a rule
    people can state)."""
    if seconds >= 3 * DAY:
        return float(math.ceil(seconds / DAY) * DAY)
    if seconds >= 3600:
        return float(math.ceil(seconds / 3600) * 3600)
    return float(max(60, math.ceil(seconds / 60) * 60))


def _kind(p: _Profile, log: CaseLog, type_attr: str | None) -> AutomationKind:
    stalls = p.stalled_after >= max(3, 0.005 * p.count)
    if (stalls or p.bottleneck_source) and len(p.waits_after) >= 5:
        return "time_limit_rule"
    if (
        type_attr is not None
        and not p.is_first
        and math.isfinite(p.type_share)
        and p.type_share >= 0.8
        and p.cases >= 0.05 * log.cases
        and p.same_unit_share >= 0.8
        and p.case_handovers <= p.few_handovers
    ):
        return "self_service"
    return "system_integration"


def _judgement(p: _Profile, options: CandidateOptions, has_teams: bool) -> JudgementWork | None:
    """Judgement work: a step the evidence says is decided case by case (long, variable,
    unpredictable, exception-laden or spread over many teams), with the criteria values that
    decided it; None where it may be a system integration (fewer than
    `options.judgement_signals` signals)."""
    signals: list[tuple[str, str]] = []
    if p.has_service and p.cv is not None and p.cv >= options.judgement_cv:
        signals.append(
            ("variable_duration", f"service-time CV {p.cv:.2f} (>= {options.judgement_cv:g})")
        )
    if p.has_service and p.median_s is not None and p.median_s >= options.judgement_median_s:
        signals.append(
            (
                "long_service",
                f"median service time {_hours_text(p.median_s)} "
                f"(>= {_hours_text(options.judgement_median_s)})",
            )
        )
    if math.isfinite(p.accuracy) and p.accuracy < options.judgement_predictability:
        signals.append(
            (
                "unpredictable",
                f"next step predictable from the case attributes in {p.accuracy:.0%} "
                f"(< {options.judgement_predictability:.0%})",
            )
        )
    if p.exception_rate >= options.judgement_exceptions:
        signals.append(
            (
                "exceptions",
                f"{p.exception_rate:.0%} exceptions or rework "
                f"(>= {options.judgement_exceptions:.0%})",
            )
        )
    people = f"{p.resources} resource" + ("s" if p.resources != 1 else "")
    if has_teams and p.teams >= options.judgement_teams:
        signals.append(
            ("many_teams", f"done by {p.teams} teams (>= {options.judgement_teams}), {people}")
        )
    if len(signals) < max(1, options.judgement_signals):
        return None
    reason = "; ".join(text for _name, text in signals)
    if signals[-1][0] != "many_teams":
        reason += f"; done by {people}"
    reason += ". Judgement work, not a system integration or data interface."
    return JudgementWork(
        activity=p.name,
        executions=p.count,
        cases=p.cases,
        signals=tuple(name for name, _text in signals),
        reason=reason,
    )


SELF_SERVICE_SHARE = 0.5  # share of the simple requests assumed to move to self-service


def rank_automation(
    log: CaseLog,
    profiles: list[_Profile],
    options: CandidateOptions,
    type_attr: str | None,
) -> tuple[list[AutomationCandidate], list[AlreadyAutomated], list[TooRare], list[JudgementWork]]:
    """Automation candidates ranked by score, the activities left out as automated, those too
    rare to judge (below `options.min_executions` or `options.min_case_share`) and those whose
    evidence says judgement work (`_judgement`), listed and not proposed."""
    tops = {
        "per_month": max((p.per_month for p in profiles), default=1.0),
        "hours": max((p.hours_per_month or 0.0 for p in profiles), default=1.0),
        "resources": float(max((p.resources for p in profiles), default=1)),
    }
    automated: list[AlreadyAutomated] = []
    too_rare: list[TooRare] = []
    scored: list[tuple[float, float, _Profile, tuple[Criterion, ...]]] = []
    for p in profiles:
        reason = _already_automated(p, options)
        if reason is not None:
            automated.append(AlreadyAutomated(p.name, reason))
            continue
        if p.always_first:
            continue  # a case's opening event (the request arriving) is not a step to automate
        if p.count < options.min_executions or p.cases < options.min_case_share * log.cases:
            too_rare.append(TooRare(p.name, p.count, p.cases))
            continue
        criteria = _criteria(p, options.weights, tops)
        confidence = p.count / (p.count + VOLUME_PRIOR)
        scored.append((round(_score(criteria) * confidence, 4), confidence, p, criteria))
    # ties: the more frequent step first, then by name, so ids are stable across re-runs
    scored.sort(key=lambda item: (-item[0], -item[2].count, item[2].name))
    has_teams = bool((log.team >= 0).any())
    judgement: list[JudgementWork] = []
    proposed: list[tuple[float, float, _Profile, tuple[Criterion, ...], AutomationKind]] = []
    for score, confidence, p, criteria in scored:
        kind = _kind(p, log, type_attr)
        if kind == "time_limit_rule" and len(p.waits_after) < 5:
            kind = "system_integration"
        if kind == "system_integration":
            judged = _judgement(p, options, has_teams)
            if judged is not None:
                judgement.append(judged)
                continue
        proposed.append((score, confidence, p, criteria, kind))
    lead_before = float(log.lead_times().mean()) if log.cases else 0.0
    out: list[AutomationCandidate] = []
    for rank, (score, confidence, p, criteria, kind) in enumerate(proposed[: options.top], 1):
        rule = _time_limit_rule(log, p) if kind == "time_limit_rule" else None
        hours: float | None
        if kind == "time_limit_rule" and rule is not None:
            change = Change("cap_wait", (p.name,), threshold_s=rule.escalate_after_s)
            hours = 0.0  # a reminder shortens the wait, not the work
        elif kind == "self_service":
            change = Change("automate", (p.name,), _saves(p), share=SELF_SERVICE_SHARE)
            service = _service_hours(p)
            hours = None if service is None else SELF_SERVICE_SHARE * service
        else:
            change = Change("automate", (p.name,), _saves(p))
            hours = _service_hours(p)
        effect = replay(log, (change,))
        out.append(
            AutomationCandidate(
                id=f"A{rank:02d}",
                activity=p.name,
                score=score,
                kind=kind,
                executions_per_month=round(p.per_month, 2),
                median_duration_s=p.median_s,
                hours_saved_per_month=None if hours is None else round(hours, 2),
                lead_time_change_s=round(effect.mean_change_s, 1),
                criteria=criteria,
                rationale=_automation_rationale(
                    p, kind, rule, effect.mean_change_s, lead_before, hours
                ),
                rule=rule,
                change=change,
                executions=p.count,
                cases=p.cases,
                confidence=round(confidence, 4),
            )
        )
    automated.sort(key=lambda a: a.activity)
    too_rare.sort(key=lambda t: (-t.executions, t.activity))
    judgement.sort(key=lambda j: (-j.executions, j.activity))
    return out, automated, too_rare, judgement


def _saves(p: _Profile) -> float | None:
    """The most an automated execution saves: everything where the log shows the step's own
    service time; without start times at most `HANDLING_CAP_S`, as a longer wait before the
    step may be waiting for the customer or a deadline rather than for the step itself."""
    return None if p.has_service else HANDLING_CAP_S


def _service_hours(p: _Profile) -> float | None:
    """Hours of service time a month; None where the log has no start times for the step."""
    if not p.has_service or p.mean_s is None:
        return None
    return float(p.mean_s * p.per_month / 3600)


def _hours_text(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "n/a"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 120:
        return f"{sign}{seconds:.0f} s"
    if seconds < 7200:
        return f"{sign}{seconds / 60:.0f} min"
    if seconds < 3 * DAY:
        return f"{sign}{seconds / 3600:.1f} h"
    return f"{sign}{seconds / DAY:.1f} d"


def _rate_text(per_month: float) -> str:
    """Executions a month as people read them: no false "0" for a rare step."""
    if per_month >= 10:
        return f"{per_month:,.0f}"
    if per_month >= 1:
        return f"{per_month:.1f}"
    return f"{per_month:.2f}"


def _automation_rationale(
    p: _Profile,
    kind: str,
    rule: TimeLimitRule | None,
    change_s: float,
    lead_before: float,
    hours: float | None,
) -> str:
    basis = "service time" if p.has_service else "wait before it"
    runs = f"{p.name} runs {_rate_text(p.per_month)} times a month ({p.count:,} executions"
    facts = (
        f"{runs}; median {basis} {_hours_text(p.median_s)}, CV {p.cv:.2f}); "
        if p.cv is not None
        else f"{runs}); "
    )
    resources = f"{p.resources} resource" + ("s" if p.resources != 1 else "")
    teams = f" in {p.teams} team" + ("s" if p.teams != 1 else "") if p.teams else ""
    facts += (
        f"its next step is the same in {p.next_share:.0%} of executions"
        + (f" and follows from '{p.rule_attr}' in {p.accuracy:.0%}" if p.rule_attr else "")
        + f"; {p.exception_rate:.0%} exceptions or rework; done by {resources}{teams}. "
    )
    # deterministic: the same next step, or one the ticket's attributes decide
    deterministic = max(np.nan_to_num(p.next_share), np.nan_to_num(p.accuracy)) >= 0.8
    if kind == "time_limit_rule" and rule is not None:
        action = (
            "Tickets wait after it with a long tail"
            + (f" and {p.stalled_after:,} stalled there" if p.stalled_after else "")
            + f": a time-limit rule ({rule.describe()}) would have fired for "
            f"{_rate_text(rule.tickets_per_month_caught)} tickets a month. It shortens waiting, "
            "not work."
        )
    elif kind == "self_service":
        action = (
            f"Its tickets are mostly '{p.main_type}' ({p.type_share:.0%}) and resolved by the "
            f"first team: a self-service channel (IVR, SMS, app) could take about "
            f"{SELF_SERVICE_SHARE:.0%} of them."
        )
    elif p.has_service or p.median_s is None or p.median_s <= HANDLING_CAP_S:
        short = p.median_s is not None and p.median_s <= SHORT_S
        if short and deterministic:
            action = (
                "A short, deterministic step: a system integration or data interface can do it."
            )
        elif deterministic:
            took = (
                f"of a median {_hours_text(p.median_s)} of service time"
                if p.has_service
                else f"that comes a median {_hours_text(p.median_s)} after the previous one"
            )
            action = (
                f"A deterministic step {took}: a system integration or data interface can take "
                "over its rule-based part."
            )
        else:
            action = (
                f"Its next step varies (the same in {p.next_share:.0%}): a system integration or "
                "data interface can do it once its decisions are made rule-based."
            )
    else:
        action = (
            "A standardized step a system integration or data interface can do; it comes a "
            f"median {_hours_text(p.median_s)} after the previous step, which may be waiting for "
            "the customer or a deadline, so automating it is counted as saving at most "
            f"{_hours_text(HANDLING_CAP_S)} a run."
        )
    if kind != "time_limit_rule":
        action += (
            f" Effort saved: {hours:,.1f} h a month of service time."
            if hours is not None
            else " Effort saved: unknown, the log has no start times for this step."
        )
    effect = (
        f" Replayed on the log: mean lead time {_hours_text(change_s)} per case"
        + (f" ({signed_share(change_s / lead_before)})" if lead_before > 0 else "")
        + "."
    )
    return facts + action + effect
