"""Export: the audit pack of the current log and filters, as one ZIP to download."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import streamlit as st

from dashboard import data, ui
from dashboard.ui import t
from mining.errors import ServflowError

st.header(t("export"))
view = ui.require_view()
if view is not None:
    ctx = ui.context()
    ui.log_title(view)
    st.caption(t("export_intro"))
    if not data.export_available():
        st.info(t("export_missing"))
    elif st.button(t("export_build"), key="sf_export_build"):
        with tempfile.TemporaryDirectory(prefix="servflow-export-") as folder:
            try:
                with st.spinner():
                    data.export_pack(view, ctx.flt, folder)
            except ServflowError as exc:
                st.error(t("load_failed"))
                st.text(str(exc))
            else:
                buffer = io.BytesIO()
                names = []
                with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
                    for path in sorted(Path(folder).rglob("*")):
                        if path.is_file():
                            name = path.relative_to(folder).as_posix()
                            pack.write(path, name)
                            names.append(name)
                st.session_state["sf_export_zip"] = buffer.getvalue()
                st.session_state["sf_export_names"] = names
    if st.session_state.get("sf_export_zip"):
        st.caption(t("export_files"))
        st.text("\n".join(st.session_state.get("sf_export_names", [])))
        st.download_button(
            t("export_download"),
            st.session_state["sf_export_zip"],
            file_name=f"servflow-audit-run{view.run_id or 0}.zip",
            mime="application/zip",
            key="sf_export_download",
        )
