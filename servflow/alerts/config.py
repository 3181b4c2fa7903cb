"""Alert configuration: rules, SLA targets, and who gets told (team -> addresses, webhook, language).

Recipients come only from here (or Airflow connections named here), never from the log: the
log's team names only pick which configured entry a ticket's digest goes to.

A complete example with every key: `docs/alerts.example.toml` (JSON of the same shape works
too). Every key is optional; without rules, every rule is learned from the log.

>>> cfg = alert_config_from_mapping({"recipients": {"Back office": {"email": ["a@x.org"]}}})
>>> cfg.recipient_for("Back office").email, cfg.recipient_for("Field") is None
(('a@x.org',), True)
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mining.errors import InputError

__all__ = [
    "LANGUAGES",
    "AlertConfig",
    "ConfiguredRule",
    "Recipient",
    "SlaConfig",
    "alert_config_from_mapping",
    "read_alert_config",
]

LANGUAGES = ("zh", "en")
_TOP_KEYS = (
    "rules",
    "sla",
    "recipients",
    "default_recipient",
    "learn",
    "escalate_factor",
    "end_activities",
    "type_attribute",
    "from",
    "smtp_conn_id",
)
_RULE_KEYS = ("activity", "ticket_type", "remind_after_h", "escalate_after_h", "team")
_SLA_KEYS = ("attribute", "targets_h", "default_h", "warn_at")
_RECIPIENT_KEYS = ("email", "webhook", "language", "supervisor")
_EMAIL = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+$")


@dataclass(frozen=True, slots=True)
class ConfiguredRule:
    """'No progress within `remind_after_s` after `activity`: remind; past `escalate_after_s`:
    escalate.' `ticket_type` limits it to one ticket type; `team` overrides the team reminded."""

    activity: str
    remind_after_s: float
    escalate_after_s: float
    ticket_type: str | None = None
    team: str | None = None


@dataclass(frozen=True, slots=True)
class SlaConfig:
    """Lead-time targets per ticket type (case attribute `attribute`); warn at `warn_at` used."""

    attribute: str
    targets_s: tuple[tuple[str, float], ...] = ()
    default_s: float | None = None
    warn_at: float = 0.8

    def target_for(self, ticket_type: str | None) -> float | None:
        for name, seconds in self.targets_s:
            if name == ticket_type:
                return seconds
        return self.default_s


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where one team's (or supervisor's) digest goes, and in which language."""

    name: str
    email: tuple[str, ...] = ()
    webhook: str | None = None
    language: str = "zh"
    supervisor: str | None = None


@dataclass(frozen=True, slots=True)
class AlertConfig:
    """Everything the alerts step is told rather than learns. The defaults learn every rule."""

    rules: tuple[ConfiguredRule, ...] = ()
    sla: SlaConfig | None = None
    recipients: tuple[Recipient, ...] = ()
    default_recipient: str | None = None
    learn: bool = True
    escalate_factor: float = 2.0
    end_activities: tuple[str, ...] | None = None
    type_attribute: str | None = None
    from_email: str | None = None
    smtp_conn_id: str = "servflow_smtp"
    source: str = "defaults"

    def recipient(self, name: str | None) -> Recipient | None:
        return next((r for r in self.recipients if r.name == name), None)

    def recipient_for(self, team: str | None) -> Recipient | None:
        """The configured entry of `team`, else the default recipient, else None."""
        return self.recipient(team) or self.recipient(self.default_recipient)

    def supervisor_for(self, team: str | None) -> Recipient | None:
        entry = self.recipient_for(team)
        return self.recipient(entry.supervisor) if entry and entry.supervisor else None


def read_alert_config(path: str | Path | None) -> AlertConfig:
    """Read a TOML (`.toml`) or JSON file; None gives the defaults (every rule learned)."""
    if path is None:
        return AlertConfig()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"Cannot read the alert configuration {path}: {exc.strerror or exc}."
        ) from exc
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
        raise InputError(
            f"The alert configuration {path} is not valid {kind}: {exc}. "
            "Files ending in .toml are read as TOML, all others as JSON."
        ) from exc
    return alert_config_from_mapping(data, source=f"file {path}")


def alert_config_from_mapping(data: Any, *, source: str = "mapping") -> AlertConfig:
    """Validate a parsed configuration; every problem names the key it is about."""

    def fail(message: str) -> InputError:
        return InputError(f"Alert configuration ({source}): {message}")

    if not isinstance(data, dict):
        raise fail("must be a JSON object / TOML table.")
    _unknown(data, _TOP_KEYS, "", fail)
    factor = _number(data.get("escalate_factor", 2.0), "escalate_factor", fail)
    if factor < 1:
        raise fail("'escalate_factor' must be at least 1 (escalation comes after the reminder).")
    learn = data.get("learn", True)
    if not isinstance(learn, bool):
        raise fail("'learn' must be true or false.")
    rules_data = data.get("rules", [])
    if not isinstance(rules_data, list):
        raise fail("'rules' must be a list of tables.")
    rules = tuple(_rule(item, i, fail) for i, item in enumerate(rules_data))
    recipients_data = data.get("recipients", {})
    if not isinstance(recipients_data, dict):
        raise fail("'recipients' must be a table of team name -> {email, webhook, language}.")
    recipients = tuple(_recipient(name, item, fail) for name, item in recipients_data.items())
    names = {r.name for r in recipients}
    for r in recipients:
        if r.supervisor is not None and r.supervisor not in names:
            raise fail(
                f"recipients.{r.name}.supervisor {r.supervisor!r} has no entry under "
                "'recipients'; add one with its e-mail addresses or webhook."
            )
    default = data.get("default_recipient")
    if default is not None and default not in names:
        raise fail(f"'default_recipient' {default!r} has no entry under 'recipients'.")
    ends = data.get("end_activities")
    if ends is not None and (
        not isinstance(ends, list) or not all(isinstance(e, str) and e for e in ends)
    ):
        raise fail("'end_activities' must be a list of activity names.")
    conn_id = _text(data.get("smtp_conn_id", "servflow_smtp"), "smtp_conn_id", fail)
    type_attribute = data.get("type_attribute")
    if type_attribute is not None:
        type_attribute = _text(type_attribute, "type_attribute", fail)
    sender = data.get("from")
    if sender is not None and (not isinstance(sender, str) or not _EMAIL.match(sender)):
        raise fail(f"'from' must be one e-mail address, got {sender!r}.")
    sla = _sla(data["sla"], fail) if "sla" in data else None
    if sla is not None and type_attribute is not None and sla.attribute != type_attribute:
        raise fail(
            f"'type_attribute' {type_attribute!r} and 'sla.attribute' {sla.attribute!r} differ; "
            "both name the case attribute holding the ticket type."
        )
    return AlertConfig(
        rules=rules,
        sla=sla,
        recipients=recipients,
        default_recipient=default,
        learn=learn,
        escalate_factor=factor,
        end_activities=None if ends is None else tuple(ends),
        type_attribute=type_attribute,
        from_email=sender,
        smtp_conn_id=conn_id,
        source=source,
    )


def _unknown(data: dict[str, Any], known: tuple[str, ...], where: str, fail: Any) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise fail(
            f"unknown key(s) {', '.join(where + k for k in unknown)}; known: "
            + ", ".join(where + k for k in known)
            + "."
        )


def _number(value: Any, key: str, fail: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise fail(f"{key!r} must be a number, got {value!r}.")
    if value < 0:
        raise fail(f"{key!r} must not be negative, got {value!r}.")
    return float(value)


def _text(value: Any, key: str, fail: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail(f"{key!r} must be a non-empty string, got {value!r}.")
    return value


def _rule(item: Any, i: int, fail: Any) -> ConfiguredRule:
    where = f"rules[{i}]."
    if not isinstance(item, dict):
        raise fail(f"rules[{i}] must be a table with activity, remind_after_h, escalate_after_h.")
    _unknown(item, _RULE_KEYS, where, fail)
    for key in ("activity", "remind_after_h", "escalate_after_h"):
        if key not in item:
            raise fail(f"{where}{key} is missing.")
    remind = _number(item["remind_after_h"], where + "remind_after_h", fail) * 3600
    escalate = _number(item["escalate_after_h"], where + "escalate_after_h", fail) * 3600
    if escalate < remind:
        raise fail(f"{where}escalate_after_h must not be below remind_after_h.")
    return ConfiguredRule(
        activity=_text(item["activity"], where + "activity", fail),
        remind_after_s=remind,
        escalate_after_s=escalate,
        ticket_type=_text(item["ticket_type"], where + "ticket_type", fail)
        if "ticket_type" in item
        else None,
        team=_text(item["team"], where + "team", fail) if "team" in item else None,
    )


def _sla(item: Any, fail: Any) -> SlaConfig:
    if not isinstance(item, dict):
        raise fail("'sla' must be a table with attribute and targets_h.")
    _unknown(item, _SLA_KEYS, "sla.", fail)
    targets = item.get("targets_h", {})
    if not isinstance(targets, dict):
        raise fail("sla.targets_h must be a table of ticket type -> hours.")
    warn_at = _number(item.get("warn_at", 0.8), "sla.warn_at", fail)
    if not 0 < warn_at <= 1:
        raise fail(f"sla.warn_at must be in (0, 1], got {warn_at}.")
    default = item.get("default_h")
    return SlaConfig(
        attribute=_text(item.get("attribute"), "sla.attribute", fail),
        targets_s=tuple(
            (str(name), _number(hours, f"sla.targets_h.{name}", fail) * 3600)
            for name, hours in targets.items()
        ),
        default_s=None if default is None else _number(default, "sla.default_h", fail) * 3600,
        warn_at=warn_at,
    )


def _recipient(name: str, item: Any, fail: Any) -> Recipient:
    where = f"recipients.{name}."
    if not isinstance(item, dict):
        raise fail(f"recipients.{name} must be a table with email / webhook / language.")
    _unknown(item, _RECIPIENT_KEYS, where, fail)
    emails = item.get("email", [])
    if isinstance(emails, str):
        emails = [emails]
    if not isinstance(emails, list):
        raise fail(f"{where}email must be a list of addresses.")
    for address in emails:
        if not isinstance(address, str) or not _EMAIL.match(address):
            raise fail(f"{where}email: {address!r} is not an e-mail address.")
    webhook = item.get("webhook")
    if webhook is not None and (
        not isinstance(webhook, str) or not webhook.startswith(("http://", "https://"))
    ):
        raise fail(f"{where}webhook must be an http(s) URL, got {webhook!r}.")
    language = item.get("language", "zh")
    if language not in LANGUAGES:
        raise fail(f"{where}language must be one of {', '.join(LANGUAGES)}, got {language!r}.")
    if not emails and webhook is None:
        raise fail(f"recipients.{name} needs an email list or a webhook URL.")
    supervisor = item.get("supervisor")
    return Recipient(
        name=name,
        email=tuple(emails),
        webhook=webhook,
        language=language,
        supervisor=None if supervisor is None else _text(supervisor, where + "supervisor", fail),
    )
