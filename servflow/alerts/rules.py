"""Alert rules: per activity (optionally per ticket type), when to remind and when to escalate.

"No progress within `remind_after_s` after `activity`: remind the team holding the ticket; past
`escalate_after_s`: escalate to its supervisor." Where a rule comes from, first match wins:

1. **configured** (`AlertConfig.rules`), a ticket-type rule before an activity-wide one;
2. **optimization**: the time-limit rules (`TimeLimitRule`) of the newest mining run's
   candidates, where the optimization step stored them;
3. **breakpoints**: the idle threshold of the break-point analysis (the P90 of the waits after
   the activity in the tickets that continued), as stored by the newest mining run, else learned
   from the log the same way; escalation at `escalate_factor` times that threshold.

SLA rules (`kind="sla"`) warn at `warn_at` (80%) of a ticket type's lead-time target and
escalate when it is used up; targets come from the configuration, else the mining run's options.

>>> r = AlertRule("idle:派单至后台", "idle", "派单至后台", None, 4 * 3600.0, 8 * 3600.0, None, "configured")
>>> r.threshold("escalate") / 3600
8.0
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import duckdb

from mining import store
from servflow.alerts.config import AlertConfig, SlaConfig

__all__ = ["LEVELS", "AlertRule", "Level", "RuleSet", "alert_rules"]

Level = Literal["remind", "escalate"]
LEVELS: tuple[Level, ...] = ("remind", "escalate")


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One rule. `kind` "idle": thresholds are idle time since the ticket's last event at
    `activity`; "sla": thresholds are the ticket's age against its type's target (`activity`
    None). `team` None: remind the team holding the ticket."""

    rule_id: str
    kind: Literal["idle", "sla"]
    activity: str | None
    ticket_type: str | None
    remind_after_s: float
    escalate_after_s: float
    team: str | None
    source: str

    def threshold(self, level: Level) -> float:
        return self.remind_after_s if level == "remind" else self.escalate_after_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "kind": self.kind,
            "activity": self.activity,
            "ticket_type": self.ticket_type,
            "remind_after_s": self.remind_after_s,
            "escalate_after_s": self.escalate_after_s,
            "team": self.team,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules in force for one log, and what they were learned from.

    `next_team` maps an activity to the team that usually takes the next step after it (the
    team a ticket waiting there is with); `end_activities` never alert.
    """

    log_name: str
    run_id: int | None
    rules: tuple[AlertRule, ...]
    sla: SlaConfig | None
    end_activities: tuple[str, ...]
    next_team: tuple[tuple[str, str], ...]
    run_as_of: datetime | None = None

    def rule_for(self, activity: str, ticket_type: str | None) -> AlertRule | None:
        """The idle rule for a ticket waiting after `activity` (a type-specific rule first)."""
        general = None
        for rule in self.rules:
            if rule.kind != "idle" or rule.activity != activity:
                continue
            if rule.ticket_type is not None and rule.ticket_type == ticket_type:
                return rule
            if rule.ticket_type is None and general is None:
                general = rule
        return general

    def holder(self, activity: str, last_team: str | None) -> str | None:
        return dict(self.next_team).get(activity) or last_team


def alert_rules(
    con: duckdb.DuckDBPyConnection,
    log_name: str,
    config: AlertConfig,
    *,
    quantile: float = 0.9,
    min_samples: int = 5,
) -> RuleSet:
    """The rules for `log_name`: configured, then optimization, then break-point thresholds."""
    log_id = store.log_id_for(con, log_name)
    run = store.run_sql(con, "alerts_latest_run", log_name=log_name).fetchall()
    run_id, run_as_of, options, summary = run[0] if run else (None, None, "{}", "{}")
    options = json.loads(options) if isinstance(options, str) else (options or {})
    summary = json.loads(summary) if isinstance(summary, str) else (summary or {})

    norms = store.run_sql(
        con, "alerts_activity_norms", log_id=log_id, quantile=quantile, min_samples=min_samples
    ).fetchall()
    next_team = tuple((activity, team) for activity, _, _, team in norms if team is not None)

    ends = config.end_activities or _end_activities(con, log_id, options, summary)
    rules: list[AlertRule] = []
    covered: set[str] = set(ends)  # a ticket at an end activity never alerts
    for c in config.rules:
        suffix = f"|{c.ticket_type}" if c.ticket_type is not None else ""
        rules.append(
            AlertRule(
                f"idle:{c.activity}{suffix}",
                "idle",
                c.activity,
                c.ticket_type,
                c.remind_after_s,
                c.escalate_after_s,
                c.team,
                "configured",
            )
        )
        if c.ticket_type is None:
            covered.add(c.activity)
    if config.learn:
        for rule in _optimization_rules(con, run_id):
            if rule.activity not in covered:
                rules.append(rule)
                covered.add(str(rule.activity))
        stored = _run_thresholds(con, run_id, options)
        for activity, threshold, source, _ in norms:
            if activity in covered or threshold is None:
                continue
            found = stored.get(activity)
            if found is not None:
                threshold, source = found[0], f"breakpoints run {run_id} ({found[1]})"
            elif options.get("idle_threshold_s") is not None:
                threshold, source = float(options["idle_threshold_s"]), "configured in mining run"
            rules.append(
                AlertRule(
                    f"idle:{activity}",
                    "idle",
                    activity,
                    None,
                    float(threshold),
                    float(threshold) * config.escalate_factor,
                    None,
                    source,
                )
            )
    sla = config.sla or _run_sla(options)
    if sla is not None:
        for name, target in (*sla.targets_s, (None, sla.default_s)):
            if target is None:
                continue
            rules.append(
                AlertRule(
                    f"sla:{name}" if name is not None else "sla:*",
                    "sla",
                    None,
                    name,
                    target * sla.warn_at,
                    target,
                    None,
                    "configured" if config.sla is not None else f"mining run {run_id}",
                )
            )
    return RuleSet(
        log_name=log_name,
        run_id=run_id,
        rules=tuple(rules),
        sla=sla,
        end_activities=ends,
        next_team=next_team,
        run_as_of=run_as_of,
    )


def _optimization_rules(con: duckdb.DuckDBPyConnection, run_id: int | None) -> list[AlertRule]:
    """Time-limit rules of the run's stored candidates, where the optimization step has them."""
    if run_id is None:
        return []
    try:
        candidates_for_run = importlib.import_module("optimization").candidates_for_run
    except (ImportError, AttributeError):
        return []
    try:
        found = candidates_for_run(con, int(run_id))
    except duckdb.CatalogException:  # a database from before candidates were stored
        return []
    if found is None:
        return []
    out = []
    for candidate in found.automation:
        rule = getattr(candidate, "rule", None)
        if rule is None:
            continue
        out.append(
            AlertRule(
                f"idle:{rule.after_activity}",
                "idle",
                rule.after_activity,
                None,
                float(rule.remind_after_s),
                float(rule.escalate_after_s),
                rule.remind_team,
                f"optimization run {run_id} ({candidate.id})",
            )
        )
    return out


def _run_thresholds(
    con: duckdb.DuckDBPyConnection, run_id: int | None, options: dict[str, Any]
) -> dict[str, tuple[float, str]]:
    if run_id is None:
        return {}
    try:
        rows = store.run_sql(con, "alerts_run_thresholds", run_id=int(run_id)).fetchall()
    except duckdb.CatalogException:
        return {}
    return {activity: (float(t), str(source)) for activity, t, source in rows if t is not None}


def _run_sla(options: dict[str, Any]) -> SlaConfig | None:
    attribute = options.get("sla_attribute")
    targets = options.get("sla_targets_s") or []
    default = options.get("default_sla_s")
    if not attribute or (not targets and default is None):
        return None
    return SlaConfig(
        attribute=str(attribute),
        targets_s=tuple((str(name), float(seconds)) for name, seconds in targets),
        default_s=None if default is None else float(default),
    )


def _end_activities(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    options: dict[str, Any],
    summary: dict[str, Any],
) -> tuple[str, ...]:
    configured: Sequence[str] | None = options.get("end_activities")
    if configured:
        return tuple(configured)
    stored = (summary.get("breakpoints") or {}).get("end_activities")
    if stored:
        return tuple(stored)
    from mining.breakpoints import find_end_activities

    return find_end_activities(con, log_id)
