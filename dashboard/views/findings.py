"""Bottlenecks, rework, ping-pong, break points and SLA: ranked, with the tickets behind each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.graph import format_duration
from dashboard.ui import t
from mining.explore import CaseSelection
from mining.filters import LogFilter


def _section(
    view: data.View,
    flt: LogFilter,
    rows: list[dict[str, Any]],
    columns: dict[str, Callable[[dict[str, Any]], Any]],
    label: Callable[[dict[str, Any]], str],
    selection: Callable[[dict[str, Any]], CaseSelection],
    key: str,
) -> None:
    if not rows:
        st.info(t("none_found"))
        return
    st.dataframe(
        pd.DataFrame({name: [get(r) for r in rows] for name, get in columns.items()}),
        hide_index=True,
        width="stretch",
    )
    picked = st.selectbox(
        t("pick_finding"),
        range(len(rows)),
        format_func=lambda i: f"{i + 1}. {label(rows[i])}",
        key=f"{key}_pick",
    )
    if picked is not None:
        st.subheader(t("tickets_behind"))
        ui.drilldown(view, selection(rows[picked]), flt, key=key)


st.header(t("findings"))
view = ui.require_view()
report = ui.require_run(view) if view is not None else None
if view is not None and report is not None:
    ctx = ui.context()
    ui.log_title(view)
    tabs = st.tabs([t("bottlenecks"), t("rework"), t("pingpong"), t("breakpoints"), t("sla")])
    with tabs[0]:
        st.caption(t("bottlenecks_help"))
        _section(
            view,
            ctx.flt,
            report["bottlenecks"][:50],
            {
                t("col_source"): lambda r: r["source"],
                t("col_target"): lambda r: r["target"],
                t("col_count"): lambda r: r["count"],
                t("col_median"): lambda r: format_duration(r["median_s"]),
                t("col_p90"): lambda r: format_duration(r["p90_s"]),
                t("col_delay_share"): lambda r: ui.share(r["delay_share"]),
                t("col_delay_per_case"): lambda r: format_duration(r["delay_per_case_s"]),
            },
            lambda r: f"{r['source']} → {r['target']}",
            lambda r: CaseSelection.edge(r["source"], r["target"]),
            "sf_bottleneck",
        )
    with tabs[1]:
        _section(
            view,
            ctx.flt,
            report["rework"][:50],
            {
                t("col_activity"): lambda r: r["activity"],
                t("col_cases"): lambda r: r["cases"],
                t("col_share"): lambda r: ui.share(r["share"]),
                t("col_repetitions"): lambda r: r["repetitions"],
                t("col_extra_time"): lambda r: format_duration(r["extra_time_s"]),
            },
            lambda r: str(r["activity"]),
            lambda r: CaseSelection.repeated(r["activity"]),
            "sf_rework",
        )
    with tabs[2]:
        _section(
            view,
            ctx.flt,
            report["pingpong"][:50],
            {
                t("col_level"): lambda r: r["level"],
                t("col_pair"): lambda r: " ⇄ ".join(r["activities"]),
                t("col_cases"): lambda r: r["cases"],
                t("col_count"): lambda r: r["occurrences"],
                t("col_share"): lambda r: ui.share(r["share"]),
            },
            lambda r: f"[{r['level']}] " + " ⇄ ".join(r["activities"]),
            lambda r: CaseSelection.pingpong(
                r["activities"][0], r["activities"][1], level=r["level"]
            ),
            "sf_pingpong",
        )
    with tabs[3]:
        st.caption(t("breakpoints_help"))
        stalled = tuple(c["case_id"] for c in report["stalled_cases"])
        _section(
            view,
            ctx.flt,
            report["breakpoints"][:50],
            {
                t("col_activity"): lambda r: r["activity"],
                t("stalled"): lambda r: r["stalled_cases"],
                t("col_dropout"): lambda r: ui.share(r["dropout_share"]),
                t("col_idle"): lambda r: format_duration(r["median_idle_s"]),
            },
            lambda r: str(r["activity"]),
            lambda r: CaseSelection.case_ids(stalled, r["activity"]),
            "sf_breakpoint",
        )
    with tabs[4]:
        if not report["sla"]:
            st.info(t("sla_none"))
        else:
            st.caption(t("sla_help"))
            attribute = report["options"].get("sla_attribute")
            judged = report["summary"].get("sla") or {}
            ends = tuple(judged.get("end_activities") or ())
            as_of = report["as_of"]
            _section(
                view,
                ctx.flt,
                report["sla"],
                {
                    t("col_type"): lambda r: r["ticket_type"],
                    t("col_target_time"): lambda r: format_duration(r["target_s"]),
                    t("col_cases"): lambda r: r["cases"],
                    t("col_breached"): lambda r: r["breached"],
                    t("col_share"): lambda r: ui.share(r["breach_share"]),
                    t("col_median"): lambda r: format_duration(r["median_lead_time_s"]),
                    t("col_p90"): lambda r: format_duration(r["p90_lead_time_s"]),
                },
                lambda r: str(r["ticket_type"]),
                lambda r: CaseSelection.longer_than(
                    r["target_s"],
                    attribute,
                    r["ticket_type"],
                    as_of=as_of,
                    end_activities=ends,
                ),
                "sf_sla",
            )
