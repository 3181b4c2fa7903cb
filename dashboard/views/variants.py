"""Variants: the most common paths, and the tickets of the one picked."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.graph import format_duration
from dashboard.ui import t
from mining.explore import CaseSelection

st.header(t("variants"))
view = ui.require_view()
if view is not None:
    ctx = ui.context()
    ui.log_title(view)
    found = data.variants(view, ctx.flt, 50)
    if not found:
        st.info(t("filtered_out_all"))
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "#": range(1, len(found) + 1),
                    t("col_cases"): [v.count for v in found],
                    t("col_share"): [ui.share(v.share) for v in found],
                    t("col_median"): [format_duration(v.median_lead_time_s) for v in found],
                    t("col_mean"): [format_duration(v.mean_lead_time_s) for v in found],
                    t("col_steps"): [ui.steps(v.activities) for v in found],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        picked = st.selectbox(
            t("pick_variant"),
            range(len(found)),
            format_func=lambda i: f"#{i + 1} ({found[i].count:,}): {ui.steps(found[i].activities)}",
            key="sf_variant_pick",
        )
        if picked is not None:
            st.subheader(t("tickets_behind"))
            ui.drilldown(
                view, CaseSelection.variant(found[picked].activities), ctx.flt, key="sf_variant"
            )
