"""Safe human-readable output: log text never drives the terminal.

Labels, file names and values come from outside. Before any of them reaches a terminal,
control characters (C0, DEL, C1), line and paragraph separators and bidirectional overrides are
written as escapes (`\\x1b`, `\\n`, `\\u202e`), so an ANSI sequence cannot recolour or clear the
screen and a label with a newline cannot forge an output line. JSON output is safe already
(`json.dump` escapes control characters).

>>> printable("受理\\x1b[2J\\nfake line")
'受理\\\\x1b[2J\\\\nfake line'
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

__all__ = ["printable", "say"]

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """`text` with every control character written as a visible escape."""
    return _UNSAFE.sub(_escape, str(text))


def say(text: object = "", *, file: TextIO | None = None) -> None:
    """Print one line of human-readable output, escaped."""
    out = file if file is not None else sys.stdout
    out.write(printable(text) + "\n")
