"""The tickets due for a reminder or an escalation now, grouped per team.

A ticket is **waiting** as of `as_of` when its last event (in everything loaded) lies at or
before `as_of` and is not an end activity: tickets that ended, or moved on after `as_of`, never
alert. A waiting ticket is due for a reminder when it has been idle longer than its rule's
`remind_after_s`, and for an escalation when idle longer than `escalate_after_s`; SLA rules
measure its age (since its first event) against its type's target instead.

By default `as_of` is the log's last event, like the break-point analysis; a scheduled run
passes its own time (capped at the last event, so a stale export does not make everything due).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from mining import store
from mining.errors import InputError
from mining.filters import json_path
from servflow.alerts.config import AlertConfig
from servflow.alerts.rules import LEVELS, AlertRule, Level, RuleSet, alert_rules

__all__ = ["AlertReport", "DueAlert", "find_due_alerts", "utc_naive"]


@dataclass(frozen=True, slots=True)
class DueAlert:
    """One alert due now: ticket `ticket` has waited `waited_s` (idle time, or its age for SLA
    rules) against `threshold_s` of `rule` at `level`. `team` holds the ticket (the team reminded);
    `since` is when the wait began (last event; first event for SLA), the key of one alert per
    rule level per wait."""

    ticket: str
    rule: str
    kind: str
    level: Level
    activity: str
    ticket_type: str | None
    team: str | None
    last_team: str | None
    resource: str | None
    since: datetime
    waited_s: float
    threshold_s: float
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket,
            "rule": self.rule,
            "kind": self.kind,
            "level": self.level,
            "activity": self.activity,
            "ticket_type": self.ticket_type,
            "team": self.team,
            "last_team": self.last_team,
            "resource": self.resource,
            "since": self.since.isoformat(),
            "waited_s": self.waited_s,
            "threshold_s": self.threshold_s,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class AlertReport:
    """The alerts due for `log_name` as of `as_of` (UTC), longest waits first."""

    log_name: str
    as_of: datetime
    rules: RuleSet
    waiting: int
    alerts: tuple[DueAlert, ...]

    def by_team(self) -> dict[str | None, tuple[DueAlert, ...]]:
        groups: dict[str | None, list[DueAlert]] = defaultdict(list)
        for alert in self.alerts:
            groups[alert.team].append(alert)
        return {team: tuple(items) for team, items in sorted(groups.items(), key=_team_key)}

    def tickets(self, level: Level | None = None, kind: str | None = None) -> set[str]:
        return {
            a.ticket
            for a in self.alerts
            if (level is None or a.level == level) and (kind is None or a.kind == kind)
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "log": self.log_name,
            "as_of": self.as_of.isoformat(),
            "run_id": self.rules.run_id,
            "end_activities": list(self.rules.end_activities),
            "waiting_tickets": self.waiting,
            "rules": [r.as_dict() for r in self.rules.rules],
            "teams": [
                {"team": team, "alerts": [a.as_dict() for a in alerts]}
                for team, alerts in self.by_team().items()
            ],
        }


def _team_key(item: tuple[str | None, Any]) -> tuple[bool, str]:
    return (item[0] is None, item[0] or "")


def utc_naive(moment: datetime) -> datetime:
    """Stored times are naive UTC; an aware time is converted, a naive one taken as UTC."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def find_due_alerts(
    con: duckdb.DuckDBPyConnection,
    log_name: str,
    config: AlertConfig | None = None,
    *,
    as_of: datetime | None = None,
    cap_at_last_event: bool = False,
) -> AlertReport:
    """Every reminder and escalation due for `log_name` as of `as_of` (default: its last event).

    `cap_at_last_event`: use the log's last event when `as_of` lies after it (scheduled runs).
    """
    config = config or AlertConfig()
    rules = alert_rules(con, log_name, config)
    log_id = store.log_id_for(con, log_name)
    last = store.run_sql(con, "alerts_last_event", log_id=log_id).fetchall()[0][0]
    if last is None:
        raise InputError(f"Log {log_name!r} has no events: nothing can be due.")
    when = utc_naive(as_of) if as_of is not None else last
    if cap_at_last_event and when > last:
        when = last
    type_attribute = config.type_attribute or (
        rules.sla.attribute if rules.sla is not None else "ticket_type"
    )
    typed = (rules.sla is not None and rules.sla.targets_s) or any(
        r.ticket_type for r in rules.rules
    )
    if (
        typed
        and not store.run_sql(
            con, "alerts_has_case_attribute", log_id=log_id, path=json_path(type_attribute)
        ).fetchall()
    ):
        raise InputError(
            f"Log {log_name!r} has no case attribute {type_attribute!r}, which the alert rules "
            "use for the ticket type. Name the case attribute that holds the ticket type with "
            "type_attribute (or sla.attribute) in the alert configuration."
        )
    waiting = store.run_sql(
        con,
        "alerts_waiting_tickets",
        log_id=log_id,
        as_of=when,
        end_activities=list(rules.end_activities),
        type_path=json_path(type_attribute),
    ).fetchall()
    sla_rules = {r.ticket_type: r for r in rules.rules if r.kind == "sla"}
    alerts: list[DueAlert] = []
    for ticket, activity, team, resource, since, opened, ticket_type, idle_s, age_s in waiting:
        checks: list[tuple[AlertRule, float, datetime]] = []
        rule = rules.rule_for(activity, ticket_type)
        if rule is not None:
            checks.append((rule, float(idle_s), since))
        sla_rule = sla_rules.get(ticket_type) or sla_rules.get(None)
        if sla_rule is not None:
            checks.append((sla_rule, float(age_s), opened))
        for found, waited, began in checks:
            holder = found.team or rules.holder(activity, team)
            for level in LEVELS:
                threshold = found.threshold(level)
                if waited > threshold:
                    alerts.append(
                        DueAlert(
                            ticket=str(ticket),
                            rule=found.rule_id,
                            kind=found.kind,
                            level=level,
                            activity=activity,
                            ticket_type=ticket_type,
                            team=holder,
                            last_team=team,
                            resource=resource,
                            since=began,
                            waited_s=waited,
                            threshold_s=threshold,
                            source=found.source,
                        )
                    )
    return AlertReport(
        log_name=log_name, as_of=when, rules=rules, waiting=len(waiting), alerts=tuple(alerts)
    )
