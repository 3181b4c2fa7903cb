"""Does a rule help? Time from an alert to the ticket's next progress, against tickets before it.

For each idle rule that has delivered reminders: the **alerted** waits (a ticket waiting after
the rule's activity that got a reminder) and the time from the reminder to the ticket's next
event; against the **baseline**: the waits at the same activity that passed the same time limit
before the rule sent its first reminder, measured from the moment the limit passed (when a
reminder would have gone out). A shorter median after alerts than before suggests the rule
works; the counts say how much it rests on. Waits that have not progressed yet are counted but
left out of the medians.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from mining import store

__all__ = ["RuleEffect", "alert_effect"]


@dataclass(frozen=True, slots=True)
class RuleEffect:
    """The effect of one rule (see the module docstring); medians in seconds, None when no
    wait of that group has progressed yet."""

    rule: str
    activity: str
    threshold_s: float
    first_alert: datetime
    alerted_waits: int
    alerted_progressed: int
    alerted_median_s: float | None
    baseline_waits: int
    baseline_progressed: int
    baseline_median_s: float | None

    @property
    def median_change_s(self) -> float | None:
        """Alerted minus baseline median (negative: tickets move sooner with the rule)."""
        if self.alerted_median_s is None or self.baseline_median_s is None:
            return None
        return self.alerted_median_s - self.baseline_median_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "activity": self.activity,
            "threshold_s": self.threshold_s,
            "first_alert": self.first_alert.isoformat(),
            "alerted": {
                "waits": self.alerted_waits,
                "progressed": self.alerted_progressed,
                "median_s": self.alerted_median_s,
            },
            "baseline": {
                "waits": self.baseline_waits,
                "progressed": self.baseline_progressed,
                "median_s": self.baseline_median_s,
            },
            "median_change_s": self.median_change_s,
        }


def alert_effect(con: duckdb.DuckDBPyConnection, log_name: str) -> tuple[RuleEffect, ...]:
    """The effect of every idle rule of `log_name` that has delivered reminders."""
    log_id = store.log_id_for(con, log_name)
    try:
        rows = store.run_sql(con, "alerts_effect", log_name=log_name, log_id=log_id).fetchall()
    except duckdb.CatalogException:  # a database from before alerts existed: none were sent
        return ()
    return tuple(
        RuleEffect(
            rule=rule,
            activity=activity,
            threshold_s=float(threshold),
            first_alert=first,
            alerted_waits=int(a_n),
            alerted_progressed=int(a_p),
            alerted_median_s=None if a_m is None else float(a_m),
            baseline_waits=int(b_n),
            baseline_progressed=int(b_p),
            baseline_median_s=None if b_m is None else float(b_m),
        )
        for rule, activity, threshold, first, a_n, a_p, a_m, b_n, b_p, b_m in rows
    )
