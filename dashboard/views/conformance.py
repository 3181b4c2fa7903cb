"""Conformance: how well the tickets follow a reference model (BPMN/PNML), and where they deviate."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.ui import t
from mining.errors import ServflowError

MODEL_SUFFIXES = (".bpmn", ".pnml")


def _models_folder(database: str) -> Path:
    configured = os.environ.get("SERVFLOW_MODELS")
    return Path(configured) if configured else Path(database).resolve().parent / "models"


def _show(summary: dict[str, Any], variants: list[Any], deviations: list[Any]) -> None:
    cols = st.columns(3)
    cols[0].metric(t("log_fitness"), ui.share(summary.get("log_fitness")))
    cols[1].metric(t("fitting_share"), ui.share(summary.get("fitting_case_share")))
    cols[2].metric(t("col_cases"), f"{summary.get('cases_aligned') or 0:,}")
    if summary.get("left_out_note"):
        st.text(str(summary["left_out_note"]))
    st.subheader(t("deviations"))
    st.dataframe(
        pd.DataFrame(
            {
                t("col_activity"): [d["activity"] for d in deviations],
                t("col_kind"): [d["kind"] for d in deviations],
                t("col_cases"): [d["cases"] for d in deviations],
                t("col_share"): [ui.share(d["case_share"]) for d in deviations],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.subheader(t("variant_fitness"))
    st.dataframe(
        pd.DataFrame(
            {
                t("col_cases"): [v["cases"] for v in variants],
                t("col_fitness"): [ui.share(v["fitness"]) for v in variants],
                t("col_steps"): [ui.steps(v["activities"]) for v in variants],
            }
        ),
        hide_index=True,
        width="stretch",
    )


def _as_rows(result: Any) -> tuple[dict[str, Any], list[Any], list[Any]]:
    from dataclasses import asdict

    summary = {
        "log_fitness": result.log_fitness,
        "fitting_case_share": result.fitting_case_share,
        "cases_aligned": result.cases_aligned,
        "left_out_note": result.left_out_note,
    }
    return (
        summary,
        [asdict(v) for v in result.variant_fitness],
        [asdict(d) for d in result.deviations],
    )


st.header(t("conformance"))
view = ui.require_view()
report = ui.require_run(view) if view is not None else None
if view is not None and report is not None:
    ctx = ui.context()
    ui.log_title(view)
    choice = st.radio(
        t("reference_model"),
        ["run", "file", "upload"],
        format_func=lambda c: t(
            {"run": "model_run", "file": "model_file", "upload": "model_upload"}[c]
        ),
        horizontal=True,
        key="sf_conf_choice",
    )
    model_path: Path | None = None
    if choice == "file":
        folder = _models_folder(ctx.source.database)
        files = (
            sorted(p for p in folder.glob("*") if p.suffix.lower() in MODEL_SUFFIXES)
            if folder.is_dir()
            else []
        )
        if not files:
            st.info(t("no_model_files", folder=ui.md_escape(str(folder))))
        else:
            model_path = st.selectbox(
                t("model_choose"), files, format_func=lambda p: p.name, key="sf_conf_file"
            )
    elif choice == "upload":
        uploaded = st.file_uploader(
            t("model_upload"), type=["bpmn", "pnml"], max_upload_size=5, key="sf_conf_upload"
        )
        if uploaded is not None:
            content = uploaded.getvalue()
            folder = Path(tempfile.gettempdir()) / "servflow-models"
            folder.mkdir(exist_ok=True)
            suffix = ".pnml" if uploaded.name.lower().endswith(".pnml") else ".bpmn"
            model_path = folder / (hashlib.sha256(content).hexdigest()[:16] + suffix)
            model_path.write_bytes(content)

    if choice == "run":
        found = report["summary"].get("conformance") or {}
        if found.get("available") is False:
            st.info(t("conformance_none"))
        else:
            if found.get("model_source"):
                st.text(f"{t('reference_model')}: {found['model_source']}")
            _show(found, report["conformance_variants"], report["deviations"])
    elif model_path is not None:
        digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
        try:
            with st.spinner():
                checked = data.conformance_against(view, ctx.flt, str(model_path), digest)
        except ServflowError as exc:
            st.error(t("check_failed"))
            st.text(str(exc))
        else:
            _show(*_as_rows(checked))
