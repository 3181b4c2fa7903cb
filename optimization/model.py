"""Typed results of the optimization step: candidates, their evidence, and what-if estimates.

These frozen dataclasses are the contract between `optimization` (which computes them from a
stored mining run), the CLI (`servflow candidates`, `servflow whatif`), the dashboard and the
audit exports. `as_dict()` gives the JSON-ready shape the CLI prints.

>>> c = Criterion("volume", 120.0, "executions per month", 0.8, 2.0, "how often the step runs")
>>> c.as_dict()["score"]
0.8
>>> Stats.of([1.0, 2.0, 3.0, 4.0]).median
2.5
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "AUTOMATION_KINDS",
    "RESTRUCTURING_KINDS",
    "AlreadyAutomated",
    "AutomationCandidate",
    "AutomationKind",
    "CandidateOptions",
    "CandidateSet",
    "Change",
    "ChangeKind",
    "Criterion",
    "Evidence",
    "JudgementWork",
    "RestructuringCandidate",
    "RestructuringKind",
    "Stats",
    "TimeLimitRule",
    "TooRare",
    "Weights",
    "WhatIfResult",
    "signed_share",
]

AutomationKind = Literal["system_integration", "time_limit_rule", "self_service"]
RestructuringKind = Literal[
    "task_elimination",
    "contact_reduction",
    "fewer_handovers",
    "triage",
    "parallelism",
    "resequencing",
    "time_limits",
]

ChangeKind = Literal[
    "collapse_loop",  # a loop back to the activity: its path is walked once
    "drop_repeats",  # a self-loop: the activity's direct repetitions disappear
    "collapse_pingpong",  # X-Y-X(-Y-X...) bouncing between two activities: X once, no bounce
    "drop_events",  # the activity's events disappear (customer chases, repeat contacts)
    "automate",  # the step runs by itself right after its predecessor
    "cap_wait",  # escalate waits after `activities` (to `target`) at `threshold_s`
    "resume_stalled",  # tickets stalled after `activities` are escalated at `threshold_s`
    "parallel",  # `activities[0]` and `target` run side by side where one follows the other
]

# kind -> (English name, Chinese name): what the dashboard and the exports show.
AUTOMATION_KINDS: dict[str, tuple[str, str]] = {
    "system_integration": ("System integration / data interface", "系统对接/数据接口"),
    "time_limit_rule": (
        "Time limit, reminder, escalation and chasing rule",
        "时限、提醒、升级、催促规则",
    ),
    "self_service": ("Self-service channel shift (IVR, SMS, app)", "自助渠道分流(IVR、短信、APP)"),
}
# kind -> (redesign heuristic of Reijers & Limam Mansar (2005), Chinese name)
RESTRUCTURING_KINDS: dict[str, tuple[str, str]] = {
    "task_elimination": ("Task elimination", "消除返工环节"),
    "contact_reduction": ("Contact reduction", "减少客户接触"),
    "fewer_handovers": ("Fewer hand-overs / case manager / empower", "减少交接/专人负责/前台授权"),
    "triage": ("Triage", "按类型分流"),
    "parallelism": ("Parallelism", "并行处理"),
    "resequencing": ("Resequencing / knock-out order", "调整顺序/前置否决检查"),
    "time_limits": ("Time limits and escalation", "时限与升级"),
}


def _plain(value: Any) -> Any:
    """JSON-ready copy: dataclasses to dicts, tuples to lists, NaN to None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True, slots=True)
class Change:
    """A change to the process that the what-if replay applies to every case.

    `share` is the part of the matching executions the change reaches (1 = all of them; a
    self-service shift reaches only some tickets). `threshold_s` is the escalation time of
    `cap_wait` / `resume_stalled`, and for `automate` the most an automated execution saves
    (None: all of its wait and service time).
    """

    kind: ChangeKind
    activities: tuple[str, ...]
    threshold_s: float | None = None
    target: str | None = None
    share: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        return dict(_plain(self))

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Change:
        return Change(
            kind=data["kind"],
            activities=tuple(data["activities"]),
            threshold_s=data.get("threshold_s"),
            target=data.get("target"),
            share=float(data.get("share", 1.0)),
        )


@dataclass(frozen=True, slots=True)
class Criterion:
    """One scoring criterion of an automation candidate, shown with its raw value.

    `value` is in `unit` (None: the log cannot tell); `score` is the value mapped to 0..1
    (1 = most in favour of automating); the candidate's score is the weighted mean of the scores.
    """

    name: str
    value: float | None
    unit: str
    score: float
    weight: float
    definition: str

    def as_dict(self) -> dict[str, Any]:
        return dict(_plain(self))


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact from the log behind a candidate, e.g. ("cases with the loop", 412, "cases")."""

    name: str
    value: float | str | None
    unit: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(_plain(self))


# A rule names who usually does the expected step; below SOLE_HOLDER_SHARE of those tickets
# with the share, below MAIN_HOLDER_SHARE as the most common of many holders.
SOLE_HOLDER_SHARE = 0.95
MAIN_HOLDER_SHARE = 0.5
NO_START_TIMES = "unknown, the log has no start times for this step (no service times to measure)"


def signed_share(share: float) -> str:
    """A signed percentage with two significant digits below 1% (one decimal from 1% on), so a
    small change never reads as "-0.0%".

    >>> signed_share(-0.2671), signed_share(-0.0099), signed_share(-0.00043), signed_share(-2e-5)
    ('-26.7%', '-0.99%', '-0.043%', '-0.0020%')
    """
    if not math.isfinite(share):
        return "n/a"
    percent = share * 100
    if percent == 0:
        return "+0.0%"
    decimals = min(4, max(1, 1 - math.floor(math.log10(abs(percent)))))
    return f"{percent:+.{decimals}f}%"


def _span(seconds: float) -> str:
    """A rule's time as people state it: days from three days on, else hours or minutes."""
    if seconds >= 3 * 86400:
        return f"{seconds / 86400:.0f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 60:.0f} min"


@dataclass(frozen=True, slots=True)
class TimeLimitRule:
    """A time-limit / reminder / escalation rule (时限、提醒、升级、催促) learned from normal waits.

    "After `after_activity`, if no `expected_activity` within `remind_after_s`, remind
    `remind_team`; escalate at `escalate_after_s`." `remind_team` is who usually does the
    expected step after this one: a team (org:group) where the log has teams (`remind_unit`
    "team"), else a resource ("resource"); `remind_share` is the share of those executions it
    does. `tickets_per_month_caught` is how many tickets a month the reminder would have fired
    for in the log, `escalations_per_month` the same for the escalation.
    """

    after_activity: str
    expected_activity: str | None
    remind_after_s: float
    escalate_after_s: float
    remind_team: str | None
    tickets_per_month_caught: float
    escalations_per_month: float
    remind_unit: Literal["team", "resource"] | None = None
    remind_share: float | None = None

    def describe(self) -> str:
        target = self.expected_activity or "any next step"
        unit = self.remind_unit or "team"
        share = self.remind_share
        if self.remind_team is None:
            team = "the ticket's holder (the log names none)"
        elif share is not None and share < MAIN_HOLDER_SHARE:
            team = f"the {unit} holding the ticket (most often {self.remind_team}, {share:.0%})"
        elif share is not None and share < SOLE_HOLDER_SHARE:
            team = f"{unit} {self.remind_team} (holds {share:.0%} of these tickets)"
        else:
            team = f"{unit} {self.remind_team}"
        escalate = (
            " and escalate"  # the normal waits do not tell the two apart
            if _span(self.escalate_after_s) == _span(self.remind_after_s)
            else f"; escalate at {_span(self.escalate_after_s)}"
        )
        return (
            f"after {self.after_activity}, if no {target} within {_span(self.remind_after_s)}, "
            f"remind {team}{escalate}"
        )

    def as_dict(self) -> dict[str, Any]:
        return dict(_plain(self)) | {"text": self.describe()}


@dataclass(frozen=True, slots=True)
class AutomationCandidate:
    """An activity proposed for automation, with the criteria behind its score.

    `lead_time_change_s` is the expected change of the mean lead time per case (negative =
    shorter); `hours_saved_per_month` the expected effort saved, None where the log cannot
    measure it (no start times, so no service times): `hours_saved_reason` says why, and also
    why a time-limit rule saves none. `executions` is how often the step ran in the run's cases,
    `cases` in how many of them, and `confidence` the volume factor n / (n + 10) already
    applied to `score`.
    """

    id: str
    activity: str
    score: float
    kind: AutomationKind
    executions_per_month: float
    median_duration_s: float | None
    hours_saved_per_month: float | None
    lead_time_change_s: float
    criteria: tuple[Criterion, ...]
    rationale: str
    rule: TimeLimitRule | None = None
    change: Change | None = None  # what the what-if replays
    executions: int | None = None
    cases: int | None = None
    confidence: float | None = None

    @property
    def hours_saved_reason(self) -> str | None:
        """Why `hours_saved_per_month` is unknown or zero; None when it is measured."""
        if self.kind == "time_limit_rule":
            return "a time-limit rule shortens waiting, not work"
        if self.hours_saved_per_month is None:
            return NO_START_TIMES
        return None

    def as_dict(self) -> dict[str, Any]:
        data = dict(_plain(self))
        data["rule"] = self.rule.as_dict() if self.rule is not None else None
        data["hours_saved_reason"] = self.hours_saved_reason
        return data


@dataclass(frozen=True, slots=True)
class TooRare:
    """An activity that ran too seldom for its criteria to mean anything: listed, not scored."""

    activity: str
    executions: int
    cases: int

    def as_dict(self) -> dict[str, Any]:
        return dict(_plain(self))


@dataclass(frozen=True, slots=True)
class JudgementWork:
    """An activity whose evidence says judgement (long, variable, unpredictable work): listed
    with the criteria values that decided it, never proposed as a system integration.

    `signals` names the judgement criteria it met (`variable_duration`, `long_service`,
    `unpredictable`, `exceptions`, `many_teams`); `reason` states them with their values."""

    activity: str
    executions: int
    cases: int
    signals: tuple[str, ...]
    reason: str

    def as_dict(self) -> dict[str, Any]:
        data = dict(_plain(self))
        data["signals"] = list(self.signals)
        return data


@dataclass(frozen=True, slots=True)
class AlreadyAutomated:
    """An activity left out of the proposals because it is already automated, and why."""

    activity: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return dict(_plain(self))


@dataclass(frozen=True, slots=True)
class RestructuringCandidate:
    """A redesign proposal triggered by log evidence (a Reijers & Limam Mansar heuristic).

    `cases` counts the cases behind it; `case_ids` holds some of them (the first ones, for a
    drill-down); `lead_time_change_s` is the expected change of the mean lead time per case over
    all cases, from the what-if replay.
    """

    id: str
    kind: RestructuringKind
    activities: tuple[str, ...]
    cases: int
    score: float
    lead_time_change_s: float
    evidence: tuple[Evidence, ...]
    rationale: str
    case_ids: tuple[str, ...] = ()
    change: Change | None = None  # what the what-if replays; None: no replayable change

    @property
    def heuristic(self) -> str:
        return RESTRUCTURING_KINDS[self.kind][0]

    def as_dict(self) -> dict[str, Any]:
        return dict(_plain(self)) | {"heuristic": self.heuristic}


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the automation criteria (any non-negative numbers; they are normalised)."""

    volume: float = 2.0
    time: float = 1.5
    standardization: float = 2.0
    duration_uniformity: float = 1.5
    predictability: float = 1.0
    low_exceptions: float = 1.5
    few_resources: float = 0.5
    stability: float = 0.5

    def as_dict(self) -> dict[str, float]:
        return dict(_plain(self))


@dataclass(frozen=True, slots=True)
class CandidateOptions:
    """Settings of candidate ranking. Defaults learn everything from the log.

    - `system_resources`: resource or team names (case-insensitive substrings) that are systems
      or robots; their activities count as already automated.
    - `automated_activities`: activities flagged as already automated.
    - `type_attribute` / `channel_attribute`: case attributes holding the ticket type and the
      channel (default: detected by name, e.g. ticket_type / channel).
    - `min_executions` / `min_case_share`: the support an activity needs to be scored (at least
      this many executions, and this share of the cases: 0 = no share needed); rarer ones are
      listed as too rare to judge, as criteria measured on a handful of executions say nothing.
    - `judgement_*`: a step that would be proposed as a system integration is judgement work
      instead (listed, not proposed) when at least `judgement_signals` of these hold: service-time
      CV at least `judgement_cv`, median service time at least `judgement_median_s` (both only
      where the log has start times), outcome predictability below `judgement_predictability`,
      exception and rework rate at least `judgement_exceptions`, done by at least
      `judgement_teams` teams (where the log has teams).
    """

    weights: Weights = field(default_factory=Weights)
    system_resources: tuple[str, ...] = (
        "system",
        "robot",
        "rpa",
        "bot",
        "batch",
        "系统",
        "机器人",
        "自动",
    )
    automated_activities: tuple[str, ...] = ()
    type_attribute: str | None = None
    channel_attribute: str | None = None
    top: int = 20
    min_executions: int = 30
    min_case_share: float = 0.0
    judgement_cv: float = 1.0
    judgement_median_s: float = 1800.0
    judgement_predictability: float = 0.8
    judgement_exceptions: float = 0.2
    judgement_teams: int = 3
    judgement_signals: int = 2


@dataclass(frozen=True, slots=True)
class CandidateSet:
    """The ranked candidates of one mining run."""

    log_name: str
    run_id: int
    automation: tuple[AutomationCandidate, ...]
    restructuring: tuple[RestructuringCandidate, ...]
    already_automated: tuple[AlreadyAutomated, ...]
    weights: Weights = field(default_factory=Weights)
    too_rare: tuple[TooRare, ...] = ()
    judgement: tuple[JudgementWork, ...] = ()

    def find(self, candidate_id: str) -> AutomationCandidate | RestructuringCandidate | None:
        for a in self.automation:
            if a.id == candidate_id:
                return a
        for r in self.restructuring:
            if r.id == candidate_id:
                return r
        return None

    def as_dict(self) -> dict[str, Any]:
        """The JSON object `servflow candidates --json` prints."""
        return {
            "log": self.log_name,
            "run_id": self.run_id,
            "automation": [c.as_dict() for c in self.automation],
            "restructuring": [c.as_dict() for c in self.restructuring],
            "already_automated": [a.as_dict() for a in self.already_automated],
            "too_rare": [t.as_dict() for t in self.too_rare],
            "judgement": [j.as_dict() for j in self.judgement],
            "weights": self.weights.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class Stats:
    """Mean, median and P90 of a distribution (seconds); None when it is empty."""

    mean: float | None
    median: float | None
    p90: float | None

    @staticmethod
    def of(values: Sequence[float]) -> Stats:
        import numpy as np

        if len(values) == 0:
            return Stats(None, None, None)
        data = np.asarray(values, dtype=float)
        return Stats(float(data.mean()), float(np.median(data)), float(np.quantile(data, 0.9)))

    def as_dict(self) -> dict[str, Any]:
        return dict(_plain(self))


@dataclass(frozen=True, slots=True)
class WhatIfResult:
    """A candidate's change replayed on the real cases: before and after, with a range.

    `lead_time_after_low` / `_high` bound the estimate (its uncertainty, e.g. a bootstrap
    interval); `before_sample_s` / `after_sample_s` are per-case lead times (possibly a sample)
    for distribution charts.
    """

    candidate_id: str
    change: str
    cases: int
    cases_changed: int
    lead_time_before: Stats
    lead_time_after: Stats
    lead_time_after_low: Stats
    lead_time_after_high: Stats
    stalled_before: int
    stalled_after: int
    work_hours_before: float
    work_hours_after: float
    assumptions: tuple[str, ...]
    before_sample_s: tuple[float, ...] = ()
    after_sample_s: tuple[float, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON object `servflow whatif --json` prints (`distribution`: lead-time deciles
        before and after, from the per-case samples)."""
        return {
            "candidate": self.candidate_id,
            "change": self.change,
            "cases": self.cases,
            "cases_changed": self.cases_changed,
            "lead_time_s": {
                "before": self.lead_time_before.as_dict(),
                "after": self.lead_time_after.as_dict(),
                "after_low": self.lead_time_after_low.as_dict(),
                "after_high": self.lead_time_after_high.as_dict(),
            },
            "stalled": {"before": self.stalled_before, "after": self.stalled_after},
            "work_hours": self._work_hours(),
            "assumptions": list(self.assumptions),
            "distribution": self.deciles(),
        }

    def _work_hours(self) -> dict[str, Any]:
        hours: dict[str, Any] = _plain(
            {"before": self.work_hours_before, "after": self.work_hours_after}
        )
        if hours["before"] is None:
            hours["reason"] = "unknown, the log has no start times (no service times to sum)"
        return hours

    def deciles(self) -> dict[str, list[float]]:
        """Lead-time deciles (P10 .. P90, seconds) before and after, from the per-case samples."""
        import numpy as np

        levels = [round(0.1 * k, 1) for k in range(1, 10)]
        out: dict[str, list[float]] = {"quantiles": levels}
        for name, sample in (("before", self.before_sample_s), ("after", self.after_sample_s)):
            out[name] = (
                [float(x) for x in np.quantile(np.asarray(sample, dtype=float), levels)]
                if sample
                else []
            )
        return out
