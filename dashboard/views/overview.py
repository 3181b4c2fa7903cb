"""Overview: how many tickets, how long they take, the scorecard, and the data's health."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.i18n import has_text
from dashboard.ui import t

st.header(t("overview"))
view = ui.require_view()
if view is not None:
    ctx = ui.context()
    ui.log_title(view)
    times = data.lead_times(view, ctx.flt)
    summary, each = times.summary, times.each_s
    if summary.cases == 0:
        st.info(t("filtered_out_all"))
    else:
        weeks = data.weekly(view, ctx.flt)
        cols = st.columns(4)
        cols[0].metric(t("tickets"), f"{summary.cases:,}")
        cols[1].metric(t("events"), f"{summary.events:,}")
        cols[2].metric(t("median_lead"), ui.duration(summary.median_s))
        cols[3].metric(t("p90_lead"), ui.duration(summary.p90_s))
        if times.first is not None and times.last is not None:
            st.text(
                f"{t('period_shown')}: {times.first:%Y-%m-%d %H:%M} … {times.last:%Y-%m-%d %H:%M} UTC"
            )

    report = ui.require_run(view)
    if report is not None:
        st.caption(
            t(
                "run_status",
                run=report["run_id"],
                mined=f"{report['mined_at']:%Y-%m-%d %H:%M}",
                as_of=f"{report['as_of']:%Y-%m-%d %H:%M}" if report["as_of"] else "-",
            )
        )
        run_summary = report["summary"]
        sla_rows = report.get("sla") or []
        run_cols = st.columns(3)
        run_cols[0].metric(
            t("rework_share"), ui.share((run_summary.get("rework") or {}).get("share_with_rework"))
        )
        run_cols[1].metric(
            t("stalled"), f"{(run_summary.get('breakpoints') or {}).get('stalled_cases', 0):,}"
        )
        run_cols[2].metric(
            t("sla_breaches"),
            f"{sum(r['breached'] for r in sla_rows):,}" if sla_rows else t("not_available"),
        )
        st.subheader(t("scorecard"))
        st.caption(t("scorecard_scope"))
        rows = []
        for name, kpi in report["kpis"].items():
            value = kpi.get("value")
            if value is None:
                shown = t("not_available")
            elif kpi.get("unit") == "share":
                shown = f"{value:.1%}"
            elif kpi.get("unit") == "seconds":
                shown = ui.duration(value)
            else:
                shown = f"{value:.2f}"
            rows.append(
                {
                    t("col_kpi"): t(f"kpi_{name}") if has_text(f"kpi_{name}") else name,
                    t("col_value"): shown,
                    t("col_definition"): kpi.get("definition"),
                    t("col_note"): kpi.get("note"),
                }
            )
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

    if summary.cases:
        left, right = st.columns(2)
        with left:
            st.subheader(t("weekly_trend"))
            trend = pd.DataFrame(
                {
                    t("col_week"): [w.week for w in weeks],
                    t("tickets"): [w.cases for w in weeks],
                    t("median_lead") + " (h)": [(w.median_lead_time_s or 0) / 3600 for w in weeks],
                }
            ).set_index(t("col_week"))
            st.bar_chart(trend[[t("tickets")]], height=220)
            st.line_chart(trend[[t("median_lead") + " (h)"]], height=180)
        with right:
            st.subheader(t("lead_distribution"))
            hours = pd.Series(each, dtype=float) / 3600
            top = float(hours.quantile(0.99)) if len(hours) else 0.0
            bins = pd.cut(hours.clip(upper=top), bins=30)
            histogram = hours.groupby(bins, observed=False).size()
            st.bar_chart(
                pd.DataFrame(
                    {
                        t("lead_distribution"): histogram.index.map(lambda b: round(b.right, 1)),
                        t("tickets"): histogram.values,
                    }
                ).set_index(t("lead_distribution")),
                height=420,
            )

    st.subheader(t("quality_latest"))
    quality = data.quality(view.snapshot, view.version, view.log)
    if quality["loads"]:
        load = quality["loads"][-1]
        load_cols = st.columns(4)
        load_cols[0].metric(t("col_rows_read"), f"{load['rows_read']:,}")
        load_cols[1].metric(t("col_rows_loaded"), f"{load['rows_loaded']:,}")
        load_cols[2].metric(t("col_rows_rejected"), f"{load['rows_rejected']:,}")
        load_cols[3].metric(t("col_severity"), str(load["max_severity"]))
        if load["findings"]:
            st.dataframe(
                pd.DataFrame(
                    {
                        t("col_severity"): [f["severity"] for f in load["findings"]],
                        t("col_finding"): [f["pattern"] for f in load["findings"]],
                        t("col_message"): [f["message"] for f in load["findings"]],
                    }
                ),
                hide_index=True,
                width="stretch",
            )
