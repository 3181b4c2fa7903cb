"""servflow dashboard: the entry script, a router over thin pages (in `views/`).

The pages are deliberately not in a folder named `pages/`: Streamlit treats such a folder beside
the entry script as old-style pages until `st.navigation` first runs, so the first request after
a start could open a page directly by URL, without this script's login check.

Run it with `servflow dashboard [--db FILE]`; it reads the database's published read-only
snapshot (see `dashboard.data`).
"""

from __future__ import annotations

import streamlit as st

from dashboard import ui
from dashboard.access import policy_from_env

st.set_page_config(page_title="servflow", page_icon=":material/account_tree:", layout="wide")


def _gate() -> bool:
    """Whether this visitor may see the dashboard (OIDC login and allow-list, when on)."""
    policy = policy_from_env()
    if not policy.enabled:
        return True
    logged_in = bool(getattr(st.user, "is_logged_in", False))
    # an address the provider has not verified does not count for the allow-list
    verified = st.user.get("email_verified", True) is not False
    email = st.user.get("email") if logged_in and verified else None
    decision = policy.decide(logged_in, str(email) if email else None)
    if decision == "allowed":
        st.sidebar.button(ui.t("logout"), on_click=st.logout, key="sf_logout")
    return decision in ("open", "allowed")


def _locked() -> None:
    """The only page a visitor who is not logged in, or not on the allow-list, can reach."""
    if bool(getattr(st.user, "is_logged_in", False)):
        st.error(ui.t("not_allowed"))
        st.button(ui.t("logout"), on_click=st.logout, key="sf_logout")
    else:
        st.info(ui.t("login_needed"))
        st.button(ui.t("login"), on_click=st.login, key="sf_login")


if not _gate():
    # a navigation with the one locked page: no other page (or URL) of the app is reachable
    st.navigation([st.Page(_locked, title="servflow", url_path="login")], position="hidden").run()
    st.stop()

context = ui.sidebar()
st.session_state["sf_context"] = context

pages = [
    st.Page("views/overview.py", title=ui.t("overview"), icon=":material/dashboard:", default=True),
    st.Page("views/process_map.py", title=ui.t("process_map"), icon=":material/account_tree:"),
    st.Page("views/variants.py", title=ui.t("variants"), icon=":material/alt_route:"),
    st.Page("views/findings.py", title=ui.t("findings"), icon=":material/warning:"),
    st.Page("views/conformance.py", title=ui.t("conformance"), icon=":material/rule:"),
    st.Page("views/candidates.py", title=ui.t("candidates"), icon=":material/auto_fix_high:"),
    st.Page("views/alerts.py", title=ui.t("alerts"), icon=":material/notifications_active:"),
    st.Page("views/export.py", title=ui.t("export"), icon=":material/download:"),
    st.Page("views/data.py", title=ui.t("data"), icon=":material/database:"),
]
# Errors reach the browser only as a redacted notice (client.showErrorDetails = "none", set by
# `servflow dashboard` and .streamlit/config.toml); the traceback stays in the server log.
st.navigation(pages).run()
