"""The dashboard's data: typed, cached loaders over the published read-only snapshot.

Every loader opens the snapshot read-only for the one call and goes through `mining` and
`optimization`; nothing here holds the writer's database. Results are cached across sessions
per snapshot version, log, mining run and filter (`st.cache_data`), so a filter change that was
seen before costs nothing, and a snapshot published while the dashboard runs (a new version:
the file is replaced atomically) is read after a refresh.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

from mining import explore, store
from mining.filters import LogFilter
from mining.flows import Dfg, Variant

__all__ = ["LeadTimes", "Source", "View", "snapshot_version", "source"]


@dataclass(frozen=True, slots=True)
class Source:
    """Where the dashboard reads (the snapshot) and where uploads are written (the database)."""

    snapshot: str
    database: str
    uploads: bool


@dataclass(frozen=True, slots=True)
class View:
    """What a page shows: one log of one snapshot version, at one mining run (None: not mined)."""

    snapshot: str
    version: str
    log: str
    log_id: int
    run_id: int | None


def source() -> Source:
    """The files named by the environment (set by `servflow dashboard`)."""
    from servflow.pipeline import snapshot_path_for

    database = store.default_db_path()
    return Source(
        snapshot=str(snapshot_path_for(database)),
        database=str(database),
        uploads=os.environ.get("SERVFLOW_DASHBOARD_UPLOADS", "1") != "0",
    )


def snapshot_version(path: str) -> str | None:
    """A token that changes whenever a new snapshot is published; None if there is none."""
    try:
        st_ = os.stat(path)
    except OSError:
        return None
    return f"{st_.st_ino}-{st_.st_mtime_ns}-{st_.st_size}"


@contextmanager
def _read(snapshot: str) -> Iterator[duckdb.DuckDBPyConnection]:
    con = store.connect(snapshot, read_only=True)
    try:
        yield con
    finally:
        con.close()


@st.cache_data(show_spinner=False, max_entries=256)
def logs(snapshot: str, version: str) -> list[dict[str, Any]]:
    """The stored logs of the snapshot (name, cases, events, span, loads)."""
    from mining import catalog

    return catalog.list_logs(snapshot)


@st.cache_data(show_spinner=False, max_entries=256)
def view_of(snapshot: str, version: str, log: str) -> View:
    """The view of `log` at its newest mining run."""
    with _read(snapshot) as con:
        log_id = store.log_id_for(con, log)
        runs = explore.list_runs(con, log_id)
    return View(snapshot, version, log, log_id, runs[0].run_id if runs else None)


@st.cache_data(show_spinner=False, max_entries=256)
def runs(view: View) -> tuple[explore.RunInfo, ...]:
    with _read(view.snapshot) as con:
        return explore.list_runs(con, view.log_id)


@st.cache_data(show_spinner=False, max_entries=256)
def report(view: View) -> dict[str, Any] | None:
    """The stored findings of the view's mining run (`servflow report --json`)."""
    if view.run_id is None:
        return None
    from mining.run import build_report

    with _read(view.snapshot) as con:
        return build_report(con, view.log, view.run_id)


@st.cache_data(show_spinner=False, max_entries=256)
def team_values(view: View) -> tuple[tuple[str, int], ...]:
    """The log's teams with the number of tickets each worked on."""
    with _read(view.snapshot) as con:
        return explore.team_values(con, view.log_id)


@st.cache_data(show_spinner=False, max_entries=256)
def attribute_values(view: View) -> tuple[explore.AttributeValues, ...]:
    with _read(view.snapshot) as con:
        return explore.case_attribute_values(con, view.log_id)


@st.cache_data(show_spinner=False, max_entries=256)
def full_map(view: View, flt: LogFilter) -> Dfg:
    """The filtered log's directly-follows map (the one database query of the map page)."""
    from mining.flows import discover_dfg

    with _read(view.snapshot) as con:
        return discover_dfg(con, view.log_id, flt=flt)


def process_map(view: View, flt: LogFilter, activity_share: float, path_share: float) -> Dfg:
    """The map simplified to the shares of activities and paths: slider moves never query."""
    from mining.flows import simplify_map

    return simplify_map(full_map(view, flt), activity_share=activity_share, path_share=path_share)


@st.cache_data(show_spinner=False, max_entries=256)
def variants(view: View, flt: LogFilter, top: int) -> tuple[Variant, ...]:
    from mining.flows import get_variants

    with _read(view.snapshot) as con:
        return get_variants(con, view.log_id, flt=flt, top=top)


@dataclass(frozen=True, slots=True)
class LeadTimes:
    """The filtered log's lead-time summary, every ticket's lead time, and its time span."""

    summary: Any  # mining.flows.LeadTimeSummary
    each_s: tuple[float, ...]
    first: datetime | None
    last: datetime | None


@st.cache_data(show_spinner=False, max_entries=256)
def lead_times(view: View, flt: LogFilter) -> LeadTimes:
    from mining.flows import get_case_lead_times, summarize_lead_times

    with _read(view.snapshot) as con:
        summary = summarize_lead_times(con, view.log_id, flt=flt)
        cases = get_case_lead_times(con, view.log_id, flt=flt)
    return LeadTimes(
        summary,
        tuple(c.lead_time_s for c in cases),
        min((c.start for c in cases), default=None),
        max((c.end for c in cases), default=None),
    )


@st.cache_data(show_spinner=False, max_entries=256)
def weekly(view: View, flt: LogFilter) -> tuple[explore.WeekTrend, ...]:
    with _read(view.snapshot) as con:
        return explore.weekly_trend(con, view.log_id, flt=flt)


@st.cache_data(show_spinner=False, max_entries=256)
def drill(view: View, selection: explore.CaseSelection, flt: LogFilter) -> explore.DrillDown:
    with _read(view.snapshot) as con:
        return explore.drill_down(con, view.log_id, selection, flt=flt)


@st.cache_data(show_spinner=False, max_entries=256)
def case_events(view: View, case_id: str) -> tuple[explore.CaseEvent, ...]:
    with _read(view.snapshot) as con:
        return explore.case_events(con, view.log_id, case_id)


@st.cache_data(show_spinner=False, max_entries=256)
def quality(snapshot: str, version: str, log: str) -> dict[str, Any]:
    from mining import catalog

    return catalog.quality_report(snapshot, log)


@st.cache_data(show_spinner=False, max_entries=256)
def conformance_against(view: View, flt: LogFilter, model_path: str, model_digest: str) -> Any:
    """Conformance of the filtered log to a BPMN/PNML file (cached per file content)."""
    from mining.conformance import check_conformance

    with _read(view.snapshot) as con:
        return check_conformance(con, view.log_id, flt=flt, model=Path(model_path))


def optimization_available() -> bool:
    """Whether this installation ranks candidates (`optimization.candidates_for_run`)."""
    import optimization

    return hasattr(optimization, "candidates_for_run") or _has_module("optimization.candidates")


def _has_module(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _optimization_function(name: str) -> Any:
    import importlib

    module = importlib.import_module("optimization")
    return getattr(module, name)


@st.cache_data(show_spinner=False, max_entries=256)
def candidates(view: View) -> Any:
    """The stored candidates of the view's run (a CandidateSet), or None."""
    if view.run_id is None:
        return None
    candidates_for_run = _optimization_function("candidates_for_run")
    with _read(view.snapshot) as con:
        return candidates_for_run(con, view.run_id)


@st.cache_data(show_spinner=False, max_entries=256)
def whatif(view: View, candidate_id: str) -> Any:
    """The what-if replay of one candidate (a WhatIfResult)."""
    estimate_whatif = _optimization_function("estimate_whatif")
    with _read(view.snapshot) as con:
        return estimate_whatif(con, view.run_id, candidate_id)


def export_available() -> bool:
    """Whether this installation builds audit packs (`servflow.export.export_pack`)."""
    return _has_module("servflow.export")


def export_formats() -> dict[str, str]:
    """The formats an audit pack can hold, with what each one writes."""
    from servflow.export import FORMATS

    return dict(FORMATS)


def export_pack(view: View, flt: LogFilter, out_dir: str, formats: tuple[str, ...]) -> Any:
    """Write the audit pack of the view's run and filter into `out_dir` (an ExportResult).

    With a filter the run was not mined with, the export mines it afresh in a scratch database
    (the snapshot is only read)."""
    from servflow.export import export_pack as build

    with _read(view.snapshot) as con:
        return build(
            con,
            view.log,
            Path(out_dir),
            formats=formats,
            flt=None if flt.is_empty else flt,
            run_id=view.run_id,
        )


def alerts_config_file() -> tuple[str, str] | None:
    """The alert configuration named by `$SERVFLOW_ALERTS` (as the alerts DAG reads it), with a
    token that changes with its content; None when unset (the rules learned from the log)."""
    path = os.environ.get("SERVFLOW_ALERTS")
    if not path:
        return None
    try:
        st_ = os.stat(path)
    except OSError:
        return (path, "missing")
    return (path, f"{st_.st_mtime_ns}-{st_.st_size}")


def _alert_config(config_file: tuple[str, str] | None) -> Any:
    from servflow.alerts import read_alert_config

    return read_alert_config(config_file[0] if config_file else None)


@st.cache_data(show_spinner=False, max_entries=256)
def alerts_due(view: View, config_file: tuple[str, str] | None) -> Any:
    """The tickets due for a reminder or an escalation (an AlertReport) as of the view's mining
    run (its as-of time), else the log's last event, as `servflow alerts` does."""
    from servflow.alerts import find_due_alerts

    config = _alert_config(config_file)
    as_of = next((r.as_of for r in runs(view) if r.run_id == view.run_id), None)
    with _read(view.snapshot) as con:
        return find_due_alerts(con, view.log, config, as_of=as_of)


@st.cache_data(show_spinner=False, max_entries=256)
def alerts_sent(view: View) -> Any:
    """Every recorded delivery attempt of the view's log, newest first (SentAlert tuple)."""
    from servflow.alerts import sent_alert_history

    with _read(view.snapshot) as con:
        return sent_alert_history(con, view.log)


@st.cache_data(show_spinner=False, max_entries=256)
def alerts_effect(view: View) -> Any:
    """The effect of each rule that has sent reminders (RuleEffect tuple)."""
    from servflow.alerts import alert_effect

    with _read(view.snapshot) as con:
        return alert_effect(con, view.log)


def clear() -> None:
    """Forget every cached result (after an upload or a new mining run)."""
    st.cache_data.clear()
