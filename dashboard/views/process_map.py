"""Process map: the actual flow with frequencies or waiting times, simplified by sliders."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.graph import format_duration, process_map_dot
from dashboard.ui import t

st.header(t("process_map"))
view = ui.require_view()
if view is not None:
    ctx = ui.context()
    ui.log_title(view)
    left, mid, right = st.columns(3)
    measure = (
        left.segmented_control(
            t("map_measure"),
            ["frequency", "performance"],
            format_func=t,
            default="frequency",
            key="sf_map_measure",
        )
        or "frequency"
    )
    stat = (
        mid.segmented_control(
            t("perf_stat"),
            ["median", "mean", "p90"],
            format_func=lambda s: t(f"col_{s}"),
            default="median",
            key="sf_map_stat",
            disabled=measure != "performance",
        )
        or "median"
    )
    activity_pct = right.slider(t("activities_slider"), 5, 100, 100, step=5, key="sf_map_acts")
    path_pct = right.slider(t("paths_slider"), 5, 100, 100, step=5, key="sf_map_paths")

    full = data.full_map(view, ctx.flt)
    shown = data.process_map(view, ctx.flt, activity_pct / 100, path_pct / 100)
    if full.cases == 0:
        st.info(t("filtered_out_all"))
    elif not shown.edges and not shown.activities:
        st.info(t("map_empty"))
    else:
        st.caption(
            t(
                "map_caption",
                cases=f"{full.cases:,}",
                events=f"{full.events:,}",
                nodes=len(shown.activities),
                all_nodes=len(full.activities),
                edges=len(shown.edges),
                all_edges=len(full.edges),
            )
        )
        dot = process_map_dot(
            shown,
            measure="performance" if measure == "performance" else "frequency",
            stat="mean" if stat == "mean" else "p90" if stat == "p90" else "median",
        )
        st.graphviz_chart(dot, width="stretch")
        st.subheader(t("map_edges"))
        st.dataframe(
            pd.DataFrame(
                {
                    t("col_source"): [e.source for e in shown.edges],
                    t("col_target"): [e.target for e in shown.edges],
                    t("col_count"): [e.count for e in shown.edges],
                    t("col_cases"): [e.cases for e in shown.edges],
                    t("col_median"): [format_duration(e.median_s) for e in shown.edges],
                    t("col_mean"): [format_duration(e.mean_s) for e in shown.edges],
                    t("col_p90"): [format_duration(e.p90_s) for e in shown.edges],
                }
            ),
            hide_index=True,
            width="stretch",
        )
