"""Automation and restructuring candidates of a stored mining run, with the evidence behind them.

`find_candidates` reads the run's stored findings (`run_*` tables: bottlenecks, rework loops,
ping-pong, break points, scorecard) and the events of the run's cases (under the run's filter;
nothing is mined again), scores every activity on the automation criteria, detects the log
evidence that triggers the redesign heuristics of Reijers & Limam Mansar (2005), and replays
every proposal on the real cases (`optimization.replay`) for its expected effect.
`store_candidates` / `candidates_for_run` keep a set beside its mining run.
`optimization.mining_candidates.MiningCandidates` finds the same set while the run is mined.

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
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import duckdb

from mining import store
from mining.errors import InputError
from mining.results import read_section
from optimization.automation import CRITERIA, profile_activities, rank_automation
from optimization.mining_candidates import SECTIONS_READ
from optimization.model import (
    AlreadyAutomated,
    AutomationCandidate,
    CandidateOptions,
    CandidateSet,
    Change,
    Criterion,
    Evidence,
    JudgementWork,
    RestructuringCandidate,
    TimeLimitRule,
    TooRare,
    Weights,
)
from optimization.replay import CaseLog, load_cases, run_query, run_row
from optimization.restructuring import find_restructuring

__all__ = [
    "CRITERIA",
    "candidates_for_run",
    "compute_and_store",
    "find_candidates",
    "flag_automated",
    "flagged_automated",
    "store_candidates",
]

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


# --------------------------------------------------------------------------------------------
# Public API


def find_candidates(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    options: CandidateOptions | None = None,
    *,
    cases: CaseLog | None = None,
) -> CandidateSet:
    """Rank the automation and restructuring candidates of mining run `run_id`.

    `cases`: the run's events as `optimization.replay.load_cases(con, run_id)` reads them (with
    the case attributes), when the caller holds them already (e.g. to replay what-ifs next).

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
    if cases is not None and cases.run_id != run_id:
        raise InputError(f"The cases given belong to run {cases.run_id}, not {run_id}.")
    log = cases if cases is not None else load_cases(con, run_id)
    sections = {name: read_section(con, run_id, name) for name in SECTIONS_READ}
    flagged = flagged_automated(con, log.log_id)
    return _rank(log, sections, options, flagged, str(run["log_name"]), run_id)


def _rank(
    log: CaseLog,
    sections: dict[str, list[dict[str, Any]]],
    options: CandidateOptions,
    flagged: tuple[str, ...],
    log_name: str,
    run_id: int,
) -> CandidateSet:
    ranked = rank_automation_part(log, sections, options, flagged)
    return complete_candidate_set(ranked, log, sections, log_name, run_id)


@dataclass(frozen=True)
class AutomationPart:
    """The automation half of a candidate set, ranked before the restructuring half (it reads
    only the bottlenecks of the run's findings). `rank_automation_part` then
    `complete_candidate_set` is `find_candidates` on findings and events already read."""

    options: CandidateOptions  # with the flagged activities among the automated ones
    type_attr: str | None
    channel_attr: str | None
    automation: list[AutomationCandidate]
    automated: list[AlreadyAutomated]
    too_rare: list[TooRare]
    judgement: list[JudgementWork]


def rank_automation_part(
    log: CaseLog,
    sections: dict[str, list[dict[str, Any]]],
    options: CandidateOptions,
    flagged: tuple[str, ...],
) -> AutomationPart:
    if flagged:
        options = replace(
            options,
            automated_activities=tuple(dict.fromkeys((*options.automated_activities, *flagged))),
        )
    type_attr = _pick_attribute(log, options.type_attribute, TYPE_NAMES)
    channel_attr = _pick_attribute(log, options.channel_attribute, CHANNEL_NAMES)
    profiles = profile_activities(log, options, sections, type_attr)
    automation, automated, too_rare, judgement = rank_automation(log, profiles, options, type_attr)
    return AutomationPart(
        options, type_attr, channel_attr, automation, automated, too_rare, judgement
    )


def complete_candidate_set(
    ranked: AutomationPart,
    log: CaseLog,
    sections: dict[str, list[dict[str, Any]]],
    log_name: str,
    run_id: int,
) -> CandidateSet:
    restructuring = find_restructuring(log, sections, ranked.type_attr, ranked.channel_attr)
    return CandidateSet(
        log_name=log_name,
        run_id=run_id,
        automation=tuple(ranked.automation[: ranked.options.top]),
        restructuring=tuple(restructuring[: ranked.options.top]),
        already_automated=tuple(ranked.automated),
        weights=ranked.options.weights,
        too_rare=tuple(ranked.too_rare),
        judgement=tuple(ranked.judgement),
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
            "automation_support",
            "judgement_work",
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
        automation = found.automation
        _insert_rows(
            con,
            "opt_insert_automation",
            run_id,
            rank=list(range(1, len(automation) + 1)),
            id=[a.id for a in automation],
            activity=[a.activity for a in automation],
            score=[a.score for a in automation],
            kind=[a.kind for a in automation],
            executions_per_month=[a.executions_per_month for a in automation],
            median_duration_s=[a.median_duration_s for a in automation],
            hours_saved_per_month=[
                math.nan if a.hours_saved_per_month is None else a.hours_saved_per_month
                for a in automation
            ],
            lead_time_change_s=[a.lead_time_change_s for a in automation],
            criteria=[_json([c.as_dict() for c in a.criteria]) for a in automation],
            rationale=[a.rationale for a in automation],
            rule=[_json(a.rule.as_dict()) if a.rule is not None else None for a in automation],
            change=[
                _json(a.change.as_dict()) if a.change is not None else None for a in automation
            ],
        )
        restructuring = found.restructuring
        _insert_rows(
            con,
            "opt_insert_restructuring",
            run_id,
            rank=list(range(1, len(restructuring) + 1)),
            id=[r.id for r in restructuring],
            kind=[r.kind for r in restructuring],
            activities=[list(r.activities) for r in restructuring],
            cases=[r.cases for r in restructuring],
            score=[r.score for r in restructuring],
            lead_time_change_s=[r.lead_time_change_s for r in restructuring],
            evidence=[_json([e.as_dict() for e in r.evidence]) for r in restructuring],
            rationale=[r.rationale for r in restructuring],
            case_ids=[list(r.case_ids) for r in restructuring],
            change=[
                _json(r.change.as_dict()) if r.change is not None else None for r in restructuring
            ],
        )
        automated = found.already_automated
        _insert_rows(
            con,
            "opt_insert_already_automated",
            run_id,
            rank=list(range(1, len(automated) + 1)),
            activity=[x.activity for x in automated],
            reason=[x.reason for x in automated],
        )
        # the proposed activities' support (rank 0), then the too-rare ones in their order
        supported = [a for a in automation if a.executions is not None]
        _insert_rows(
            con,
            "opt_insert_support",
            run_id,
            activity=[a.activity for a in supported] + [t.activity for t in found.too_rare],
            executions=[a.executions for a in supported] + [t.executions for t in found.too_rare],
            cases=[a.cases or 0 for a in supported] + [t.cases for t in found.too_rare],
            confidence=[a.confidence for a in supported] + [None for _t in found.too_rare],
            too_rare=[False for _a in supported] + [True for _t in found.too_rare],
            rank=[0 for _a in supported] + list(range(1, len(found.too_rare) + 1)),
        )
        judgement = found.judgement
        _insert_rows(
            con,
            "opt_insert_judgement",
            run_id,
            rank=list(range(1, len(judgement) + 1)),
            activity=[j.activity for j in judgement],
            executions=[j.executions for j in judgement],
            cases=[j.cases for j in judgement],
            signals=[list(j.signals) for j in judgement],
            reason=[j.reason for j in judgement],
        )


def _insert_rows(
    con: duckdb.DuckDBPyConnection, name: str, run_id: int, **columns: list[Any]
) -> None:
    """One INSERT of `optimization/sql/<name>.sql` for all rows (a list per column)."""
    if next(iter(columns.values())):
        run_query(con, name, run_id=run_id, **columns)


def candidates_for_run(con: duckdb.DuckDBPyConnection, run_id: int) -> CandidateSet | None:
    """The candidate set stored with mining run `run_id`, or None if there is none."""
    try:
        head = run_query(con, "opt_read_set", run_id=run_id).fetchall()
    except duckdb.CatalogException:
        return None  # a database written before candidates were stored (opened read-only)
    if not head:
        return None
    log_name, weights_json = head[0]
    support = _support(con, run_id)
    automation = []
    for row in run_query(con, "opt_read_automation", run_id=run_id).fetchall():
        (cid, activity, score, kind, epm, median, hours, change_s, criteria, rationale) = row[:10]
        rule, change = row[10], row[11]
        executions, cases, confidence = support.get(activity, (None, None, None))
        automation.append(
            AutomationCandidate(
                id=cid,
                activity=activity,
                score=score,
                kind=kind,
                executions_per_month=epm,
                median_duration_s=median,
                hours_saved_per_month=None if hours is None or math.isnan(hours) else hours,
                lead_time_change_s=change_s,
                criteria=tuple(Criterion(**c) for c in json.loads(criteria)),
                rationale=rationale,
                rule=_rule(json.loads(rule)) if rule else None,
                change=Change.from_dict(json.loads(change)) if change else None,
                executions=executions,
                cases=cases,
                confidence=confidence,
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
        too_rare=_too_rare(con, run_id),
        judgement=_judgement_work(con, run_id),
    )


def flag_automated(con: duckdb.DuckDBPyConnection, log_name: str, activity: str) -> None:
    """Flag `activity` of `log_name` as already automated: no later ranking proposes it."""
    log_id = store.log_id_for(con, log_name)
    known = store.one(
        con, "SELECT count(*) FROM activities WHERE log_id = ? AND name = ?", [log_id, activity]
    )
    if not known or not known[0]:
        raise InputError(
            f"Log {log_name!r} has no activity {activity!r}; the activity names are listed by "
            f"`servflow report {log_name}`."
        )
    run_query(
        con,
        "opt_flag_automated",
        log_id=log_id,
        activity=activity,
        flagged_at=datetime.now(UTC).replace(tzinfo=None),
    )


def flagged_automated(con: duckdb.DuckDBPyConnection, log_id: int) -> tuple[str, ...]:
    """The activities of log `log_id` flagged as already automated."""
    try:
        rows = run_query(con, "opt_read_flags", log_id=log_id).fetchall()
    except duckdb.CatalogException:
        return ()  # a database written before flags were stored (opened read-only)
    return tuple(str(r[0]) for r in rows)


def compute_and_store(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    options: CandidateOptions | None = None,
    *,
    cases: CaseLog | None = None,
) -> CandidateSet:
    """`find_candidates` then `store_candidates`: what `servflow mine` runs after mining."""
    started = time.perf_counter()
    found = find_candidates(con, run_id, options, cases=cases)
    store_candidates(con, found, options, duration_s=time.perf_counter() - started)
    return found


# --------------------------------------------------------------------------------------------
# Storage helpers


def _support_rows(con: duckdb.DuckDBPyConnection, run_id: int) -> list[tuple[Any, ...]]:
    try:
        return list(run_query(con, "opt_read_support", run_id=run_id).fetchall())
    except duckdb.CatalogException:
        return []  # a database written before the support was stored (opened read-only)


def _support(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, tuple[int, int, float]]:
    """Activity -> (executions, cases, volume confidence) of the proposed activities."""
    return {
        str(activity): (int(executions), int(cases), float(confidence))
        for activity, executions, cases, confidence, too_rare in _support_rows(con, run_id)
        if not too_rare
    }


def _too_rare(con: duckdb.DuckDBPyConnection, run_id: int) -> tuple[TooRare, ...]:
    return tuple(
        TooRare(str(activity), int(executions), int(cases))
        for activity, executions, cases, _confidence, too_rare in _support_rows(con, run_id)
        if too_rare
    )


def _judgement_work(con: duckdb.DuckDBPyConnection, run_id: int) -> tuple[JudgementWork, ...]:
    try:
        rows = run_query(con, "opt_read_judgement", run_id=run_id).fetchall()
    except duckdb.CatalogException:
        return ()  # a database written before judgement work was stored (opened read-only)
    return tuple(
        JudgementWork(str(activity), int(executions), int(cases), tuple(signals), str(reason))
        for activity, executions, cases, signals, reason in rows
    )


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
        "min_executions": options.min_executions,
        "min_case_share": options.min_case_share,
    }


# --------------------------------------------------------------------------------------------
# Settings


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
