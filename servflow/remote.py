"""Fetch ticket-log exports from a remote folder (SFTP) into the inbox, before a load.

A run fetches every file of the remote folder that matches the configured pattern, is not
hidden or half-written (the inbox's own rules), was last modified before the run's data
interval ends, and was not fetched before (same name, size and modification time). Each file
is downloaded under a temporary name, given the remote modification time and renamed into the
inbox, so the ingest step sees it arrive whole, in the interval the remote file belongs to.
What was fetched is recorded in `<reports>/fetched_files.jsonl`, so files that were loaded and
moved to `processed/` are not fetched again; a changed remote file (new size or time) is.

The remote folder is anything with `list_files()` and `download()` (`RemoteFolder`);
`SftpFolder` is the one over Airflow's SFTP provider, whose connection holds the host, user
and key or password: servflow's configuration names only the connection id.

>>> from servflow.inbox import read_config
>>> config = read_config('{"remote": {"conn_id": "servflow_sftp", "path": "/exports"}}')
>>> config.remote.conn_id, config.remote.pattern
('servflow_sftp', '*')
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from mining.errors import InputError
from servflow.inbox import InboxConfig, RemoteSource, is_in_progress, read_manifest

__all__ = [
    "FETCHED_NAME",
    "FetchReport",
    "RemoteFile",
    "RemoteFolder",
    "SftpFolder",
    "fetch_new_files",
]

log = logging.getLogger(__name__)

FETCHED_NAME = "fetched_files.jsonl"


@dataclass(frozen=True)
class RemoteFile:
    """A file in the remote folder, as listed."""

    name: str
    size: int
    mtime: datetime  # UTC


class RemoteFolder(Protocol):
    """A remote folder that can list its files and download one of them."""

    description: str  # for logs and reports; never holds credentials

    def list_files(self) -> list[RemoteFile]: ...

    def download(self, name: str, target: Path) -> None: ...


@dataclass(frozen=True)
class FetchReport:
    """What one fetch did: the files it brought into the inbox, and how many it left alone."""

    source: str
    fetched: tuple[str, ...] = ()  # inbox names, in fetch order
    already_fetched: int = 0
    not_yet: int = 0  # modified at or after the interval's end: a later run takes them
    ignored: int = 0  # pattern does not match, hidden or half-written names, folders

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "fetched": list(self.fetched),
            "already_fetched": self.already_fetched,
            "not_yet": self.not_yet,
            "ignored": self.ignored,
        }


def fetch_new_files(
    folder: RemoteFolder, remote: RemoteSource, config: InboxConfig, *, until: datetime
) -> FetchReport:
    """Download the remote files of the interval ending at `until` into the inbox, oldest first."""
    if not config.inbox.is_dir():
        raise InputError(
            f"The servflow inbox folder {config.inbox} does not exist (configuration: "
            f"{config.source}); create it before fetching from {folder.description}."
        )
    limit = until.astimezone(UTC) if until.tzinfo else until.replace(tzinfo=UTC)
    fetched_log = config.reports / FETCHED_NAME
    seen = {
        _key(r.get("remote_name"), r.get("size"), r.get("mtime"))
        for r in read_manifest(fetched_log)
    }
    fetched: list[str] = []
    already = not_yet = ignored = 0
    for item in sorted(folder.list_files(), key=lambda f: (f.mtime, f.name)):
        if is_in_progress(item.name) or not remote.matches(item.name):
            ignored += 1
            continue
        if _key(item.name, item.size, item.mtime.isoformat()) in seen:
            already += 1
            continue
        if item.mtime >= limit:
            not_yet += 1
            continue
        name = _download_into_inbox(folder, item, config.inbox)
        _append_record(
            fetched_log,
            {
                "remote_name": item.name,
                "size": item.size,
                "mtime": item.mtime.isoformat(),
                "file": name,
                "source": folder.description,
                "fetched_at": datetime.now(UTC).isoformat(),
            },
        )
        fetched.append(name)
        log.info(
            "Fetched %s (%d bytes) from %s into the inbox", name, item.size, folder.description
        )
    return FetchReport(
        source=folder.description,
        fetched=tuple(fetched),
        already_fetched=already,
        not_yet=not_yet,
        ignored=ignored,
    )


def _key(name: Any, size: Any, mtime: Any) -> tuple[str, int, str]:
    return (str(name), int(size or 0), str(mtime))


def _download_into_inbox(folder: RemoteFolder, item: RemoteFile, inbox: Path) -> str:
    """Download under a hidden temporary name, set the remote time, rename into the inbox.

    A file of the same name still waiting in the inbox is kept: when it is this very file (a
    run stopped before recording it), it is simply reused; otherwise the download gets the
    remote modification time in its name.
    """
    stamp = item.mtime.timestamp()
    target = inbox / item.name
    if target.exists():
        current = target.stat()
        if current.st_size == item.size and int(current.st_mtime) == int(stamp):
            return target.name
        stem, dot, suffix = item.name.partition(".")
        target = inbox / f"{stem}.{item.mtime.strftime('%Y%m%dT%H%M%S')}{dot}{suffix}"
    partial = inbox / f".{target.name}.part"
    try:
        folder.download(item.name, partial)
        size = partial.stat().st_size
        if size != item.size:
            raise OSError(
                f"{folder.description}/{item.name}: downloaded {size} bytes, the listing said "
                f"{item.size}; the file is probably still being written. The next run fetches it."
            )
        os.utime(partial, (stamp, stamp))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target.name


def _append_record(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


class SftpFolder:
    """A folder on an SFTP server, reached through an Airflow SFTP connection.

    Host, port, user, key or password and the server's host key come from the connection
    (`sftp://user@host:port?host_key=...`, extras `key_file` / `private_key`); this class
    never reads or logs them.
    """

    def __init__(self, conn_id: str, path: str) -> None:
        self.conn_id = conn_id
        self.path = path
        self.description = f"sftp connection {conn_id!r}, folder {path}"
        self._client: Any = None

    @contextmanager
    def connected(self) -> Iterator[SftpFolder]:
        """Keep one SFTP session open for the listing and every download."""
        from airflow.providers.sftp.hooks.sftp import SFTPHook

        hook = SFTPHook(ssh_conn_id=self.conn_id)
        with hook.get_managed_conn() as client:
            self._client = client
            try:
                yield self
            finally:
                self._client = None

    def list_files(self) -> list[RemoteFile]:
        try:
            entries = self._client.listdir_attr(self.path)
        except OSError as exc:
            raise OSError(f"{self.description}: cannot list the folder: {exc}") from exc
        return [
            RemoteFile(
                name=entry.filename,
                size=int(entry.st_size or 0),
                mtime=datetime.fromtimestamp(int(entry.st_mtime or 0), tz=UTC),
            )
            for entry in entries
            if entry.st_mode is not None and stat.S_ISREG(entry.st_mode)
        ]

    def download(self, name: str, target: Path) -> None:
        if "/" in name or name in (".", ".."):
            raise OSError(f"{self.description}: refusing the remote name {name!r}")
        self._client.get(posixpath.join(self.path, name), str(target))
