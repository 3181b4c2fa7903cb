"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, a free port; keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any


@dataclass
class SmtpServer:
    port: int
    mails: list[EmailMessage] = field(default_factory=list)

    def connection_json(self) -> str:
        """An Airflow SMTP connection (`AIRFLOW_CONN_<ID>`) to this server, without TLS."""
        return json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": self.port,
                "extra": {"disable_tls": True, "disable_ssl": True},
            }
        )


class _Keep:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.server.mails.append(message)
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = SmtpServer(port=port)
    controller = Controller(_Keep(server), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
