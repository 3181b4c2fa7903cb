"""The dashboard served by `servflow dashboard` (a real Streamlit server) in headless Chromium.

Every page is visited; the map must render in the browser; the ticket count, a Chinese
activity, the candidates (or their "not available" state) and the hostile labels must show as
text, no script or link may come from a label, and no error may reach the page. Screenshots go
to `$SERVFLOW_SCREENSHOTS` (docs/dashboard/ for the documentation) or the test's temp folder.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dashboard_support as support
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[1]
PAGES = {
    "overview": "",
    "process_map": "process_map",
    "variants": "variants",
    "findings": "findings",
    "conformance": "conformance",
    "candidates": "candidates",
    "alerts": "alerts",
    "export": "export",
    "data": "data",
}

playwright_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip("Debian's /usr/bin/chromium is not installed", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = support.build(tmp_path_factory.getbasetemp() / "dashboard-db")
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO), SERVFLOW_DASHBOARD_AUTH="off")
    env.pop("SERVFLOW_SNAPSHOT", None)
    log = (tmp_path_factory.getbasetemp() / "dashboard-server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "servflow.cli", "dashboard", "--db", str(db), "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the server and its streamlit child form one group to stop
    )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the dashboard server did not start; see " + log.name)
            time.sleep(0.5)
        yield url, db
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def browser_page(server: tuple[str, Path]) -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        page = context.new_page()
        page.dialogs = []  # type: ignore[attr-defined]
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
        yield page
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("SERVFLOW_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _visit(page: Any, url: str, name: str, heading: str) -> None:
    page.goto(f"{url}/{PAGES[name]}")
    page.get_by_role("heading", name=heading).first.wait_for(timeout=60_000)
    _settle(page)


def _settle(page: Any) -> None:
    # Streamlit shows its status widget while the script runs
    page.wait_for_timeout(500)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=60_000)
    page.wait_for_timeout(300)


def _first_candidate(db: Path) -> Any:
    import optimization
    from mining import store
    from mining.run import latest_run_id
    from servflow.pipeline import snapshot_path_for

    with store.connect(snapshot_path_for(db), read_only=True) as con:
        found = optimization.candidates_for_run(con, latest_run_id(con, "telecom"))
    assert found is not None and found.automation
    return found.automation[0]


def _no_errors(page: Any) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("This app has encountered an error").count() == 0
    assert page.locator('a[href^="javascript"]').count() == 0
    assert page.locator("img[src='x']").count() == 0
    assert page.dialogs == []


def test_every_page_in_chromium(browser_page: Any, server: tuple[str, Path], shots: Path) -> None:
    page = browser_page
    url, _db = server

    # the first request to the fresh server is a deep link: it still goes through the router
    _visit(page, url, "data", "Data")
    _no_errors(page)

    _visit(page, url, "overview", "Overview")
    # the metric labelled exactly "Tickets" ("Tickets with rework" is another one)
    label = page.locator('[data-testid="stMetricLabel"]').get_by_text("Tickets", exact=True)
    tickets = page.locator('[data-testid="stMetric"]').filter(has=label).first
    tickets.wait_for(timeout=60_000)
    assert tickets.locator('[data-testid="stMetricValue"]').inner_text() == "400"
    _no_errors(page)
    page.screenshot(path=str(shots / "overview.png"), full_page=True)

    _visit(page, url, "process_map", "Process map")
    svg = page.locator('[data-testid="stGraphVizChart"] svg')
    svg.first.wait_for(timeout=60_000)
    svg.locator("text").first.wait_for(timeout=60_000)
    labels = svg.locator("text")
    chinese = labels.filter(has_text="受理").first
    chinese.wait_for()
    assert chinese.evaluate("t => t.getBBox().width") > 10
    assert labels.filter(has_text=support.HOSTILE_HTML).count() >= 1
    assert labels.filter(has_text=support.HOSTILE_LINK).count() >= 1
    _no_errors(page)
    page.screenshot(path=str(shots / "process_map.png"), full_page=True)

    _visit(page, url, "variants", "Variants")
    # the most common variant (in the picker) runs through the hostile activity: shown as text
    page.locator('[data-testid="stMain"] input[role="combobox"]').first.wait_for(timeout=60_000)
    shown = page.locator('[data-testid="stMain"] input[role="combobox"]').evaluate_all(
        "inputs => inputs.map(i => i.value)"
    )
    assert any(v.startswith("#1 (") and support.HOSTILE_HTML in v for v in shown), shown
    _no_errors(page)
    page.screenshot(path=str(shots / "variants.png"), full_page=True)

    _visit(page, url, "findings", "Bottlenecks and break points")
    page.get_by_text("tickets (the").first.wait_for(timeout=60_000)
    page.get_by_role("tab", name="Rework").click()
    _settle(page)
    _no_errors(page)
    page.screenshot(path=str(shots / "findings.png"), full_page=True)

    _visit(page, url, "conformance", "Conformance")
    page.locator('[data-testid="stMetric"]').filter(has_text="Log fitness").first.wait_for(
        timeout=60_000
    )
    _no_errors(page)
    page.screenshot(path=str(shots / "conformance.png"), full_page=True)

    _visit(page, url, "candidates", "Candidates")
    page.get_by_role("heading", name="What if: lead time before and after").wait_for(timeout=60_000)
    _settle(page)
    first = _first_candidate(_db)
    pickers = page.locator('[data-testid="stMain"] input[role="combobox"]').evaluate_all(
        "inputs => inputs.map(i => i.value)"
    )
    assert f"{first.id}: {first.activity}" in pickers, pickers
    _no_errors(page)
    page.screenshot(path=str(shots / "candidates.png"), full_page=True)

    _visit(page, url, "alerts", "Alerts")
    page.get_by_role("heading", name="Due now").first.wait_for(timeout=60_000)
    _no_errors(page)
    page.screenshot(path=str(shots / "alerts.png"), full_page=True)

    _visit(page, url, "export", "Export")
    page.get_by_role("button", name="Build the audit pack").wait_for(timeout=60_000)
    _no_errors(page)
    page.screenshot(path=str(shots / "export.png"), full_page=True)

    _visit(page, url, "data", "Data")
    page.get_by_role("heading", name="Upload a log").wait_for(timeout=60_000)
    _settle(page)
    _no_errors(page)
    page.screenshot(path=str(shots / "data.png"), full_page=True)

    # the language switch: the dashboard's words change, the log's labels do not
    _visit(page, url, "process_map", "Process map")
    page.locator('[data-testid="stSidebar"]').get_by_text("中文").click()
    page.get_by_role("heading", name="流程图").first.wait_for(timeout=60_000)
    _settle(page)
    page.locator('[data-testid="stGraphVizChart"] svg text').filter(
        has_text="受理"
    ).first.wait_for()
    _no_errors(page)
    page.screenshot(path=str(shots / "process_map_zh.png"), full_page=True)
    page.locator('[data-testid="stSidebar"]').get_by_text("English").click()
    _settle(page)


def test_upload_goes_through_ingest_with_its_errors(
    browser_page: Any, server: tuple[str, Path], tmp_path: Path
) -> None:
    page = browser_page
    url, _db = server
    bad = tmp_path / "no_columns.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    _visit(page, url, "data", "Data")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    page.get_by_role("button", name="Load", exact=True).wait_for(timeout=60_000)
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text("The file was not loaded:").wait_for(timeout=60_000)
    # the reason is a text element of its own, which may render a moment after the heading
    reason = page.locator('[data-testid="stText"]').filter(
        has_text="cannot tell which column is the case"
    )
    reason.first.wait_for(timeout=60_000)
    message = page.locator('[data-testid="stText"]').all_inner_texts()
    assert any("cannot tell which column is the case" in m for m in message), message
    _no_errors(page)


def test_upload_loads_a_log_and_publishes_it(
    browser_page: Any, server: tuple[str, Path], tmp_path: Path
) -> None:
    page = browser_page
    url, db = server
    good = tmp_path / "上传工单.csv"
    good.write_text(
        "工单号,环节,时间\nU1,受理,2024-05-01 08:00\nU1,结单,2024-05-01 09:30\n"
        "U2,受理,2024-05-02 10:00\nU2,结单,2024-05-02 12:00\n",
        encoding="utf-8",
    )
    _visit(page, url, "data", "Data")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    page.get_by_role("button", name="Load", exact=True).wait_for(timeout=60_000)
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text("Loaded: 4 new events of 2 new tickets.").wait_for(timeout=60_000)
    _no_errors(page)

    from mining import catalog
    from servflow.pipeline import snapshot_path_for

    names = {row["name"] for row in catalog.list_logs(snapshot_path_for(db))}
    assert "上传工单" in names and "telecom" in names
