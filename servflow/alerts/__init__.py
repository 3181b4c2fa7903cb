"""Reminders and escalations for stalled and overdue tickets (时限、提醒、升级、催促).

`find_due_alerts` lists the tickets due now under the rules (configured, from the optimization
step's time-limit rules, or learned from the break-point thresholds); `deliver_alerts` sends one
digest per recipient and channel and records each alert in `sent_alerts`, so nothing is sent
twice; `sent_alert_history` lists what was sent; `alert_effect` measures whether reminders
made tickets move sooner.
"""

from servflow.alerts.config import AlertConfig, alert_config_from_mapping, read_alert_config
from servflow.alerts.deliver import (
    Delivery,
    DeliveryReport,
    Digest,
    deliver_alerts,
    send_due_alerts,
    smtp_sender,
    webhook_sender,
)
from servflow.alerts.due import AlertReport, DueAlert, find_due_alerts
from servflow.alerts.effect import RuleEffect, alert_effect
from servflow.alerts.history import SentAlert, sent_alert_history
from servflow.alerts.rules import AlertRule, RuleSet, alert_rules

__all__ = [
    "AlertConfig",
    "AlertReport",
    "AlertRule",
    "Delivery",
    "DeliveryReport",
    "Digest",
    "DueAlert",
    "RuleEffect",
    "RuleSet",
    "SentAlert",
    "alert_config_from_mapping",
    "alert_effect",
    "alert_rules",
    "deliver_alerts",
    "find_due_alerts",
    "read_alert_config",
    "send_due_alerts",
    "sent_alert_history",
    "smtp_sender",
    "webhook_sender",
]
