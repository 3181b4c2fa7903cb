"""The alerts sent so far: every recorded delivery attempt of a log, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from mining import store

__all__ = ["SentAlert", "sent_alert_history"]


@dataclass(frozen=True, slots=True)
class SentAlert:
    """One recorded attempt to deliver an alert (a row of `sent_alerts`): `outcome` is sent,
    failed (with `error`) or dropped (the ticket moved on before a retry succeeded)."""

    ticket: str
    rule: str
    level: str
    since: datetime
    channel: str
    recipient: str
    activity: str
    threshold_s: float
    as_of: datetime
    attempted_at: datetime
    outcome: str
    error: str | None
    run: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket,
            "rule": self.rule,
            "level": self.level,
            "since": self.since.isoformat(),
            "channel": self.channel,
            "recipient": self.recipient,
            "activity": self.activity,
            "threshold_s": self.threshold_s,
            "as_of": self.as_of.isoformat(),
            "attempted_at": self.attempted_at.isoformat(),
            "outcome": self.outcome,
            "error": self.error,
            "run": self.run,
        }


def sent_alert_history(
    con: duckdb.DuckDBPyConnection, log_name: str, *, limit: int = 5000
) -> tuple[SentAlert, ...]:
    """The recorded delivery attempts of `log_name`, newest first (at most `limit`); empty when
    none were made or the database predates alerts (no `sent_alerts` table). Only reads."""
    try:
        rows = store.run_sql(con, "alerts_history", log_name=log_name, limit=limit).fetchall()
    except duckdb.CatalogException:
        return ()
    return tuple(
        SentAlert(
            ticket=str(ticket),
            rule=rule,
            level=level,
            since=since,
            channel=channel,
            recipient=recipient,
            activity=activity,
            threshold_s=float(threshold_s),
            as_of=as_of,
            attempted_at=attempted_at,
            outcome=outcome,
            error=error,
            run=run,
        )
        for (
            ticket,
            rule,
            level,
            since,
            channel,
            recipient,
            activity,
            threshold_s,
            as_of,
            attempted_at,
            outcome,
            error,
            run,
        ) in rows
    )
