"""Delivering due alerts: one digest per recipient and channel, recorded so nothing goes twice.

Each due alert is routed from configuration only: a reminder to the entry of the team holding the
ticket (or `default_recipient`), an escalation to that entry's supervisor (or the entry itself
when it names none). Every entry gets one digest per channel (e-mail, chat webhook) in its own
language, listing its tickets. Log labels are escaped for the e-mail's HTML and for the chat
message's markdown; the webhook body is JSON.

Every attempt is recorded in `sent_alerts`. An alert (ticket, rule, level, wait, channel,
recipient) that has a `sent` record is never sent again, so re-runs, retries and backfills send
nothing twice. A failed digest records all of its alerts as `failed`; the next run sends them
again while the ticket still waits, and records them as `dropped` once it moved on.

Senders are plain callables taking a `Digest` and raising on failure: `smtp_sender` and
`webhook_sender` here (standard library), or Airflow notifiers (`servflow.alerts.notifiers`).
"""

from __future__ import annotations

import html
import json
import os
import smtplib
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import duckdb

from mining import store
from servflow.alerts.config import AlertConfig, Recipient
from servflow.alerts.due import AlertReport, DueAlert
from servflow.textout import printable

__all__ = [
    "CHANNELS",
    "Delivery",
    "DeliveryReport",
    "Digest",
    "Sender",
    "deliver_alerts",
    "escape_markdown",
    "post_json",
    "send_due_alerts",
    "smtp_sender",
    "webhook_sender",
]

CHANNELS = ("email", "webhook")
WEBHOOK_MAX_LINES = 30  # chat robots cap a message at a few kilobytes
EMAIL_MAX_ROWS = 1000  # mail servers cap a message's size; the longest waits come first

_TEXT = {
    "zh": {
        "subject": "【servflow】{log}：{n} 张工单需要处理（提醒 {r}，升级 {e}）",
        "intro": "截至 {as_of}（UTC），以下工单超过时限仍无进展：",
        "ticket": "工单",
        "level": "级别",
        "activity": "当前环节",
        "team": "处理组",
        "waited": "已等待",
        "limit": "时限",
        "rule": "规则",
        "remind": "提醒",
        "escalate": "升级",
        "sla_remind": "SLA 预警",
        "sla_escalate": "SLA 超时",
        "hours": "{h:.1f} 小时",
        "more": "……另有 {n} 条，详见 servflow alerts。",
        "footer": "本提醒由 servflow 根据工单日志自动生成；同一工单同一级别只提醒一次。",
    },
    "en": {
        "subject": "[servflow] {log}: {n} tickets need action ({r} reminders, {e} escalations)",
        "intro": "As of {as_of} (UTC), these tickets are past their time limit without progress:",
        "ticket": "Ticket",
        "level": "Level",
        "activity": "Last activity",
        "team": "Team",
        "waited": "Waited",
        "limit": "Limit",
        "rule": "Rule",
        "remind": "Reminder",
        "escalate": "Escalation",
        "sla_remind": "SLA warning",
        "sla_escalate": "SLA overdue",
        "hours": "{h:.1f} h",
        "more": "... and {n} more: see `servflow alerts`.",
        "footer": "Sent by servflow from the ticket log; one message per ticket and level.",
    },
}


@dataclass(frozen=True, slots=True)
class Digest:
    """One message to one recipient on one channel: its alerts, rendered in its language."""

    log_name: str
    as_of: datetime
    recipient: Recipient
    channel: str
    alerts: tuple[DueAlert, ...]

    @property
    def language(self) -> str:
        return self.recipient.language

    def _t(self, key: str) -> str:
        return _TEXT[self.language][key]

    def _level(self, alert: DueAlert) -> str:
        return self._t(f"sla_{alert.level}" if alert.kind == "sla" else alert.level)

    def _hours(self, seconds: float) -> str:
        return self._t("hours").format(h=seconds / 3600)

    @property
    def subject(self) -> str:
        tickets = {a.ticket for a in self.alerts}
        reminders = sum(a.level == "remind" for a in self.alerts)
        subject = self._t("subject").format(
            log=self.log_name, n=len(tickets), r=reminders, e=len(self.alerts) - reminders
        )
        return _one_line(subject)  # no line breaks or control characters in a header

    @property
    def html(self) -> str:
        """The e-mail body: every label from the log HTML-escaped."""
        e = html.escape
        head = "".join(
            f"<th>{e(self._t(k))}</th>"
            for k in ("level", "ticket", "activity", "team", "waited", "limit", "rule")
        )
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{e(str(v))}</td>"
                for v in (
                    self._level(a),
                    a.ticket,
                    a.activity,
                    a.team or "",
                    self._hours(a.waited_s),
                    self._hours(a.threshold_s),
                    a.rule,
                )
            )
            + "</tr>"
            for a in self.alerts[:EMAIL_MAX_ROWS]
        )
        hidden = len(self.alerts) - EMAIL_MAX_ROWS
        more = f"<p>{e(self._t('more').format(n=hidden))}</p>" if hidden > 0 else ""
        return (
            '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
            f"<p>{e(self._t('intro').format(as_of=self.as_of.isoformat(sep=' ')))}</p>"
            f'<table border="1" cellpadding="4" cellspacing="0"><tr>{head}</tr>{rows}</table>'
            f"{more}<p>{e(self._t('footer'))}</p></body></html>"
        )

    @property
    def text(self) -> str:
        """Plain-text body (the e-mail's alternative part)."""
        lines = [self._t("intro").format(as_of=self.as_of.isoformat(sep=" ")), ""]
        for a in self.alerts[:EMAIL_MAX_ROWS]:
            lines.append(
                f"- {self._level(a)}  {_one_line(a.ticket)}  {_one_line(a.activity)}  "
                f"{_one_line(a.team or '')}  {self._hours(a.waited_s)} / {self._hours(a.threshold_s)}"
            )
        hidden = len(self.alerts) - EMAIL_MAX_ROWS
        if hidden > 0:
            lines.append(self._t("more").format(n=hidden))
        return "\n".join([*lines, "", self._t("footer")])

    @property
    def markdown(self) -> str:
        """The chat message, at most `WEBHOOK_MAX_LINES` alerts: labels from the log (and the log
        name) markdown-escaped, servflow's own text as it is."""
        m = escape_markdown
        tickets = {a.ticket for a in self.alerts}
        reminders = sum(a.level == "remind" for a in self.alerts)
        title = self._t("subject").format(
            log=m(self.log_name), n=len(tickets), r=reminders, e=len(self.alerts) - reminders
        )
        lines = [
            f"### {title}",
            f"> {self._t('intro').format(as_of=self.as_of.isoformat(sep=' '))}",
            "",
        ]
        for a in self.alerts[:WEBHOOK_MAX_LINES]:
            lines.append(
                f"- **{self._level(a)}** {m(a.ticket)} · {m(a.activity)} · {m(a.team or '')} · "
                f"{self._t('waited')} {self._hours(a.waited_s)} "
                f"({self._t('limit')} {self._hours(a.threshold_s)})"
            )
        hidden = len(self.alerts) - WEBHOOK_MAX_LINES
        if hidden > 0:
            lines.append(self._t("more").format(n=hidden))
        return "\n".join(lines)

    @property
    def payload(self) -> dict[str, Any]:
        """The webhook's JSON body, as WeCom and DingTalk group robots accept it (markdown)."""
        return {
            "msgtype": "markdown",
            "markdown": {"title": self.subject, "content": self.markdown, "text": self.markdown},
        }


Sender = Callable[[Digest], None]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One digest's delivery attempt: to whom, how, how many alerts, and what happened."""

    recipient: str
    channel: str
    tickets: int
    alerts: int
    outcome: str
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "recipient": self.recipient,
            "channel": self.channel,
            "tickets": self.tickets,
            "alerts": self.alerts,
            "outcome": self.outcome,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one delivery run did for one log.

    `already_sent`: alert deliveries skipped because they were sent before; `unrouted`: due
    alerts whose team has no configured recipient (nothing sent, nothing recorded); `dropped`:
    earlier failed deliveries whose ticket moved on.
    """

    log_name: str
    as_of: datetime
    due: int
    already_sent: int
    deliveries: tuple[Delivery, ...]
    unrouted: tuple[DueAlert, ...]
    dropped: int

    @property
    def sent(self) -> int:
        return sum(d.alerts for d in self.deliveries if d.outcome == "sent")

    @property
    def failed(self) -> int:
        return sum(d.alerts for d in self.deliveries if d.outcome == "failed")

    def as_dict(self) -> dict[str, Any]:
        return {
            "log": self.log_name,
            "as_of": self.as_of.isoformat(),
            "due": self.due,
            "already_sent": self.already_sent,
            "sent": self.sent,
            "failed": self.failed,
            "dropped": self.dropped,
            "unrouted_teams": sorted({a.team or "" for a in self.unrouted}),
            "deliveries": [d.as_dict() for d in self.deliveries],
        }


def _routes(alert: DueAlert, config: AlertConfig) -> Recipient | None:
    if alert.level == "escalate":
        return config.supervisor_for(alert.team) or config.recipient_for(alert.team)
    return config.recipient_for(alert.team)


def _channels(recipient: Recipient) -> tuple[str, ...]:
    return tuple(
        c
        for c, present in (("email", bool(recipient.email)), ("webhook", bool(recipient.webhook)))
        if present
    )


def deliver_alerts(
    con: duckdb.DuckDBPyConnection,
    report: AlertReport,
    config: AlertConfig,
    senders: Mapping[str, Sender],
    *,
    run: str = "servflow",
    now: datetime | None = None,
) -> DeliveryReport:
    """Send the alerts of `report` not delivered yet, one digest per recipient and channel, and
    record every attempt. Channels without a sender in `senders` are left for a later run."""
    log = report.log_name
    delivered = {
        (t, r, lv, s, c, rc)
        for t, r, lv, s, c, rc in store.run_sql(con, "alerts_delivered", log_name=log).fetchall()
    }
    pending: dict[tuple[str, str], list[DueAlert]] = {}
    recipients: dict[str, Recipient] = {}
    unrouted: list[DueAlert] = []
    due_keys: set[tuple[Any, ...]] = set()
    skipped = 0
    for alert in report.alerts:
        recipient = _routes(alert, config)
        if recipient is None:
            unrouted.append(alert)
            continue
        recipients[recipient.name] = recipient
        for channel in _channels(recipient):
            key = (alert.ticket, alert.rule, alert.level, alert.since, channel, recipient.name)
            due_keys.add(key)
            if key in delivered:
                skipped += 1
            elif channel in senders:
                pending.setdefault((recipient.name, channel), []).append(alert)

    stamp = utc_now() if now is None else now
    dropped = _drop_moved_on(con, log, due_keys, report.as_of, stamp, run)
    deliveries = []
    for (name, channel), alerts in sorted(pending.items()):
        digest = Digest(log, report.as_of, recipients[name], channel, tuple(alerts))
        try:
            senders[channel](digest)
            outcome, error = "sent", None
        except Exception as exc:  # any failure of the server or network: record, retry later
            outcome, error = "failed", f"{type(exc).__name__}: {exc}"[:1000]
        rows = [
            (
                log,
                a.ticket,
                a.rule,
                a.level,
                a.since,
                channel,
                name,
                a.activity,
                a.threshold_s,
                report.as_of,
                stamp,
                outcome,
                error,
                run,
            )
            for a in alerts
        ]
        with store.transaction(con):
            con.executemany(store.sql("alerts_record"), rows)
        deliveries.append(
            Delivery(name, channel, len({a.ticket for a in alerts}), len(alerts), outcome, error)
        )
    return DeliveryReport(
        log_name=log,
        as_of=report.as_of,
        due=len(report.alerts),
        already_sent=skipped,
        deliveries=tuple(deliveries),
        unrouted=tuple(unrouted),
        dropped=dropped,
    )


def send_due_alerts(
    database: str | os.PathLike[str],
    log_names: Sequence[str],
    config: AlertConfig,
    senders: Mapping[str, Sender],
    *,
    now: datetime,
    run: str = "servflow",
) -> tuple[DeliveryReport, ...]:
    """The scheduled step: for each stored log of `log_names`, find the alerts due as of `now`
    (capped at the log's last event) and deliver them. Logs not stored yet are skipped."""
    from mining.errors import UnknownLogError
    from servflow.alerts.due import find_due_alerts

    reports = []
    with store.connect(database) as con:
        for name in log_names:
            try:
                due = find_due_alerts(con, name, config, as_of=now, cap_at_last_event=True)
            except UnknownLogError:
                continue
            reports.append(deliver_alerts(con, due, config, senders, run=run))
    return tuple(reports)


def _drop_moved_on(
    con: duckdb.DuckDBPyConnection,
    log: str,
    due_keys: set[tuple[Any, ...]],
    as_of: datetime,
    stamp: datetime,
    run: str,
) -> int:
    """Record as dropped the failed alerts that are no longer due (the ticket moved on)."""
    rows = []
    for ticket, rule, level, since, channel, recipient, activity, threshold in store.run_sql(
        con, "alerts_undelivered", log_name=log
    ).fetchall():
        if (ticket, rule, level, since, channel, recipient) in due_keys:
            continue
        rows.append(
            (
                log,
                ticket,
                rule,
                level,
                since,
                channel,
                recipient,
                activity,
                threshold,
                as_of,
                stamp,
                "dropped",
                "the ticket moved on before the alert was delivered",
                run,
            )
        )
    if rows:
        with store.transaction(con):
            con.executemany(store.sql("alerts_record"), rows)
    return len(rows)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _one_line(text: str) -> str:
    """Log text on one line, control characters as visible escapes."""
    return printable(" ".join(str(text).split()))


# Labels appear mid-line, after servflow's own text: only inline markup needs escaping.
_MARKDOWN_SPECIAL = set("\\`*_{}[]()|~")


def escape_markdown(text: str) -> str:
    """Log text as literal markdown: special characters backslash-escaped, `<`, `>` and `&` as
    entities (chat robots render a few HTML tags), one line.

    >>> escape_markdown("**urgent** <font color=red>[x](http://e.vil)</font>")
    '\\\\*\\\\*urgent\\\\*\\\\* &lt;font color=red&gt;\\\\[x\\\\]\\\\(http://e.vil\\\\)&lt;/font&gt;'
    """
    out = []
    for ch in _one_line(text):
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch in _MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def post_json(url: str, payload: Mapping[str, Any], *, timeout: float = 10.0) -> None:
    """POST `payload` as UTF-8 JSON; raise unless the server answers 2xx and, where it answers
    JSON with an `errcode` (WeCom, DingTalk), errcode 0."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # the configured URL only
        answer = response.read(65536)
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        return
    if isinstance(data, dict) and data.get("errcode", 0) not in (0, "0"):
        raise RuntimeError(
            f"webhook refused the message: errcode {data.get('errcode')}: {data.get('errmsg')}"
        )


def webhook_sender(*, timeout: float = 10.0) -> Sender:
    """POST each digest's JSON payload to its recipient's configured webhook URL."""

    def send(digest: Digest) -> None:
        if not digest.recipient.webhook:
            raise ValueError(f"recipient {digest.recipient.name!r} has no webhook URL")
        post_json(digest.recipient.webhook, digest.payload, timeout=timeout)

    return send


def email_message(digest: Digest, from_email: str) -> EmailMessage:
    """The digest as a UTF-8 e-mail with a plain-text and an HTML part."""
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = from_email
    message["To"] = ", ".join(digest.recipient.email)
    message.set_content(digest.text)
    message.add_alternative(digest.html, subtype="html")
    return message


def smtp_sender(
    host: str,
    port: int,
    from_email: str,
    *,
    starttls: bool = False,
    user: str | None = None,
    password: str | None = None,
    timeout: float = 10.0,
) -> Sender:
    """Send each digest by SMTP (standard library), to its recipient's configured addresses."""

    def send(digest: Digest) -> None:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            if starttls:
                smtp.starttls()
            if user:
                smtp.login(user, password or "")
            smtp.send_message(email_message(digest, from_email))

    return send
