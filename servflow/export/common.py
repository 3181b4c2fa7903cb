"""Helpers shared by the export writers: errors, escaping, hashing, durations, tools.

>>> neutralise_cell("=HYPERLINK(1)"), neutralise_cell("受理"), restore_cell("'@x")
("'=HYPERLINK(1)", '受理', '@x')
>>> html_text('<b>"A&B"</b>')
'&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;'
>>> duration_text(5400.0), duration_text(None)
('1.5 h', 'n/a')
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

from mining.discovery import xml_safe_label
from mining.errors import InputError

__all__ = [
    "CJK_FONT",
    "CSV_TRIGGERS",
    "ExportError",
    "duration_text",
    "find_tool",
    "html_text",
    "neutralise_cell",
    "restore_cell",
    "safe_file_part",
    "sha256_file",
    "xml_text",
]

# The font every rendered label asks for; fonts-noto-cjk provides it (scripts/setup.sh).
CJK_FONT = "Noto Sans CJK SC"

# A spreadsheet cell starting with one of these may run as a formula (OWASP, "CSV Injection");
# the full-width forms are read as formulas by some CJK spreadsheet set-ups. A leading
# apostrophe is added too, so that one rule (strip one leading apostrophe) restores every cell.
CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠", "'")


class ExportError(InputError):
    """An export cannot be written as asked (bad format, output folder, missing tool)."""


def neutralise_cell(text: str) -> str:
    """`text` made safe as a spreadsheet cell: a leading apostrophe if it starts with a trigger."""
    return "'" + text if text.startswith(CSV_TRIGGERS) else text


def restore_cell(text: str) -> str:
    """The original text of a neutralised cell (the inverse of `neutralise_cell`)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(CSV_TRIGGERS) else text


def xml_text(text: str) -> str:
    """Log text ready for an XML writer: characters XML cannot hold shown as `\\xNN`."""
    return xml_safe_label(str(text))


_HTML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


def html_text(text: object) -> str:
    """Text escaped for HTML, XML and Graphviz HTML-like labels (never markup)."""
    return "".join(_HTML_ESCAPES.get(c, c) for c in xml_text(str(text)))


def duration_text(seconds: float | None) -> str:
    """A duration for people: minutes below an hour, hours below three days, else days."""
    if seconds is None:
        return "n/a"
    if abs(seconds) < 3600:
        return f"{seconds / 60:.0f} min"
    if abs(seconds) < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


_UNSAFE_FILE_CHARS = re.compile(r"[^\w.-]+", re.UNICODE)


def safe_file_part(text: str) -> str:
    """`text` as one file-name component: word characters (CJK included), dot and dash.

    >>> safe_file_part("../渠道 A/B")
    '渠道_A_B'
    """
    cleaned = _UNSAFE_FILE_CHARS.sub("_", text).strip("._")
    return cleaned[:80] or "log"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_tool(name: str, env: str, purpose: str) -> str:
    """The path of an external program (`$env` overrides), or an ExportError saying what to do."""
    override = os.environ.get(env)
    found = override or shutil.which(name)
    if not found or not Path(found).exists():
        raise ExportError(
            f"{purpose} needs the program `{name}`, which is not installed (or set ${env} to its "
            f"path). Run scripts/setup.sh, or leave that format out with --formats."
        )
    return found
