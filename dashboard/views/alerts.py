"""Alerts: the tickets due for a reminder or an escalation now, per team; the alerts sent so far;
and whether each rule makes tickets move sooner. Only reads the published snapshot."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.graph import format_duration
from dashboard.ui import t
from mining.errors import ServflowError


def _level(kind: str, level: str) -> str:
    name = t(f"level_{level}")
    return t("level_sla", level=name) if kind == "sla" else name


def _due(view: data.View) -> None:
    st.subheader(t("alerts_due"))
    try:
        report = data.alerts_due(view, data.alerts_config_file())
    except ServflowError as exc:
        st.error(t("alerts_config_failed"))
        st.text(str(exc))
        return
    st.caption(
        t("alerts_as_of", as_of=f"{report.as_of:%Y-%m-%d %H:%M}", waiting=f"{report.waiting:,}")
    )
    cols = st.columns(3)
    cols[0].metric(t("alerts_tickets_due"), f"{len(report.tickets()):,}")
    cols[1].metric(t("alerts_reminders"), f"{len(report.tickets('remind')):,}")
    cols[2].metric(t("alerts_escalations"), f"{len(report.tickets('escalate')):,}")
    if not report.alerts:
        st.info(t("alerts_nothing_due"))
        return
    for team, alerts in report.by_team().items():
        name = team if team is not None else t("alerts_no_team")
        st.text(t("alerts_team_tickets", team=name, n=f"{len({a.ticket for a in alerts}):,}"))
        st.dataframe(
            pd.DataFrame(
                {
                    t("col_case"): [a.ticket for a in alerts],
                    t("col_rule"): [a.rule for a in alerts],
                    t("col_alert_level"): [_level(a.kind, a.level) for a in alerts],
                    t("col_last_activity"): [a.activity for a in alerts],
                    t("col_holder"): [a.team for a in alerts],
                    t("col_last_team"): [a.last_team for a in alerts],
                    t("col_resource"): [a.resource for a in alerts],
                    t("col_waiting_since"): [a.since for a in alerts],
                    t("col_waited"): [format_duration(a.waited_s) for a in alerts],
                    t("col_limit"): [format_duration(a.threshold_s) for a in alerts],
                    t("col_rule_source"): [a.source for a in alerts],
                }
            ),
            hide_index=True,
            width="stretch",
        )


def _history(view: data.View) -> None:
    st.subheader(t("alerts_sent"))
    sent = data.alerts_sent(view)
    if not sent:
        st.info(t("alerts_no_history"))
        return
    st.caption(t("alerts_sent_caption"))
    st.dataframe(
        pd.DataFrame(
            {
                t("col_attempted"): [s.attempted_at for s in sent],
                t("col_case"): [s.ticket for s in sent],
                t("col_rule"): [s.rule for s in sent],
                t("col_alert_level"): [t(f"level_{s.level}") for s in sent],
                t("col_last_activity"): [s.activity for s in sent],
                t("col_waiting_since"): [s.since for s in sent],
                t("col_limit"): [format_duration(s.threshold_s) for s in sent],
                t("col_channel"): [s.channel for s in sent],
                t("col_recipient"): [s.recipient for s in sent],
                t("col_outcome"): [s.outcome for s in sent],
                t("col_error"): [s.error for s in sent],
            }
        ),
        hide_index=True,
        width="stretch",
    )


def _effect(view: data.View) -> None:
    st.subheader(t("alerts_effect"))
    effects = data.alerts_effect(view)
    if not effects:
        st.info(t("alerts_no_effect"))
        return
    st.caption(t("alerts_effect_caption"))
    st.dataframe(
        pd.DataFrame(
            {
                t("col_rule"): [e.rule for e in effects],
                t("col_activity"): [e.activity for e in effects],
                t("col_limit"): [format_duration(e.threshold_s) for e in effects],
                t("col_first_alert"): [e.first_alert for e in effects],
                t("col_alerted"): [
                    f"{e.alerted_waits:,} ({e.alerted_progressed:,})" for e in effects
                ],
                t("col_alerted_median"): [ui.duration(e.alerted_median_s) for e in effects],
                t("col_baseline"): [
                    f"{e.baseline_waits:,} ({e.baseline_progressed:,})" for e in effects
                ],
                t("col_baseline_median"): [ui.duration(e.baseline_median_s) for e in effects],
                t("col_change"): [
                    t("not_available")
                    if e.median_change_s is None
                    else ("-" if e.median_change_s < 0 else "+")
                    + format_duration(abs(e.median_change_s))
                    for e in effects
                ],
            }
        ),
        hide_index=True,
        width="stretch",
    )


st.header(t("alerts"))
view = ui.require_view()
if view is not None:
    ui.log_title(view)
    st.caption(t("alerts_intro"))
    _due(view)
    _history(view)
    _effect(view)
