"""A real SFTP server for tests: Debian's OpenSSH `sshd` on 127.0.0.1, a free high port.

Keys are generated per session with `ssh-keygen`; the server accepts only that client key,
serves only SFTP (`ForceCommand internal-sftp`) and listens only on the loopback address. It
runs as the user running the tests (root in CI, where sshd needs its privilege-separation
folder /run/sshd), so the SFTP login is that user.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
SSH_KEYGEN = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"


@dataclass(frozen=True)
class SftpServer:
    host: str
    port: int
    user: str
    private_key: str  # the client's private key (OpenSSH format)
    host_key: str  # the server's public host key, "ssh-ed25519 AAAA..."

    def connection_json(self) -> str:
        """An Airflow connection (`AIRFLOW_CONN_<ID>`) that verifies the server's host key."""
        import json

        return json.dumps(
            {
                "conn_type": "sftp",
                "host": self.host,
                "port": self.port,
                "login": self.user,
                "extra": {"private_key": self.private_key, "host_key": self.host_key},
            }
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def sftp_server(folder: Path) -> Iterator[SftpServer]:
    """Start sshd with keys and configuration in `folder`; stop it on exit."""
    if not Path(SSHD).exists():
        raise RuntimeError(f"{SSHD} not found: install openssh-server (bash scripts/setup.sh)")
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("host_key", "client_key"):
        subprocess.run(
            [SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True
        )
    shutil.copyfile(folder / "client_key.pub", folder / "authorized_keys")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    port = _free_port()
    user = getpass.getuser()
    config = folder / "sshd_config"
    config.write_text(
        "\n".join(
            [
                "ListenAddress 127.0.0.1",
                f"Port {port}",
                f"HostKey {folder / 'host_key'}",
                f"PidFile {folder / 'sshd.pid'}",
                f"AuthorizedKeysFile {folder / 'authorized_keys'}",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "StrictModes no",
                "UsePAM no",
                f"AllowUsers {user}",
                "Subsystem sftp internal-sftp",
                "ForceCommand internal-sftp",
                "",
            ]
        )
    )
    log = (folder / "sshd.log").open("w")
    process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "sshd did not start: " + (folder / "sshd.log").read_text()
                    ) from None
                time.sleep(0.1)
        host_key = " ".join((folder / "host_key.pub").read_text().split()[:2])
        yield SftpServer(
            host="127.0.0.1",
            port=port,
            user=user,
            private_key=(folder / "client_key").read_text(),
            host_key=host_key,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
