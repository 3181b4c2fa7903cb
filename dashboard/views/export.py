"""Export: the audit pack of the current run and filters, as one ZIP to download."""

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
report = ui.require_run(view) if view is not None else None
if view is not None and report is not None:
    ctx = ui.context()
    ui.log_title(view)
    st.caption(t("export_intro"))
    if not data.export_available():
        st.info(t("export_missing"))
    else:
        formats = data.export_formats()
        chosen = st.multiselect(
            t("export_formats"), list(formats), default=list(formats), key="sf_export_formats"
        )
        for name in chosen:
            st.text(f"{name}: {formats[name]}")
        if st.button(t("export_build"), key="sf_export_build", disabled=not chosen):
            with tempfile.TemporaryDirectory(prefix="servflow-export-") as folder:
                try:
                    with st.spinner():
                        result = data.export_pack(view, ctx.flt, folder, tuple(chosen))
                except ServflowError as exc:
                    st.error(t("export_failed"))
                    st.text(str(exc))
                else:
                    buffer = io.BytesIO()
                    names = []
                    root = Path(result.path)
                    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
                        for path in sorted(root.rglob("*")):
                            if path.is_file():
                                name = f"{root.name}/{path.relative_to(root).as_posix()}"
                                pack.write(path, name)
                                names.append(name)
                    st.session_state["sf_export_zip"] = (root.name, buffer.getvalue(), names)
        built = st.session_state.get("sf_export_zip")
        if built:
            name, content, names = built
            st.caption(t("export_files"))
            st.text("\n".join(names))
            st.download_button(
                t("export_download"),
                content,
                file_name=f"{name}.zip",
                mime="application/zip",
                key="sf_export_download",
            )
