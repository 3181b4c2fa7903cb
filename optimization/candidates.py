"""Automation and restructuring candidates of a stored mining run, with the evidence behind them.

`find_candidates` reads the run's stored findings (`run_*` tables: bottlenecks, rework loops,
ping-pong, break points, root causes, scorecard) and the events of the run's cases (under the
run's filter; nothing is mined again), scores every activity on the automation criteria, detects
the log evidence that triggers the redesign heuristics of Reijers & Limam Mansar (2005), and
replays every proposal on the real cases (`optimization.replay`) for its expected effect.
`store_candidates` / `candidates_for_run` keep a set beside its mining run.

Automation score: each criterion's value is mapped to 0..1 (1 = in favour of automating); the
score is the weighted mean of the criteria the log can tell (`Weights`, normalised).
Restructuring score: the share of the mean lead time per case the replayed change saves;
heuristics whose effect cannot be replayed (triage, case manager, knock-out order) score 0 and
rank after the replayed ones, by the share of cases behind them.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np

from mining import store
from mining.errors import InputError
from mining.results import read_section
from optimization.model import (
    AlreadyAutomated,
    AutomationCandidate,
    AutomationKind,
    CandidateOptions,
    CandidateSet,
    Change,
    Criterion,
    Evidence,
    RestructuringCandidate,
    RestructuringKind,
    TimeLimitRule,
    Weights,
)
from optimization.replay import CaseLog, load_cases, replay, run_query, run_row

__all__ = [
    "CHASE_WORDS",
    "CRITERIA",
    "candidates_for_run",
    "find_candidates",
    "store_candidates",
]

# criterion -> (unit, definition): shown beside every value.
CRITERIA: dict[str, tuple[str, str]] = {
    "volume": (
        "executions per month",
        "how often the step runs; score: log-scaled against the most frequent step",
    ),
    "time": (
        "hours per month",
        "time attached to the step each month: executions x mean service time where the log has "
        "start times, else x mean waiting time before it; score: log-scaled against the largest",
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
TYPE_NAMES = (
    "ticket_type",
    "type",
    "工单类型",
    "类型",
    "service_type",
    "request_type",
    "category",
    "product",
)
CHANNEL_NAMES = ("channel", "渠道", "来源", "source", "origin")
MACHINE_CV = 0.02  # durations this regular (with >= 20 runs) are a machine's
INSTANT_S = 1.0  # steps recorded within a second of the previous one ...
INSTANT_SHARE = 0.95  # ... this often are system-triggered
MAX_CASE_IDS = 1000
DAY = 86400.0


# --------------------------------------------------------------------------------------------
# Public API


def find_candidates(
    con: duckdb.DuckDBPyConnection, run_id: int, options: CandidateOptions | None = None
) -> CandidateSet:
    """Rank the automation and restructuring candidates of mining run `run_id`.

    >>> import tempfile, pathlib
    >>> from mining import store
    >>> from mining.ingest import ingest_file
    >>> from mining.run import mine_log, MiningOptions
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> rows = ["case,activity,time"] + [
    ...     f"{c},{a},2024-01-{1 + c % 20:02d} {h:02d}:00"
    ...     for c in range(30) for a, h in (("A", 8), ("B", 9), ("C", 12))]
    >>> _ = (folder / "t.csv").write_text("\\n".join(rows) + "\\n")
    >>> with store.connect(folder / "db.duckdb") as con:
    ...     _ = ingest_file(con, folder / "t.csv")
    ...     run = mine_log(con, "t", MiningOptions(conformance=False))
    ...     found = find_candidates(con, run.run_id)
    >>> sorted(c.activity for c in found.automation)
    ['B', 'C']
    """
    options = options or CandidateOptions()
    run = run_row(con, run_id)
    log = load_cases(con, run_id)
    sections = {
        name: read_section(con, run_id, name)
        for name in ("bottlenecks", "rework_loops", "pingpong", "breakpoints", "kpis")
    }
    sections["root_causes_lead_time"] = read_section(con, run_id, "root_causes_lead_time")
    type_attr = _pick_attribute(log, options.type_attribute, TYPE_NAMES)
    channel_attr = _pick_attribute(log, options.channel_attribute, CHANNEL_NAMES)
    profiles = _profiles(log, options, sections, type_attr)
    automation, automated = _automation(log, profiles, options, sections)
    restructuring = _restructuring(log, sections, type_attr, channel_attr)
    return CandidateSet(
        log_name=str(run["log_name"]),
        run_id=run_id,
        automation=tuple(automation[: options.top]),
        restructuring=tuple(restructuring[: options.top]),
        already_automated=tuple(automated),
        weights=options.weights,
    )


def store_candidates(
    con: duckdb.DuckDBPyConnection,
    found: CandidateSet,
    options: CandidateOptions | None = None,
    *,
    duration_s: float = 0.0,
) -> None:
    """Store `found` beside its mining run (replacing a set stored before for that run)."""
    options = options or CandidateOptions()
    run_id = found.run_id
    with store.transaction(con):
        for table in (
            "candidate_sets",
            "automation_candidates",
            "restructuring_candidates",
            "already_automated",
        ):
            con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
        run_query(
            con,
            "opt_insert_set",
            run_id=run_id,
            log_name=found.log_name,
            created_at=datetime.now(UTC).replace(tzinfo=None),
            weights=json.dumps(found.weights.as_dict()),
            options=json.dumps(_options_json(options), ensure_ascii=False),
            duration_s=duration_s,
        )
        for rank, a in enumerate(found.automation, 1):
            run_query(
                con,
                "opt_insert_automation",
                run_id=run_id,
                rank=rank,
                id=a.id,
                activity=a.activity,
                score=a.score,
                kind=a.kind,
                executions_per_month=a.executions_per_month,
                median_duration_s=a.median_duration_s,
                hours_saved_per_month=a.hours_saved_per_month,
                lead_time_change_s=a.lead_time_change_s,
                criteria=_json([c.as_dict() for c in a.criteria]),
                rationale=a.rationale,
                rule=_json(a.rule.as_dict()) if a.rule is not None else None,
                change=_json(a.change.as_dict()) if a.change is not None else None,
            )
        for rank, r in enumerate(found.restructuring, 1):
            run_query(
                con,
                "opt_insert_restructuring",
                run_id=run_id,
                rank=rank,
                id=r.id,
                kind=r.kind,
                activities=list(r.activities),
                cases=r.cases,
                score=r.score,
                lead_time_change_s=r.lead_time_change_s,
                evidence=_json([e.as_dict() for e in r.evidence]),
                rationale=r.rationale,
                case_ids=list(r.case_ids),
                change=_json(r.change.as_dict()) if r.change is not None else None,
            )
        for rank, x in enumerate(found.already_automated, 1):
            run_query(
                con,
                "opt_insert_already_automated",
                run_id=run_id,
                rank=rank,
                activity=x.activity,
                reason=x.reason,
            )


def candidates_for_run(con: duckdb.DuckDBPyConnection, run_id: int) -> CandidateSet | None:
    """The candidate set stored with mining run `run_id`, or None if there is none."""
    try:
        head = run_query(con, "opt_read_set", run_id=run_id).fetchall()
    except duckdb.CatalogException:
        return None  # a database written before candidates were stored (opened read-only)
    if not head:
        return None
    log_name, weights_json = head[0]
    automation = []
    for row in run_query(con, "opt_read_automation", run_id=run_id).fetchall():
        (cid, activity, score, kind, epm, median, hours, change_s, criteria, rationale) = row[:10]
        rule, change = row[10], row[11]
        automation.append(
            AutomationCandidate(
                id=cid,
                activity=activity,
                score=score,
                kind=kind,
                executions_per_month=epm,
                median_duration_s=median,
                hours_saved_per_month=hours,
                lead_time_change_s=change_s,
                criteria=tuple(Criterion(**c) for c in json.loads(criteria)),
                rationale=rationale,
                rule=_rule(json.loads(rule)) if rule else None,
                change=Change.from_dict(json.loads(change)) if change else None,
            )
        )
    restructuring = []
    for row in run_query(con, "opt_read_restructuring", run_id=run_id).fetchall():
        cid, kind, activities, cases, score, change_s, evidence, rationale, ids, change = row
        restructuring.append(
            RestructuringCandidate(
                id=cid,
                kind=kind,
                activities=tuple(activities),
                cases=int(cases),
                score=score,
                lead_time_change_s=change_s,
                evidence=tuple(Evidence(**e) for e in json.loads(evidence)),
                rationale=rationale,
                case_ids=tuple(ids),
                change=Change.from_dict(json.loads(change)) if change else None,
            )
        )
    automated = [
        AlreadyAutomated(activity, reason)
        for activity, reason in run_query(
            con, "opt_read_already_automated", run_id=run_id
        ).fetchall()
    ]
    return CandidateSet(
        log_name=log_name,
        run_id=run_id,
        automation=tuple(automation),
        restructuring=tuple(restructuring),
        already_automated=tuple(automated),
        weights=Weights(**json.loads(weights_json)),
    )


def compute_and_store(
    con: duckdb.DuckDBPyConnection, run_id: int, options: CandidateOptions | None = None
) -> CandidateSet:
    """`find_candidates` then `store_candidates`: what `servflow mine` runs after mining."""
    started = time.perf_counter()
    found = find_candidates(con, run_id, options)
    store_candidates(con, found, options, duration_s=time.perf_counter() - started)
    return found


# --------------------------------------------------------------------------------------------
# Storage helpers


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


def _rule(data: dict[str, Any]) -> TimeLimitRule:
    data = {k: v for k, v in data.items() if k != "text"}
    return TimeLimitRule(**data)


def _options_json(options: CandidateOptions) -> dict[str, Any]:
    return {
        "system_resources": list(options.system_resources),
        "automated_activities": list(options.automated_activities),
        "type_attribute": options.type_attribute,
        "channel_attribute": options.channel_attribute,
        "top": options.top,
    }


# --------------------------------------------------------------------------------------------
# Per-activity statistics


class _Profile:
    """Everything measured about one activity (plain attributes, internal)."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # for mypy: attributes are set in __init__
        raise AttributeError(name)


def _pick_attribute(log: CaseLog, given: str | None, names: Iterable[str]) -> str | None:
    if given:
        if given not in log.attributes:
            known = ", ".join(sorted(log.attributes)) or "none with few distinct values"
            raise InputError(
                f"Case attribute {given!r} is not in log {log.log_name!r} "
                f"(case attributes: {known})."
            )
        return given
    lowered = {k.lower(): k for k in log.attributes}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _matches(name: str, words: Iterable[str]) -> bool:
    low = name.lower()
    return any(w.lower() in low for w in words)


def _mode_share(values: np.ndarray) -> tuple[int, float]:
    if not len(values):
        return -1, math.nan
    keys, counts = np.unique(values, return_counts=True)
    i = int(np.argmax(counts))
    return int(keys[i]), float(counts[i] / counts.sum())


def _cv(values: np.ndarray) -> float | None:
    values = values[np.isfinite(values)]
    if len(values) < 5 or values.mean() <= 0:
        return None
    return float(values.std() / values.mean())


def _rule_accuracy(log: CaseLog, mask: np.ndarray, successor: np.ndarray) -> tuple[float, str]:
    """Best accuracy of 'if attribute = v then successor = mode' over the case attributes."""
    if not len(successor):
        return math.nan, ""
    best, best_attr = _mode_share(successor)[1], ""
    width = int(successor.max()) + 2  # successor -1 (case end) becomes 0
    cases = log.case[mask]
    for attribute, column in log.attributes.items():
        codes = column[cases] + 1  # -1 (missing) becomes its own value 0
        counts = np.bincount(codes * width + (successor + 1))
        groups = counts.reshape(-1, width) if len(counts) % width == 0 else None
        if groups is None:
            counts = np.concatenate((counts, np.zeros(width - len(counts) % width, dtype=int)))
            groups = counts.reshape(-1, width)
        accuracy = float(groups.max(axis=1).sum() / len(successor))
        if accuracy > best + 1e-9:
            best, best_attr = accuracy, attribute
    return best, best_attr


def _profiles(
    log: CaseLog,
    options: CandidateOptions,
    sections: dict[str, list[dict[str, Any]]],
    type_attr: str | None,
) -> list[_Profile]:
    months = log.months()
    n = len(log.act)
    chase_ids = [k for k, v in log.activity_names.items() if _matches(v, CHASE_WORDS)]
    escalation_ids = [k for k, v in log.activity_names.items() if _matches(v, ESCALATION_WORDS)]
    exception_next = np.isin(log.next_act, chase_ids + escalation_ids)
    # executions that repeat an activity already seen in the case
    order = np.lexsort((np.arange(n), log.act, log.case))
    sorted_pairs = np.stack([log.case[order], log.act[order]], axis=1)
    repeat_sorted = np.zeros(n, dtype=bool)
    if n > 1:
        repeat_sorted[1:] = np.all(sorted_pairs[1:] == sorted_pairs[:-1], axis=1)
    repeated = np.zeros(n, dtype=bool)
    repeated[order] = repeat_sorted
    is_last = np.zeros(n, dtype=bool)
    is_last[log.last] = True
    stalled_after = is_last & log.stalled[log.case]
    exception = repeated | exception_next | stalled_after
    wait_after = np.full(n, np.nan)
    if n > 1:
        wait_after[:-1] = log.wait_before[1:]
    wait_after[is_last] = np.nan
    month = np.floor((log.ts - log.ts.min()) / (30.44 * DAY)).astype(np.int64) if n else log.act
    month_total = np.bincount(month, minlength=int(month.max()) + 1 if n else 0)
    system_words = tuple(w.lower() for w in options.system_resources)
    system_res = {k for k, v in log.resource_names.items() if _matches(v, system_words)}
    system_team = {k for k, v in log.team_names.items() if _matches(v, system_words)}
    by_system = np.isin(log.resource, list(system_res)) | np.isin(log.team, list(system_team))
    first_act = set(int(a) for a in log.act[log.first])
    handover_unit = log.team if (log.team >= 0).any() else log.resource
    change_of_unit = np.zeros(n, dtype=bool)
    if n > 1:
        change_of_unit[1:] = handover_unit[1:] != handover_unit[:-1]
    change_of_unit[log.first] = False
    handovers_per_case = np.bincount(log.case, weights=change_of_unit, minlength=log.cases)
    few_handovers = float(np.quantile(handovers_per_case, 0.25)) if log.cases else 0.0
    first_unit = handover_unit[log.first][log.case]
    bottleneck_sources = {
        b["source"] for b in sections["bottlenecks"] if (b.get("delay_share") or 0) >= 0.1
    }

    profiles = []
    for act_id, name in log.activity_names.items():
        mask = log.act == act_id
        count = int(mask.sum())
        if not count:
            continue
        service = log.service[mask]
        has_service = bool(np.isfinite(service).sum() >= max(1, 0.5 * count))
        basis = service if has_service else log.wait_before[mask]
        finite = basis[np.isfinite(basis)]
        successor = log.next_act[mask]
        _next_mode, next_share = _mode_share(successor)
        _prev_mode, prev_share = _mode_share(log.prev_act[mask])
        accuracy, rule_attr = _rule_accuracy(log, mask, successor)
        shares = np.bincount(month[mask], minlength=len(month_total)) / np.maximum(month_total, 1)
        full = month_total >= 20
        stability_cv = (
            float(shares[full].std() / shares[full].mean())
            if full.sum() >= 2 and shares[full].mean() > 0
            else None
        )
        res = log.resource[mask]
        resources = np.unique(res[res >= 0])
        team_ids, team_n = np.unique(log.team[mask][log.team[mask] >= 0], return_counts=True)
        team_counts = Counter(dict(zip(team_ids.tolist(), team_n.tolist(), strict=True)))
        case_mask = np.zeros(log.cases, dtype=bool)
        case_mask[log.case[mask]] = True
        type_share, main_type = math.nan, None
        if type_attr is not None:
            values = log.attributes[type_attr][case_mask]
            values = values[values >= 0]
            if len(values):
                counts = np.bincount(values)
                main_type = log.attribute_values[type_attr][int(np.argmax(counts))]
                type_share = float(counts.max() / counts.sum())
        waits_after = wait_after[mask]
        waits_after = waits_after[np.isfinite(waits_after)]
        profiles.append(
            _Profile(
                id=act_id,
                name=name,
                count=count,
                cases=int(case_mask.sum()),
                per_month=count / months,
                has_service=has_service,
                median_s=float(np.median(finite)) if len(finite) else None,
                mean_s=float(finite.mean()) if len(finite) else None,
                hours_per_month=float(finite.mean()) * count / months / 3600
                if len(finite)
                else None,
                cv=_cv(basis),
                next_share=next_share,
                prev_share=prev_share,
                accuracy=accuracy,
                rule_attr=rule_attr,
                exception_rate=float(exception[mask].mean()),
                repeat_rate=float(repeated[mask].mean()),
                stalled_after=int(stalled_after[mask].sum()),
                resources=len(resources),
                teams=len(team_counts),
                main_team=log.team_names.get(team_counts.most_common(1)[0][0])
                if team_counts
                else None,
                stability_cv=stability_cv,
                system_share=float(by_system[mask].mean()),
                instant_share=float((log.segment[mask] <= INSTANT_S).mean()),
                is_first=act_id in first_act,
                always_first=bool((log.prev_act[mask] == -1).all()),
                type_share=type_share,
                main_type=main_type,
                same_unit_share=float((handover_unit[mask] == first_unit[mask]).mean()),
                case_handovers=float(np.median(handovers_per_case[case_mask])),
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
    # the team that usually does the expected next step right after this one
    follows = np.flatnonzero(p.mask & (log.next_act == successor)) + 1
    teams = Counter(int(t) for t in log.team[follows] if t >= 0)
    team = log.team_names.get(teams.most_common(1)[0][0]) if teams else None
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


SELF_SERVICE_SHARE = 0.5  # share of the simple requests assumed to move to self-service


def _automation(
    log: CaseLog,
    profiles: list[_Profile],
    options: CandidateOptions,
    sections: dict[str, list[dict[str, Any]]],
) -> tuple[list[AutomationCandidate], list[AlreadyAutomated]]:
    type_attr = _pick_attribute(log, options.type_attribute, TYPE_NAMES)
    tops = {
        "per_month": max((p.per_month for p in profiles), default=1.0),
        "hours": max((p.hours_per_month or 0.0 for p in profiles), default=1.0),
        "resources": float(max((p.resources for p in profiles), default=1)),
    }
    automated: list[AlreadyAutomated] = []
    scored: list[tuple[float, _Profile, tuple[Criterion, ...]]] = []
    for p in profiles:
        reason = _already_automated(p, options)
        if reason is not None:
            automated.append(AlreadyAutomated(p.name, reason))
            continue
        if p.always_first:
            continue  # a case's opening event (the request arriving) is not a step to automate
        criteria = _criteria(p, options.weights, tops)
        scored.append((_score(criteria), p, criteria))
    scored.sort(key=lambda item: (-item[0], item[1].name))
    lead_before = float(log.lead_times().mean()) if log.cases else 0.0
    out: list[AutomationCandidate] = []
    for rank, (score, p, criteria) in enumerate(scored[: options.top], 1):
        kind = _kind(p, log, type_attr)
        rule = _time_limit_rule(log, p) if kind == "time_limit_rule" else None
        if kind == "time_limit_rule" and rule is None:
            kind = "system_integration"
        if kind == "time_limit_rule" and rule is not None:
            change = Change("cap_wait", (p.name,), threshold_s=rule.escalate_after_s)
            hours = 0.0
        elif kind == "self_service":
            change = Change("automate", (p.name,), _saves(p), share=SELF_SERVICE_SHARE)
            hours = SELF_SERVICE_SHARE * _service_hours(p)
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
                hours_saved_per_month=round(hours, 2),
                lead_time_change_s=round(effect.mean_change_s, 1),
                criteria=criteria,
                rationale=_automation_rationale(p, kind, rule, effect.mean_change_s, lead_before),
                rule=rule,
                change=change,
            )
        )
    automated.sort(key=lambda a: a.activity)
    return out, automated


HANDLING_CAP_S = 3600.0  # without start times, automating a step saves at most this per run


def _saves(p: _Profile) -> float | None:
    """The most an automated execution saves: everything where the log shows the step's own
    service time; without start times at most `HANDLING_CAP_S`, as a longer wait before the
    step may be waiting for the customer or a deadline rather than for the step itself."""
    return None if p.has_service else HANDLING_CAP_S


def _service_hours(p: _Profile) -> float:
    if not p.has_service or p.mean_s is None:
        return 0.0
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


def _automation_rationale(
    p: _Profile, kind: str, rule: TimeLimitRule | None, change_s: float, lead_before: float
) -> str:
    basis = "service time" if p.has_service else "wait before it"
    facts = (
        f"{p.name} runs {p.per_month:,.0f} times a month (median {basis} "
        f"{_hours_text(p.median_s)}, CV {p.cv:.2f}); "
        if p.cv is not None
        else f"{p.name} runs {p.per_month:,.0f} times a month; "
    )
    facts += (
        f"its next step is the same in {p.next_share:.0%} of executions"
        + (f" and follows from '{p.rule_attr}' in {p.accuracy:.0%}" if p.rule_attr else "")
        + f"; {p.exception_rate:.0%} exceptions or rework; done by {p.resources} resources"
        + (f" in {p.teams} team(s)" if p.teams else "")
        + ". "
    )
    if kind == "time_limit_rule" and rule is not None:
        action = (
            "Tickets wait after it with a long tail"
            + (f" and {p.stalled_after} stalled there" if p.stalled_after else "")
            + f": a time-limit rule ({rule.describe()}) would have fired for "
            f"{rule.tickets_per_month_caught:,.0f} tickets a month."
        )
    elif kind == "self_service":
        action = (
            f"Its tickets are mostly '{p.main_type}' ({p.type_share:.0%}) and resolved by the "
            f"first team: a self-service channel (IVR, SMS, app) could take about "
            f"{SELF_SERVICE_SHARE:.0%} of them."
        )
    elif p.median_s is not None and p.median_s <= HANDLING_CAP_S:
        action = (
            "A short, deterministic step right after the previous one: a system integration or "
            "data interface can do it."
        )
    else:
        action = (
            "A standardized step a system integration or data interface can do; it comes a "
            f"median {_hours_text(p.median_s)} after the previous step, which may be waiting for "
            "the customer or a deadline, so automating it is counted as saving at most "
            f"{_hours_text(HANDLING_CAP_S)} a run."
        )
    effect = (
        f" Replayed on the log: mean lead time {_hours_text(change_s)} per case"
        + (f" ({change_s / lead_before:+.1%})" if lead_before > 0 else "")
        + "."
    )
    return facts + action + effect


# --------------------------------------------------------------------------------------------
# Restructuring candidates


def _restructuring(
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
        keys = np.unique(log.case[unit >= 0] * (int(unit.max()) + 1) + unit[unit >= 0])
        teams_per_case = np.bincount(keys // (int(unit.max()) + 1), minlength=log.cases)
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
        hit[log.case[log.act == act]] = True
        if hit.sum() < min_cases:
            continue
        name = log.activity_names[act]
        fcr = next((k for k in sections["kpis"] if k["name"] == "first_contact_resolution"), None)
        evidence = [Evidence("cases with a chase", int(hit.sum()), "cases")]
        if fcr and fcr.get("value") is not None:
            evidence.append(Evidence("first-contact resolution", fcr["value"], "share"))
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
        threshold = float(b["threshold_s"] or 0.0)
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
        edge = (log.prev_act == src) & (log.act == dst)
        waits = np.nan_to_num(log.wait_before[edge])
        if len(waits) < 5:
            continue
        cap = _round_time(float(np.quantile(waits, 0.9)))
        over = edge & (np.nan_to_num(log.wait_before) > cap)
        hit = np.zeros(log.cases, dtype=bool)
        hit[log.case[over]] = True
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
        key = d["change"] if d["change"] is not None else (d["kind"], d["activities"])
        if key in seen:
            continue  # the same change found by two detections: the first one tells it
        seen.add(key)
        if d["change"] is not None:
            change_s = replay(log, (d["change"],)).mean_change_s
            score = max(0.0, -change_s / lead_mean) if lead_mean > 0 else 0.0
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
            + (f" ({change_s / lead_mean:+.1%})" if lead_mean > 0 else "")
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


def _cases_with_self_loop(log: CaseLog, act: int) -> np.ndarray:
    hit = np.zeros(log.cases, dtype=bool)
    hit[log.case[(log.act == act) & (log.prev_act == act)]] = True
    return hit


def _cases_with_repeat(log: CaseLog, act: int) -> np.ndarray:
    counts = np.bincount(log.case[log.act == act], minlength=log.cases)
    return counts >= 2


def _cases_with_pingpong(log: CaseLog, a: int, b: int) -> np.ndarray:
    """Cases with a -> b -> a or b -> a -> b in three consecutive events."""
    hit = np.zeros(log.cases, dtype=bool)
    if len(log.act) < 3:
        return hit
    x, y, z = log.act[:-2], log.act[1:-1], log.act[2:]
    same = (log.case[:-2] == log.case[2:]) & (x == z) & (x != y)
    pattern = same & (((x == a) & (y == b)) | ((x == b) & (y == a)))
    hit[log.case[:-2][pattern]] = True
    return hit


def _parallel_drafts(log: CaseLog, min_cases: int) -> list[dict[str, Any]]:
    n = len(log.act)
    if n < 2:
        return []
    pairs = (log.prev_act >= 0) & (log.prev_act != log.act)
    keys = log.prev_act[pairs] * (max(log.activity_names, default=0) + 1) + log.act[pairs]
    uniq, counts = np.unique(keys, return_counts=True)
    count = dict(zip(uniq.tolist(), counts.tolist(), strict=True))
    width = max(log.activity_names, default=0) + 1
    out = []
    seen: set[tuple[int, int]] = set()
    for key, ab in count.items():
        a, b = divmod(int(key), width)
        ba = count.get(b * width + a, 0)
        if (b, a) in seen or min(ab, ba) < min_cases or min(ab, ba) < 0.1 * (ab + ba):
            continue
        seen.add((a, b))
        edge = ((log.prev_act == a) & (log.act == b)) | ((log.prev_act == b) & (log.act == a))
        waits = np.nan_to_num(log.wait_before[edge])
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
    end_act = log.act[log.last]
    main_end, _share = _mode_share(end_act)
    positions = np.arange(len(log.act)) - log.first[log.case]
    length = (log.last - log.first + 1)[log.case]
    relative = np.where(length > 1, positions / np.maximum(length - 1, 1), 0.0)
    out = []
    for act, name in log.activity_names.items():
        if act == main_end:
            continue
        mask = log.act == act
        executions = int(mask.sum())
        ends_here = (end_act == act) & ~log.stalled
        ended = int(ends_here.sum())
        if ended < min_cases or executions < 2 * min_cases:
            continue
        end_share = ended / executions
        position = float(relative[mask].mean())
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


def with_weights(options: CandidateOptions | None, **weights: float) -> CandidateOptions:
    """`options` with some criterion weights replaced (e.g. volume=3)."""
    options = options or CandidateOptions()
    return replace(options, weights=replace(options.weights, **weights))
