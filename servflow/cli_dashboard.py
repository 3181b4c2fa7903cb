"""`servflow dashboard`: serve the Streamlit dashboard on a database's published snapshot."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from servflow.textout import say

__all__ = ["SERVER_FLAGS", "add_commands", "streamlit_command"]

# Hardening that holds however the dashboard is started: no tracebacks or error details in the
# browser, XSRF protection on, uploads capped, no usage statistics, no browser opened.
SERVER_FLAGS: tuple[str, ...] = (
    "--server.headless=true",
    "--server.enableXsrfProtection=true",
    "--server.enableCORS=true",
    "--client.showErrorDetails=none",
    "--client.toolbarMode=minimal",
    "--browser.gatherUsageStats=false",
    "--global.developmentMode=false",
)


def add_commands(sub: Any, db_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `servflow dashboard` on the `servflow` parser."""
    p = sub.add_parser("dashboard", help="serve the dashboard for process owners (Streamlit)")
    db_option(p)
    p.add_argument("--port", type=int, default=8501, help="port to serve on (default: 8501)")
    p.add_argument(
        "--address",
        default="localhost",
        help="address to listen on (default: localhost; 0.0.0.0 to serve others)",
    )
    p.add_argument(
        "--snapshot",
        type=Path,
        metavar="FILE",
        help="read-only snapshot to show (default: $SERVFLOW_SNAPSHOT or <db>_snapshot.duckdb)",
    )
    p.add_argument(
        "--max-upload-mb", type=int, default=200, help="largest log upload in MB (default: 200)"
    )
    p.add_argument(
        "--read-only", action="store_true", help="no uploads or mining from the dashboard"
    )
    p.set_defaults(run=_dashboard)


def streamlit_command(port: int, address: str, max_upload_mb: int) -> list[str]:
    """The `streamlit run` command line of the dashboard."""
    app = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        f"--server.port={port}",
        f"--server.address={address}",
        f"--server.maxUploadSize={max_upload_mb}",
        *SERVER_FLAGS,
    ]


def _dashboard(args: argparse.Namespace) -> int:
    from mining import store
    from mining.errors import InputError, StorageError
    from servflow.pipeline import publish_snapshot, snapshot_path_for

    if not 0 < args.port < 65536:
        raise InputError(f"--port {args.port}: give a port number between 1 and 65535.")
    if args.max_upload_mb < 1:
        raise InputError(f"--max-upload-mb {args.max_upload_mb}: give at least 1.")
    db = Path(args.db) if args.db is not None else store.default_db_path()
    snapshot = args.snapshot or snapshot_path_for(db)
    if db.exists() and (not snapshot.exists() or snapshot.stat().st_mtime < db.stat().st_mtime):
        try:
            publish_snapshot(db, snapshot)
            say(f"servflow: published the snapshot {snapshot}", file=sys.stderr)
        except StorageError as exc:
            # a writer holds the database: show the last published snapshot meanwhile
            say(f"servflow: showing the last published snapshot: {exc}", file=sys.stderr)
    env = dict(os.environ)
    env["SERVFLOW_DB"] = str(db.resolve())
    env["SERVFLOW_SNAPSHOT"] = str(snapshot.resolve())
    env["SERVFLOW_UPLOAD_MAX_MB"] = str(args.max_upload_mb)
    if args.read_only:
        env["SERVFLOW_DASHBOARD_UPLOADS"] = "0"
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    shown = "localhost" if args.address in ("0.0.0.0", "::") else args.address
    say(f"servflow: dashboard at http://{shown}:{args.port}/  (Ctrl-C stops it)")
    sys.stdout.flush()
    try:
        return subprocess.call(
            streamlit_command(args.port, args.address, args.max_upload_mb), env=env
        )
    except KeyboardInterrupt:
        return 0
