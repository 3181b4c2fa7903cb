"""The dashboard's pages under `streamlit.testing.v1.AppTest`, on a generated, mined log with
hostile labels: every page renders, widgets drive the numbers, drill-downs find the tickets the
mining run counted, log text never reaches Markdown, empty and locked-out states hold."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import dashboard_support as support
import pytest

from dashboard.access import AccessPolicy
from dashboard.graph import process_map_dot

pytest.importorskip("streamlit.testing.v1")
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
PAGES = (
    "views/overview.py",
    "views/process_map.py",
    "views/variants.py",
    "views/findings.py",
    "views/conformance.py",
    "views/candidates.py",
    "views/alerts.py",
    "views/export.py",
    "views/data.py",
)
HOSTILE = (support.HOSTILE_HTML, support.HOSTILE_LINK)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = support.build(tmp_path_factory.getbasetemp() / "dashboard-db")
    saved = {k: os.environ.get(k) for k in ("SERVFLOW_DB", "SERVFLOW_SNAPSHOT")}
    os.environ["SERVFLOW_DB"] = str(path)
    os.environ.pop("SERVFLOW_SNAPSHOT", None)
    yield path
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def run(page: str | None = None, **state: Any) -> AppTest:
    """A fresh session of the app on `page` with widget values set by key.

    (A fresh session per check, with the values set before every run: under st.navigation,
    AppTest re-runs of the same page keep the first run's elements, so widget changes are
    checked as sessions that start with the changed value.)
    """
    at = AppTest.from_file(str(APP), default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page and page != PAGES[0]:
        at.switch_page(page)
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
    return at


def metric(at: AppTest, label: str) -> str:
    for m in at.metric:
        if m.label == label:
            return str(m.value)
    raise AssertionError(f"no metric {label!r}: {[m.label for m in at.metric]}")


def dot_of(at: AppTest) -> str:
    charts = at.get("graphviz_chart")
    assert charts, "no process map drawn"
    return str(charts[0].proto.spec)


def source_rows(db: Path) -> list[dict[str, str]]:
    with (db.parent / "tickets.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_page_renders_without_errors(db: Path) -> None:
    tickets = len({r["ticket_id"] for r in source_rows(db)})
    for page in PAGES:
        at = run(page)
        assert not at.exception, (page, [e.message for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
        if page.endswith("overview.py"):
            assert metric(at, "Tickets") == f"{tickets:,}"
        if page.endswith("process_map.py"):
            dot = dot_of(at)
            assert "受理" in dot
        if page.endswith(("variants.py", "findings.py", "data.py")):
            assert at.dataframe, page
        if page.endswith("candidates.py"):
            _check_candidates(at, db)


def _check_candidates(at: AppTest, db: Path) -> None:
    """The stored candidates of the run are listed, and the what-if shows both distributions."""
    import optimization
    from mining import store
    from mining.run import latest_run_id

    with store.connect(support_snapshot(db), read_only=True) as con:
        stored = optimization.candidates_for_run(con, latest_run_id(con, "telecom"))
    assert stored is not None and stored.automation
    tables = [df.value for df in at.dataframe if "id" in df.value.columns]
    assert list(tables[0]["id"]) == [c.id for c in stored.automation]
    assert list(tables[1]["id"]) == [c.id for c in stored.restructuring]
    # judgement work and the too-rare steps are listed as data, with their reasons
    assert stored.judgement
    listed = [list(df.value.iloc[:, 0]) for df in at.dataframe if "Reason" in df.value.columns]
    assert [j.activity for j in stored.judgement] in listed
    if stored.too_rare:
        assert any(
            list(df.value.iloc[:, 0]) == [r.activity for r in stored.too_rare]
            for df in at.dataframe
            if "Executions" in df.value.columns
        )
    assert metric(at, "Tickets changed").endswith("/ 400")
    assert at.get("vega_lite_chart"), "no before/after distribution chart"


def test_attribute_filter_changes_ticket_count_and_map(db: Path) -> None:
    rows = source_rows(db)
    wanted = {r["ticket_id"] for r in rows if r["channel"] == "营业厅"}
    assert 0 < len(wanted) < len({r["ticket_id"] for r in rows})

    at = run("views/overview.py")
    before = metric(at, "Tickets")
    channel = next(w for w in at.multiselect if w.key == "sf_attr_telecom_channel")
    assert "营业厅" in channel.options
    at = run("views/overview.py", sf_attr_telecom_channel=["营业厅"])
    assert not at.exception
    assert metric(at, "Tickets") == f"{len(wanted):,}" != before

    full = dot_of(run("views/process_map.py"))
    filtered = dot_of(run("views/process_map.py", sf_attr_telecom_channel=["营业厅"]))
    assert filtered != full
    # every ticket enters the map once: the start arcs add up to the filtered ticket count
    starts = [line for line in filtered.splitlines() if line.strip().startswith("start ->")]
    assert sum(int(s.split('label="')[1].split('"')[0].replace(",", "")) for s in starts) == len(
        wanted
    )


def test_team_filter_changes_ticket_count_and_map(db: Path) -> None:
    rows = source_rows(db)
    # tickets that the field team worked on at least once, with all their events
    wanted = {r["ticket_id"] for r in rows if r["team"] == "现场装维"}
    assert 0 < len(wanted) < len({r["ticket_id"] for r in rows})

    at = run("views/overview.py")
    teams = next(w for w in at.multiselect if w.key == "sf_teams_telecom")
    assert set(teams.options) == {r["team"] for r in rows}
    assert teams.label == "Tickets a team worked on (any of them)"
    at = run("views/overview.py", sf_teams_telecom=["现场装维"])
    assert not at.exception
    assert metric(at, "Tickets") == f"{len(wanted):,}"

    full = dot_of(run("views/process_map.py"))
    filtered = dot_of(run("views/process_map.py", sf_teams_telecom=["现场装维"]))
    assert filtered != full
    starts = [line for line in filtered.splitlines() if line.strip().startswith("start ->")]
    assert sum(int(s.split('label="')[1].split('"')[0].replace(",", "")) for s in starts) == len(
        wanted
    )
    # the tickets are kept whole: front-line steps of the field team's tickets stay on the map
    assert "受理" in filtered


def test_map_sliders_and_performance_mode(db: Path) -> None:
    full = dot_of(run("views/process_map.py"))
    fewer = dot_of(run("views/process_map.py", sf_map_acts=30))
    assert fewer.count("->") < full.count("->")
    timed = dot_of(run("views/process_map.py", sf_map_measure="performance"))
    assert " h" in timed or " min" in timed or " d" in timed


def test_drill_downs_find_the_tickets_the_run_counted(db: Path) -> None:
    from mining import store
    from mining.run import build_report

    with store.connect(support_snapshot(db), read_only=True) as con:
        report = build_report(con, "telecom")
    at = run("views/findings.py")
    assert not at.exception and not at.error
    captions = [c.value for c in at.caption]
    expected = [
        report["bottlenecks"][0]["cases"],
        report["rework"][0]["cases"],
        report["pingpong"][0]["cases"],
        report["breakpoints"][0]["stalled_cases"],
        report["sla"][0]["breached"],  # open tickets measured up to the run's as-of time
    ]
    for count in expected:
        assert any(c.startswith(f"{count:,} tickets") for c in captions), (count, captions)
    # the picked ticket's events are listed in order
    assert any(df.value.shape[0] >= 2 and "Activity" in df.value.columns for df in at.dataframe)


def support_snapshot(db: Path) -> Path:
    from servflow.pipeline import snapshot_path_for

    return snapshot_path_for(db)


def test_language_switch_keeps_log_labels(db: Path) -> None:
    at = run("views/process_map.py", sf_lang="zh")
    assert [h.value for h in at.header] == ["流程图"]
    assert "受理" in dot_of(at)
    overview = run("views/overview.py", sf_lang="zh")
    assert metric(overview, "工单数")


def _markdown_texts(at: AppTest) -> list[str]:
    texts: list[str] = []
    for kind in ("markdown", "caption", "header", "subheader", "title", "info", "warning"):
        texts += [str(e.value) for e in at.get(kind)]
    texts += [str(m.label) for m in at.metric]
    for kind in ("selectbox", "multiselect", "radio", "slider", "button", "text_input"):
        texts += [str(w.label) for w in at.get(kind)]
    return texts


def test_log_text_never_reaches_markdown(db: Path) -> None:
    for page in PAGES:
        at = run(page)
        for shown in _markdown_texts(at):
            for hostile in HOSTILE:
                assert hostile not in shown, (page, shown)
                assert "](javascript" not in shown, (page, shown)
    # the labels are there, as data: in the map (escaped DOT) and in tables
    at = run("views/process_map.py")
    dot = dot_of(at)
    assert support.HOSTILE_LINK in dot and support.HOSTILE_HTML in dot
    edges = next(df.value for df in at.dataframe if "From" in df.value.columns)
    assert support.HOSTILE_HTML in set(edges["From"]) | set(edges["To"])


def test_hostile_dot_labels_render_as_text_in_graphviz() -> None:
    from mining.flows import ActivityCount, ActivityFrequency, Dfg, DfgEdge

    odd = support.HOSTILE_HTML
    quote = 'quote " and \\ backslash'
    dfg = Dfg(
        edges=(DfgEdge(odd, quote, 2, 2, 60.0, 60.0, 60.0, 60.0, 60.0, 120.0),),
        start_activities=(ActivityCount(odd, 2),),
        end_activities=(ActivityCount(quote, 2),),
        activities=(ActivityFrequency(odd, 2, 2), ActivityFrequency(quote, 2, 2)),
        cases=2,
        events=4,
    )
    svg = subprocess.run(
        ["dot", "-Tsvg"],
        input=process_map_dot(dfg).encode("utf-8"),
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in svg
    assert "<img" not in svg
    assert "quote &quot; and \\ backslash" in svg


def test_missing_and_empty_database_show_a_helpful_state(tmp_path: Path, db: Path) -> None:
    os.environ["SERVFLOW_DB"] = str(tmp_path / "nothing.duckdb")
    try:
        for page in PAGES:
            at = run(page)
            assert not at.exception and not at.error, page
            if not page.endswith("data.py"):
                assert any("No data to show yet" in i.value for i in at.info), page
        from mining.store import connect
        from servflow.pipeline import publish_snapshot, snapshot_path_for

        empty = tmp_path / "empty.duckdb"
        connect(empty).close()  # a servflow database with its schema and no log
        publish_snapshot(empty, snapshot_path_for(empty))
        os.environ["SERVFLOW_DB"] = str(empty)
        at = run("views/overview.py")
        assert not at.exception
        assert any("holds no logs yet" in i.value for i in at.info)
    finally:
        os.environ["SERVFLOW_DB"] = str(db)


def test_a_run_published_during_use_shows_after_a_refresh(tmp_path: Path, db: Path) -> None:
    from servflow.pipeline import mine, publish_snapshot, snapshot_path_for

    copy = tmp_path / "servflow.duckdb"
    shutil.copy(db, copy)
    shutil.copy(snapshot_path_for(db), snapshot_path_for(copy))
    os.environ["SERVFLOW_DB"] = str(copy)
    try:
        at = run("views/overview.py")
        assert any(c.value.startswith("Mining run 1 ") for c in at.caption)
        from mining.run import MiningOptions

        run_2 = mine(copy, "telecom", options=MiningOptions(conformance=False))
        publish_snapshot(copy, snapshot_path_for(copy))
        at = run("views/overview.py")  # the browser's refresh: a new session
        captions = [c.value for c in at.caption]
        assert any(c.startswith(f"Mining run {run_2.run_id} ") for c in captions), captions
    finally:
        os.environ["SERVFLOW_DB"] = str(db)


def test_login_required_shows_nothing_of_the_data(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVFLOW_DASHBOARD_AUTH", "oidc")
    monkeypatch.setenv("SERVFLOW_DASHBOARD_USERS", "owner@example.com")
    at = run()
    assert not at.exception
    assert not at.metric and not at.dataframe and not at.get("graphviz_chart")
    assert [b.label for b in at.button] == ["Log in"]
    # no page of the app is reachable, by navigation or by URL
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/data.py")
    policy = AccessPolicy(enabled=True, allowed=("owner@example.com",))
    assert policy.decide(True, "intruder@example.com") == "denied"
    assert policy.decide(True, "Owner@Example.com") == "allowed"
    assert AccessPolicy(enabled=True).decide(True, "owner@example.com") == "denied"


def test_cli_rejects_a_bad_port_and_hardens_the_server() -> None:
    from servflow.cli import main
    from servflow.cli_dashboard import streamlit_command

    assert main(["dashboard", "--port", "0"]) == 2
    command = streamlit_command(8501, "localhost", 50)
    assert "--client.showErrorDetails=none" in command
    assert "--server.enableXsrfProtection=true" in command
    assert "--server.maxUploadSize=50" in command


def test_mine_now_on_the_data_page_publishes_a_new_run(tmp_path: Path, db: Path) -> None:
    from servflow.pipeline import snapshot_path_for

    copy = tmp_path / "servflow.duckdb"
    shutil.copy(db, copy)
    shutil.copy(snapshot_path_for(db), snapshot_path_for(copy))
    os.environ["SERVFLOW_DB"] = str(copy)
    try:
        at = run("views/data.py")
        next(b for b in at.button if b.key == "sf_mine_now").click()
        at.run()
        assert not at.exception and not at.error
        assert [s.value for s in at.success] == ["Mined: run 2 is published."]
        assert any(c.value.startswith("Mining run 2 ") for c in run().caption)
    finally:
        os.environ["SERVFLOW_DB"] = str(db)


def test_docstring_examples_of_the_dashboard_modules() -> None:
    import doctest

    import dashboard.access
    import dashboard.graph
    import dashboard.i18n
    import dashboard.ui

    for module in (dashboard.access, dashboard.graph, dashboard.i18n, dashboard.ui):
        result = doctest.testmod(module)
        assert result.attempted and not result.failed, module.__name__


def test_export_page_builds_the_audit_pack_of_the_run(db: Path) -> None:
    import io
    import zipfile

    at = run("views/export.py", sf_export_formats=["svg", "csv"])
    next(b for b in at.button if b.key == "sf_export_build").click()
    at.run()
    assert not at.exception and not at.error
    name, content, names = at.session_state["sf_export_zip"]
    assert name == "telecom-run1"
    inside = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert sorted(inside) == sorted(names)
    assert "telecom-run1/manifest.json" in inside
    assert "telecom-run1/map-frequency.svg" in inside
    assert not any(n.endswith(".pdf") for n in inside)  # only the formats asked for
    assert at.get("download_button")


def _alert_tables(at: AppTest, column: str) -> list[Any]:
    return [df.value for df in at.dataframe if column in df.value.columns]


def test_alerts_page_lists_the_due_tickets_and_an_empty_history(tmp_path: Path, db: Path) -> None:
    import json

    from mining import store
    from servflow.alerts import find_due_alerts, read_alert_config

    os.environ.pop("SERVFLOW_ALERTS", None)
    at = run("views/alerts.py")
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    with store.connect(support_snapshot(db), read_only=True) as con:
        report = find_due_alerts(con, "telecom")  # the CLI's default: as of the last event
    due = report.tickets()
    assert due and metric(at, "Tickets due") == f"{len(due):,}"
    assert metric(at, "Due for an escalation") == f"{len(report.tickets('escalate')):,}"
    shown = {str(x) for df in _alert_tables(at, "Waited") for x in df["Ticket"]}
    assert shown == due
    truth = json.loads((db.parent / "generated.truth.json").read_text(encoding="utf-8"))
    stalled = {c for b in truth["breakpoints"] for c in b["case_ids"]}
    assert stalled & shown
    # the snapshot has no sent alerts: both empty states, no history table
    infos = [i.value for i in at.info]
    assert any("No alert has been sent" in i for i in infos), infos
    assert any(i.startswith("Not enough history yet") for i in infos), infos
    assert not _alert_tables(at, "Outcome")
    for shown_text in _markdown_texts(at):
        for hostile in HOSTILE:
            assert hostile not in shown_text
    # the alerts DAG's configuration file ($SERVFLOW_ALERTS) sets the rules; a broken one is named
    configured = tmp_path / "alerts.json"
    rule = {"activity": "结单", "remind_after_h": 1, "escalate_after_h": 2}
    configured.write_text(json.dumps({"learn": False, "rules": [rule]}), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with store.connect(support_snapshot(db), read_only=True) as con:
        late = find_due_alerts(con, "telecom", read_alert_config(configured))
    assert 0 < len(late.alerts) != len(report.alerts)
    try:
        os.environ["SERVFLOW_ALERTS"] = str(configured)
        at = run("views/alerts.py", sf_lang="zh")
        assert [h.value for h in at.header] == ["提醒与升级"]
        assert metric(at, "待提醒工单") == f"{len(late.tickets()):,}"
        tables = _alert_tables(at, "已等待")
        assert sum(len(df) for df in tables) == len(late.alerts)
        assert "idle:结单" in set().union(*(set(df["规则"]) for df in tables))
        os.environ["SERVFLOW_ALERTS"] = str(broken)
        at = run("views/alerts.py")
        assert not at.exception
        assert any(str(broken) in x.value for x in at.text)
        os.environ.pop("SERVFLOW_ALERTS")
        os.environ["SERVFLOW_DB"] = str(tmp_path / "nothing.duckdb")
        at = run("views/alerts.py")
    finally:
        os.environ.pop("SERVFLOW_ALERTS", None)
        os.environ["SERVFLOW_DB"] = str(db)
    assert not at.exception and not at.error
    assert any("No data to show yet" in i.value for i in at.info)


def test_alerts_page_shows_the_alerts_sent(tmp_path: Path, db: Path) -> None:
    from alerts_support import SmtpServer

    from mining import store
    from servflow.alerts import (
        alert_config_from_mapping,
        find_due_alerts,
        send_due_alerts,
        smtp_sender,
    )
    from servflow.pipeline import publish_snapshot, snapshot_path_for

    copy = tmp_path / "servflow.duckdb"
    shutil.copy(db, copy)
    config = alert_config_from_mapping(
        {"default_recipient": "值班", "recipients": {"值班": {"email": ["ops@example.com"]}}}
    )
    smtp = SmtpServer().start()
    try:
        sender = smtp_sender("127.0.0.1", smtp.port, "servflow@example.com", timeout=5)
        (done,) = send_due_alerts(
            copy, ["telecom"], config, {"email": sender}, now=datetime(2100, 1, 1), run="test"
        )
    finally:
        smtp.stop()
    assert done.sent > 0 and smtp.mails
    publish_snapshot(copy, snapshot_path_for(copy))
    with store.connect(snapshot_path_for(copy), read_only=True) as con:
        due = find_due_alerts(con, "telecom", config)
    os.environ["SERVFLOW_DB"] = str(copy)
    try:
        at = run("views/alerts.py")
    finally:
        os.environ["SERVFLOW_DB"] = str(db)
    assert not at.exception and not at.error
    (history,) = _alert_tables(at, "Outcome")
    assert len(history) == len(due.alerts) == done.sent
    assert set(history["Outcome"]) == {"sent"} and set(history["Recipient"]) == {"值班"}
    assert {str(x) for x in history["Ticket"]} == due.tickets()
    assert not any("No alert has been sent" in i.value for i in at.info)
    (effect,) = _alert_tables(at, "First reminder (UTC)")
    assert set(effect["Rule"]) <= {a.rule for a in due.alerts if a.level == "remind"}
