"""What every page shares: the language, the chosen log and filters, and safe ways to show text.

Text from a log (activity, team, ticket, attribute names and values, log names) is shown only
through `st.text`, tables (`st.dataframe`), widget options and escaped DOT labels; never through
Markdown or HTML (`st.markdown`, `st.write`, widget or metric labels), where a label such as
`[x](javascript:...)` would become a link.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import streamlit as st

from dashboard import data
from dashboard.graph import format_duration
from dashboard.i18n import LANGUAGES, Lang, text
from mining.explore import CaseSelection
from mining.filters import LogFilter

__all__ = ["Context", "context", "drilldown", "lang", "md_escape", "sidebar", "t"]

_PREFERRED_ATTRIBUTES = ("channel", "ticket_type", "渠道", "工单类型", "team", "班组")


@dataclass(frozen=True)
class Context:
    """The page's view (log, mining run, snapshot version) and the filter chosen in the sidebar."""

    source: data.Source
    view: data.View | None
    flt: LogFilter
    has_snapshot: bool
    has_logs: bool


def md_escape(value: str) -> str:
    """`value` with every ASCII punctuation character backslash-escaped, for the few places
    Streamlit only takes Markdown (widget labels): it then shows literally.

    >>> print(md_escape("[x](javascript:alert(1))"))
    \\[x\\]\\(javascript\\:alert\\(1\\)\\)
    """
    return "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in value)


_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def lang() -> Lang:
    chosen = st.session_state.get("sf_lang", "en")
    return "zh" if chosen == "zh" else "en"


def t(key: str, **values: object) -> str:
    return text(key, lang(), **values)


def sidebar() -> Context:
    """Draw the sidebar (language, log, filters) and return what the pages show."""
    st.sidebar.radio(
        "Language / 语言",
        options=list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        key="sf_lang",
        horizontal=True,
    )
    src = data.source()
    version = data.snapshot_version(src.snapshot)
    if version is None:
        return Context(src, None, LogFilter(), has_snapshot=False, has_logs=False)
    stored = data.logs(src.snapshot, version)
    if not stored:
        return Context(src, None, LogFilter(), has_snapshot=True, has_logs=False)
    names = [str(row["name"]) for row in stored]
    log = st.sidebar.selectbox(t("log"), names, key="sf_log")
    view = data.view_of(src.snapshot, version, log)
    flt = _filters(view, stored[names.index(log)])
    published = datetime.fromtimestamp(os.stat(src.snapshot).st_mtime, UTC)
    st.sidebar.caption(t("snapshot_from", when=f"{published:%Y-%m-%d %H:%M}"))
    if st.sidebar.button(t("refresh"), key="sf_refresh"):
        data.clear()
        st.rerun()
    return Context(src, view, flt, has_snapshot=True, has_logs=True)


def _filters(view: data.View, log_row: dict[str, Any]) -> LogFilter:
    st.sidebar.subheader(t("filters"))
    first, last = log_row.get("first_event"), log_row.get("last_event")
    start = end = None
    if isinstance(first, datetime) and isinstance(last, datetime):
        lo, hi = first.date(), last.date()
        picked = st.sidebar.date_input(
            t("period"),
            value=(lo, hi),
            min_value=lo,
            max_value=hi,
            key=f"sf_period_{view.log}",
        )
        if isinstance(picked, tuple) and len(picked) == 2:
            a, b = picked
            if isinstance(a, date) and a > lo:
                start = datetime.combine(a, time.min)
            if isinstance(b, date) and b < hi:
                end = datetime.combine(b, time.max)
    choices = {a.attribute: a.values for a in data.attribute_values(view)}
    default = [a for a in _PREFERRED_ATTRIBUTES if a in choices][:2]
    attributes = st.sidebar.multiselect(
        t("filter_attributes"), list(choices), default=default, key=f"sf_attrs_{view.log}"
    )
    conditions = []
    for attribute in attributes:
        picked_values = st.sidebar.multiselect(
            t("values_of", name=md_escape(attribute)),
            [value for value, _cases in choices[attribute]],
            key=f"sf_attr_{view.log}_{attribute}",
        )
        if picked_values:
            conditions.append((attribute, tuple(picked_values)))
    # team names are widget options (shown as text), never part of a label
    teams = [team for team, _cases in data.team_values(view)]
    picked_teams = (
        st.sidebar.multiselect(t("filter_teams"), teams, key=f"sf_teams_{view.log}")
        if teams
        else []
    )
    top = st.sidebar.number_input(
        t("top_variants"), min_value=0, value=0, step=1, key=f"sf_top_{view.log}"
    )
    return LogFilter(
        start=start,
        end=end,
        case_attributes=tuple(conditions),
        variants_top_k=int(top) or None,
        teams=tuple(picked_teams),
    )


def context() -> Context:
    """The context the entry script put in the session for this run of the page."""
    ctx = st.session_state.get("sf_context")
    if not isinstance(ctx, Context):
        raise RuntimeError("the dashboard pages run through dashboard/app.py")
    return ctx


def require_view() -> data.View | None:
    """The page's view, or None after showing the matching empty state."""
    ctx = context()
    if not ctx.has_snapshot:
        st.info(t("no_snapshot"))
        return None
    if not ctx.has_logs or ctx.view is None:
        st.info(t("no_logs"))
        return None
    return ctx.view


def require_run(view: data.View) -> dict[str, Any] | None:
    report = data.report(view)
    if report is None:
        st.info(t("not_mined"))
        return None
    if report.get("stale"):
        st.warning(t("stale_run"))
    return report


def log_title(view: data.View) -> None:
    """The log's name, as text."""
    st.text(f"{t('log')}: {view.log}")


def duration(seconds: float | None) -> str:
    return format_duration(seconds) if seconds is not None else t("not_available")


def share(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else t("not_available")


def steps(activities: Any) -> str:
    return " → ".join(str(a) for a in activities)


def drilldown(view: data.View, selection: CaseSelection, flt: LogFilter, key: str) -> None:
    """The tickets behind a finding, and the events of the one picked."""
    import pandas as pd

    found = data.drill(view, selection, flt)
    st.caption(t("tickets_found", total=f"{found.total:,}", shown=len(found.cases)))
    if not found.cases:
        return
    table = pd.DataFrame(
        {
            t("col_case"): [c.case_id for c in found.cases],
            t("col_events"): [c.n_events for c in found.cases],
            t("col_start"): [c.start for c in found.cases],
            t("col_end"): [c.end for c in found.cases],
            t("col_lead"): [format_duration(c.lead_time_s) for c in found.cases],
            t("col_where"): [c.last_activity for c in found.cases],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    case_id = st.selectbox(t("pick_ticket"), [c.case_id for c in found.cases], key=f"{key}_ticket")
    if case_id is None:
        return
    events = data.case_events(view, case_id)
    if events:
        last = events[-1]
        st.text(f"{t('stuck_at')}: {last.activity} · {last.ts:%Y-%m-%d %H:%M}")
    st.dataframe(
        pd.DataFrame(
            {
                "#": [e.seq + 1 for e in events],
                t("col_activity"): [e.activity for e in events],
                t("col_time"): [e.ts for e in events],
                t("col_started"): [e.start_ts for e in events],
                t("col_resource"): [e.resource for e in events],
                t("col_team"): [e.team for e in events],
            }
        ),
        hide_index=True,
        width="stretch",
    )
