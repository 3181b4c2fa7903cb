"""Data: the stored logs, their loads and data-quality reports; upload and mine a new log."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.ui import t
from mining.errors import ServflowError

ROLES = ("case", "activity", "timestamp", "resource", "team", "start_timestamp", "lifecycle")
UPLOAD_MB = int(os.environ.get("SERVFLOW_UPLOAD_MAX_MB", "200"))


def _stored_logs(ctx: ui.Context) -> None:
    st.subheader(t("stored_logs"))
    version = data.snapshot_version(ctx.source.snapshot)
    rows = data.logs(ctx.source.snapshot, version) if version else []
    if not rows:
        st.info(t("no_logs"))
        return
    st.dataframe(
        pd.DataFrame(
            {
                t("col_name"): [r["name"] for r in rows],
                t("col_cases"): [r["cases"] for r in rows],
                t("col_events"): [r["events"] for r in rows],
                t("col_first"): [r["first_event"] for r in rows],
                t("col_last"): [r["last_event"] for r in rows],
                t("col_loads"): [r["loads"] for r in rows],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    if ctx.view is None:
        return
    st.subheader(t("loads"))
    ui.log_title(ctx.view)
    report = data.quality(ctx.view.snapshot, ctx.view.version, ctx.view.log)
    loads = report["loads"]
    st.dataframe(
        pd.DataFrame(
            {
                t("col_load"): [x["load_id"] for x in loads],
                t("col_file"): [x["source_path"] for x in loads],
                t("col_loaded_at"): [x["loaded_at"] for x in loads],
                t("col_rows_read"): [x["rows_read"] for x in loads],
                t("col_rows_loaded"): [x["rows_loaded"] for x in loads],
                t("col_rows_rejected"): [x["rows_rejected"] for x in loads],
                t("col_severity"): [x["max_severity"] for x in loads],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    findings = [dict(f, load=x["load_id"]) for x in loads for f in x["findings"]]
    if findings:
        st.dataframe(
            pd.DataFrame(
                {
                    t("col_load"): [f["load"] for f in findings],
                    t("col_severity"): [f["severity"] for f in findings],
                    t("col_finding"): [f["pattern"] for f in findings],
                    t("col_message"): [f["message"] for f in findings],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    rejected = [dict(r, load=x["load_id"]) for x in loads for r in x["rejected_rows"]]
    if rejected:
        st.caption(t("rejected_rows"))
        st.dataframe(
            pd.DataFrame(
                {
                    t("col_load"): [r["load"] for r in rejected],
                    t("col_row"): [r["source_row"] for r in rejected],
                    t("col_reason"): [r["reason"] for r in rejected],
                }
            ),
            hide_index=True,
            width="stretch",
        )


def _publish(ctx: ui.Context) -> None:
    from servflow.pipeline import publish_snapshot

    publish_snapshot(ctx.source.database, ctx.source.snapshot)
    data.clear()


def _upload(ctx: ui.Context) -> None:
    st.subheader(t("upload"))
    if not ctx.source.uploads:
        st.info(t("upload_disabled"))
        return
    st.caption(t("upload_help", mb=UPLOAD_MB))
    uploaded = st.file_uploader(
        t("upload"),
        type=["csv", "tsv", "txt", "gz", "xes", "parquet", "pq", "jsonl", "ndjson", "json"],
        max_upload_size=UPLOAD_MB,
        key="sf_upload",
        label_visibility="collapsed",
    )
    if uploaded is None:
        return
    content = uploaded.getvalue()
    if len(content) > UPLOAD_MB * 1024 * 1024:
        st.error(t("upload_too_big", mb=UPLOAD_MB))
        return
    digest = hashlib.sha256(content).hexdigest()
    name = re.sub(r"[^\w.\-]+", "_", Path(uploaded.name).name).lstrip(".") or "upload.csv"
    folder = Path(tempfile.gettempdir()) / "servflow-uploads" / digest[:16]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        path.write_bytes(content)
    from mining.explore import preview_source

    try:
        preview = preview_source(path)
    except ServflowError as exc:
        st.error(t("load_failed"))
        st.text(str(exc))
        return
    st.text(t("file_columns", rows=f"{preview.rows:,}") + ", ".join(preview.columns))
    st.subheader(t("column_mapping"))
    with st.form("sf_mapping"):
        default_name = re.sub(r"\.(csv|tsv|txt|xes|parquet|pq|jsonl|ndjson|json)(\.gz)?$", "", name)
        log_name = st.text_input(t("log_name"), value=default_name)
        chosen: dict[str, str | None] = {}
        options = ["", *preview.columns]
        for role in ROLES:
            detected = preview.detected.get(role)
            chosen[role] = st.selectbox(
                t(f"role_{role}"),
                options,
                index=options.index(detected) if detected in options else 0,
                format_func=lambda c: c if c else t("none_column"),
                key=f"sf_map_{role}",
            )
        timestamp_format = st.text_input(t("timestamp_format"), value="")
        timezone = st.text_input(t("timezone"), value="")
        fail_on = st.selectbox(t("fail_on"), ["error", "warning", "never"])
        submitted = st.form_submit_button(t("load_button"))
    if submitted:
        from mining.ingest import IngestOptions
        from servflow.pipeline import ingest_paths

        options_ = IngestOptions(
            log_name=log_name.strip() or None,
            # an empty choice switches the role off, as `--team ''` does on the command line
            case=chosen["case"] or "",
            activity=chosen["activity"] or "",
            timestamp=chosen["timestamp"] or "",
            resource=chosen["resource"] or "",
            team=chosen["team"] or "",
            start_timestamp=chosen["start_timestamp"] or "",
            lifecycle=chosen["lifecycle"] or "",
            timestamp_format=timestamp_format.strip() or None,
            timezone=timezone.strip() or None,
            fail_on=None if fail_on == "never" else fail_on,
        )
        try:
            with st.spinner():
                results = ingest_paths([path], db_path=ctx.source.database, options=options_)
                _publish(ctx)
        except ServflowError as exc:
            st.error(t("load_failed"))
            st.text(str(exc))
            return
        for r in results:
            if r.already_loaded:
                st.info(t("already_loaded"))
            else:
                st.success(t("loaded", events=f"{r.events_added:,}", cases=f"{r.cases_added:,}"))
            for f in r.findings:
                st.text(f"[{f.severity}] {f.code}: {f.message}")
        st.session_state["sf_mine_log"] = results[0].log_name if results else None


def _mine(ctx: ui.Context) -> None:
    if not ctx.source.uploads:
        return
    log = st.session_state.get("sf_mine_log") or (ctx.view.log if ctx.view else None)
    if not log:
        return
    st.text(f"{t('log')}: {log}")
    if st.button(t("mine_now"), key="sf_mine_now"):
        from servflow.pipeline import mine

        try:
            with st.spinner():
                run = mine(ctx.source.database, log)
                _publish(ctx)
        except ServflowError as exc:
            st.error(t("mine_failed"))
            st.text(str(exc))
        else:
            st.success(t("mined", run=run.run_id))


st.header(t("data"))
context = ui.context()
_stored_logs(context)
_upload(context)
_mine(context)
