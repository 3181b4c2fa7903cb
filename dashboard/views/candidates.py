"""Candidates: what to automate or restructure first, why, and what it would change."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.graph import format_duration
from dashboard.ui import t


def _kind_name(kind: str, names: dict[str, tuple[str, str]]) -> str:
    en, zh = names.get(kind, (kind, kind))
    return zh if ui.lang() == "zh" else en


def _signed(seconds: float) -> str:
    return ("-" if seconds < 0 else "+") + format_duration(abs(seconds))


st.header(t("candidates"))
view = ui.require_view()
report = ui.require_run(view) if view is not None else None
if view is not None and report is not None:
    ui.log_title(view)
    if not data.optimization_available():
        st.info(t("candidates_missing"))
    else:
        from optimization.model import AUTOMATION_KINDS, RESTRUCTURING_KINDS

        found = data.candidates(view)
        if found is None:
            st.info(t("candidates_none"))
        else:
            st.subheader(t("automation"))
            st.dataframe(
                pd.DataFrame(
                    {
                        "id": [c.id for c in found.automation],
                        t("col_activity"): [c.activity for c in found.automation],
                        t("col_kind"): [
                            _kind_name(c.kind, AUTOMATION_KINDS) for c in found.automation
                        ],
                        t("col_score"): [round(c.score, 3) for c in found.automation],
                        t("col_per_month"): [
                            round(c.executions_per_month, 1) for c in found.automation
                        ],
                        t("col_hours_saved"): [  # None: unknown, the log has no start times
                            None
                            if c.hours_saved_per_month is None
                            else round(c.hours_saved_per_month, 1)
                            for c in found.automation
                        ],
                        t("col_lead_change"): [
                            _signed(c.lead_time_change_s) for c in found.automation
                        ],
                        t("col_rationale"): [c.rationale for c in found.automation],
                    }
                ),
                hide_index=True,
                width="stretch",
            )
            st.subheader(t("restructuring"))
            st.dataframe(
                pd.DataFrame(
                    {
                        "id": [c.id for c in found.restructuring],
                        t("col_kind"): [
                            _kind_name(c.kind, RESTRUCTURING_KINDS) for c in found.restructuring
                        ],
                        t("col_activity"): [ui.steps(c.activities) for c in found.restructuring],
                        t("col_cases"): [c.cases for c in found.restructuring],
                        t("col_score"): [round(c.score, 3) for c in found.restructuring],
                        t("col_lead_change"): [
                            _signed(c.lead_time_change_s) for c in found.restructuring
                        ],
                        t("col_rationale"): [c.rationale for c in found.restructuring],
                    }
                ),
                hide_index=True,
                width="stretch",
            )
            if found.judgement:  # labels and reasons as data, never as Markdown
                st.subheader(t("judgement_work"))
                st.dataframe(
                    pd.DataFrame(
                        {
                            t("col_activity"): [j.activity for j in found.judgement],
                            t("col_executions"): [j.executions for j in found.judgement],
                            t("col_cases"): [j.cases for j in found.judgement],
                            t("col_reason"): [j.reason for j in found.judgement],
                        }
                    ),
                    hide_index=True,
                    width="stretch",
                )
            if found.too_rare:
                st.subheader(t("too_rare"))
                st.dataframe(
                    pd.DataFrame(
                        {
                            t("col_activity"): [r.activity for r in found.too_rare],
                            t("col_executions"): [r.executions for r in found.too_rare],
                            t("col_cases"): [r.cases for r in found.too_rare],
                        }
                    ),
                    hide_index=True,
                    width="stretch",
                )
            if found.already_automated:
                st.subheader(t("already_automated"))
                st.dataframe(
                    pd.DataFrame(
                        {
                            t("col_activity"): [a.activity for a in found.already_automated],
                            t("col_reason"): [a.reason for a in found.already_automated],
                        }
                    ),
                    hide_index=True,
                    width="stretch",
                )
            every = list(found.automation) + list(found.restructuring)
            if every:
                st.subheader(t("whatif"))
                labels = {
                    c.id: f"{c.id}: "
                    + (c.activity if hasattr(c, "activity") else ui.steps(c.activities))
                    for c in every
                }
                picked = st.selectbox(
                    t("pick_candidate"), list(labels), format_func=labels.__getitem__, key="sf_cand"
                )
                chosen = found.find(picked) if picked else None
                if chosen is not None:
                    criteria = getattr(chosen, "criteria", ())
                    if criteria:
                        st.caption(t("criteria"))
                        st.dataframe(
                            pd.DataFrame([c.as_dict() for c in criteria]),
                            hide_index=True,
                            width="stretch",
                        )
                    evidence = getattr(chosen, "evidence", ())
                    if evidence:
                        st.caption(t("col_evidence"))
                        st.dataframe(
                            pd.DataFrame([e.as_dict() for e in evidence]),
                            hide_index=True,
                            width="stretch",
                        )
                    result = data.whatif(view, picked)
                    st.text(result.change)
                    before = result.lead_time_before
                    st.text(
                        f"{t('before')}: {t('median_lead')} {ui.duration(before.median)}, "
                        f"{t('p90_lead')} {ui.duration(before.p90)}"
                    )
                    cols = st.columns(4)
                    after = result.lead_time_after
                    cols[0].metric(
                        t("median_lead"),
                        ui.duration(after.median),
                        delta=_signed((after.median or 0) - (before.median or 0)),
                        delta_color="inverse",
                    )
                    cols[1].metric(
                        t("p90_lead"),
                        ui.duration(after.p90),
                        delta=_signed((after.p90 or 0) - (before.p90 or 0)),
                        delta_color="inverse",
                    )
                    cols[2].metric(
                        t("changed_cases"), f"{result.cases_changed:,} / {result.cases:,}"
                    )
                    cols[3].metric(
                        t("work_hours"),
                        f"{result.work_hours_after:,.0f}",
                        delta=f"{result.work_hours_after - result.work_hours_before:+,.0f}",
                        delta_color="inverse",
                    )
                    st.caption(
                        t("estimate_range")
                        + f": {ui.duration(result.lead_time_after_low.median)} … "
                        f"{ui.duration(result.lead_time_after_high.median)}"
                    )
                    if result.before_sample_s and result.after_sample_s:
                        hours = pd.concat(
                            [
                                pd.DataFrame({"h": result.before_sample_s, "w": t("before")}),
                                pd.DataFrame({"h": result.after_sample_s, "w": t("after")}),
                            ]
                        )
                        hours["h"] = hours["h"] / 3600
                        top = float(hours["h"].quantile(0.99))
                        edges = [top * i / 30 for i in range(31)] if top > 0 else [0, 1]
                        hours["bin"] = pd.cut(
                            hours["h"].clip(upper=top), bins=edges, include_lowest=True
                        )
                        table = (
                            hours.groupby(["bin", "w"], observed=False)
                            .size()
                            .unstack("w")
                            .fillna(0)
                        )
                        table.index = [round(b.right, 1) for b in table.index]
                        st.caption(t("lead_distribution"))
                        st.bar_chart(table, stack=False, height=300)
                    if result.assumptions:
                        st.caption(t("assumptions"))
                        for line in result.assumptions:
                            st.text("• " + line)
