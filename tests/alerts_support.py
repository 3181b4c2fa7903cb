"""Alerts in tests: real local servers that receive them (SMTP with aiosmtpd, a chat webhook over
HTTP) and a small hand-made ticket log whose waits are known to the minute."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        # a folded header parses with the folding's leading space: not part of the subject
        return str(self.message["Subject"]).strip()

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())


@dataclass
class SmtpServer:
    """aiosmtpd on 127.0.0.1; `mails` holds what it received, parsed."""

    port: int = field(default_factory=free_port)
    mails: list[Mail] = field(default_factory=list)
    _controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@dataclass
class WebhookServer:
    """An HTTP server on 127.0.0.1 answering like a chat robot; `posts` holds the JSON bodies."""

    port: int = field(default_factory=free_port)
    posts: list[dict[str, Any]] = field(default_factory=list)
    _server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/robot/send?key=test"

    def start(self) -> WebhookServer:
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                posts.append(json.loads(self.rfile.read(length).decode("utf-8")))
                body = b'{"errcode": 0, "errmsg": "ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


# --- the hand-made log (the rule in the tests: 派单至后台 followed up within 4 h)

HEADER = "ticket_id,activity,timestamp,team\n"
T1 = "T1<img src=x onerror=alert(1)>"
T7 = "T7 **紧急** [x](http://e.vil)"
EVENTS = [  # (ticket, activity, time on 2024-05-DD HH:MM, team, export it first appears in)
    ("T5", "受理", "07 07:00", "一线客服", 1),
    ("T5", "派单至后台", "07 08:00", "一线客服", 1),
    ("T5", "处理", "07 20:00", "后台支撑", 1),  # waited 12 h: 8 h past the 4 h limit
    ("T5", "归档", "07 21:00", "一线客服", 1),
    ("T6", "受理", "08 07:00", "一线客服", 1),
    ("T6", "派单至后台", "08 08:00", "一线客服", 1),
    ("T6", "处理", "08 18:00", "后台支撑", 1),  # waited 10 h: 6 h past the limit
    ("T6", "归档", "08 19:00", "一线客服", 1),
    ("T8", "受理", "08 08:00", "一线客服", 1),
    ("T8", "派单至后台", "08 09:00", "一线客服", 1),
    ("T8", "处理", "08 10:00", "后台支撑", 1),  # within the limit
    ("T8", "归档", "08 11:00", "一线客服", 1),
    ("T2", "受理", "09 09:00", "一线客服", 1),
    ("T2", "派单至后台", "09 10:00", "一线客服", 1),  # never moves on
    (T1, "受理", "10 08:00", "一线客服", 1),
    (T1, "派单至后台", "10 09:00", "一线客服", 1),
    (T1, "处理", "10 18:00", "后台支撑", 2),
    ("T3", "受理", "10 08:00", "一线客服", 1),
    ("T3", "派单至后台", "10 08:30", "一线客服", 1),
    ("T3", "处理", "10 09:00", "后台支撑", 1),
    ("T3", "归档", "10 10:00", "一线客服", 1),  # closed
    ("T4", "受理", "10 12:00", "一线客服", 1),
    ("T4", "派单至后台", "10 13:00", "一线客服", 1),
    ("T4", "处理", "10 21:00", "后台支撑", 2),
    (T7, "受理", "10 13:30", "一线客服", 1),
    (T7, "派单至后台", "10 14:00", "一线客服", 1),
    (T7, "处理", "11 01:00", "后台支撑", 3),
]


def at(day_time: str) -> datetime:
    """'10 15:00' -> 2024-05-10 15:00 (UTC)."""
    return datetime.strptime(f"2024-05-{day_time}", "%Y-%m-%d %H:%M")


def load_export(con: Any, folder: Path, upto: int) -> None:
    """Load the cumulative export `upto` (1, 2 or 3) of the hand-made log as log "tickets"."""
    from mining.ingest import IngestOptions, ingest_file

    path = folder / f"export_{upto}.csv"
    rows = [
        f"{t},{a},{at(when).isoformat()},{team}\n" for t, a, when, team, n in EVENTS if n <= upto
    ]
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    ingest_file(con, path, IngestOptions(log_name="tickets"))
