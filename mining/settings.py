"""servflow's environment settings, read and checked in one place.

Every `SERVFLOW_*` variable the command line and the library read is checked here, before any
work starts, and a bad value is refused with a message that names the variable. An empty
variable counts as unset, so its default applies (`SERVFLOW_MEMORY_LIMIT=` keeps 3GB).

>>> read_settings({"SERVFLOW_THREADS": "2", "SERVFLOW_MEMORY_LIMIT": ""}).memory_limit
'3GB'
>>> read_settings({"SERVFLOW_THREADS": "abc"})
Traceback (most recent call last):
...
mining.errors.InputError: SERVFLOW_THREADS='abc' is not a whole number of threads; set it to 1 or more, or unset it to use every core.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mining.errors import InputError

__all__ = [
    "DEFAULT_DB_NAME",
    "DEFAULT_MEMORY_LIMIT",
    "DEFAULT_MISSING_VALUES",
    "PSEUDONYM_KEY_MIN_LENGTH",
    "Settings",
    "read_settings",
]

DEFAULT_DB_NAME = "servflow.duckdb"
# Values that mean "missing" in resource, team and attribute columns (never in case ids).
DEFAULT_MISSING_VALUES: tuple[str, ...] = ("?", "-", "NA", "N/A", "n/a", "NULL", "null")
DEFAULT_MEMORY_LIMIT = "3GB"
PSEUDONYM_KEY_MIN_LENGTH = 16
_MEMORY = re.compile(
    r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$|^\s*\d{1,2}%\s*$", re.I
)


@dataclass(frozen=True, slots=True)
class Settings:
    """The checked values of the `SERVFLOW_*` environment variables."""

    db: Path
    memory_limit: str
    threads: int | None
    pseudonym_key: str | None


def _value(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    return value if value is not None and value.strip() else None


def read_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and check the settings (default: from `os.environ`); `InputError` names a bad one."""
    env = os.environ if env is None else env
    memory = _value(env, "SERVFLOW_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT
    if not _MEMORY.match(memory) or float(re.sub(r"[^\d.]", "", memory) or 0) <= 0:
        raise InputError(
            f"SERVFLOW_MEMORY_LIMIT={memory!r} is not a memory size; use a number with a unit "
            f"such as 3GB, 512MB or 2GiB, or a share of the machine such as 50%, or unset it "
            f"for the default {DEFAULT_MEMORY_LIMIT}."
        )
    threads_text = _value(env, "SERVFLOW_THREADS")
    threads = None
    if threads_text is not None:
        if not threads_text.strip().isdigit() or int(threads_text) < 1:
            raise InputError(
                f"SERVFLOW_THREADS={threads_text!r} is not a whole number of threads; set it "
                "to 1 or more, or unset it to use every core."
            )
        threads = int(threads_text)
    key = _value(env, "SERVFLOW_PSEUDONYM_KEY")
    if key is not None and len(key) < PSEUDONYM_KEY_MIN_LENGTH:
        raise InputError(
            f"SERVFLOW_PSEUDONYM_KEY is {len(key)} characters long; a pseudonymization key "
            f"needs at least {PSEUDONYM_KEY_MIN_LENGTH}. Set a longer secret, or unset it."
        )
    db_text = _value(env, "SERVFLOW_DB")
    if db_text is not None and "\x00" in db_text:
        raise InputError("SERVFLOW_DB holds a NUL character; set it to a file path.")
    return Settings(
        db=Path(db_text) if db_text else Path(DEFAULT_DB_NAME),
        memory_limit=memory.strip(),
        threads=threads,
        pseudonym_key=key,
    )
