"""Read an XES event log (plain or gzip-compressed) into an Arrow table, one row per event.

XES files come from outside, so they are treated as hostile input:

- the prolog (everything before the `<log>` element) is checked before the XML parser sees a
  byte: a DOCTYPE or entity declaration is refused, as is an encoding declaration that could hide
  one (only UTF-8, UTF-16, ASCII, ISO-8859-*, windows-125x and the GB/Big5 encodings are read);
- the parser itself never loads a DTD, never resolves entities, never touches the network and
  keeps libxml2's size and depth limits (`huge_tree=False`); a DOCTYPE that slips past the prolog
  check still stops it;
- the decompressed size is counted while streaming and capped (gzip bombs).

Columns: `case:concept:name` (the trace id) and `case:<key>` for every other trace attribute,
every event attribute under its own key, and `__row` (the 1-based event number in file order).
Types follow the XES element: string/id -> string, int -> int64, float -> float64,
boolean -> bool, date -> timestamp[us, UTC] (naive dates are taken as UTC). A key seen with
different types becomes a string column holding the values as written. Missing values are null.
`<list>` and `<container>` attributes and the meta-attributes nested inside an attribute are
skipped (an event log's flat view has no place for them), as are log-level attributes, globals
and classifiers; global default values are not filled in (pm4py does not either).

The parser is a streaming lxml target parser: no tree is built, values are collected column-wise
and turned into Arrow arrays every ~64k events, so memory grows with the data kept, not with the
XML around it.

>>> import gzip, pathlib, tempfile
>>> p = pathlib.Path(tempfile.mkdtemp()) / "tiny.xes.gz"
>>> xml = ('<log><trace><string key="concept:name" value="c1"/>'
...     '<event><string key="concept:name" value="受理"/>'
...     '<date key="time:timestamp" value="2024-01-02T10:00:00+08:00"/></event></trace></log>')
>>> _ = p.write_bytes(gzip.compress(xml.encode("utf-8")))
>>> t = read_xes(p)
>>> t.column_names
['case:concept:name', 'concept:name', 'time:timestamp', '__row']
>>> t.column("concept:name")[0].as_py()
'受理'
>>> t.column("time:timestamp")[0].as_py().isoformat()
'2024-01-02T02:00:00+00:00'
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from lxml import etree

from mining.errors import HostileInputError, InputError

__all__ = ["DEFAULT_MAX_DECOMPRESSED_BYTES", "read_xes"]

DEFAULT_MAX_DECOMPRESSED_BYTES = 8 * 1024**3

_CHUNK_BYTES = 1 << 20
# Real XES prologs are an XML declaration and a few comments; a megabyte of prolog is not a log.
_PROLOG_LIMIT_BYTES = 1 << 20
_BATCH_ROWS = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"

_DTD_REFUSAL = (
    "XES files never need a DTD; servflow refuses DTDs and entity declarations "
    "(XXE, entity expansion)"
)

# Encodings in which '<', '!', '-', '?' and '>' only ever stand for themselves, so the byte-level
# prolog check sees exactly what libxml2 will see. Anything else (UTF-7, ISO-2022, EBCDIC ...)
# could smuggle a DOCTYPE past it.
_ASCII_COMPATIBLE = re.compile(
    r"(utf-?8|us-?ascii|ascii|iso[-_]?8859[-_]\d{1,2}|latin-?1|(windows|cp)-?125\d"
    r"|gb2312|gbk|gb18030|big5)",
    re.IGNORECASE,
)
_UTF16 = re.compile(r"utf-?16([-_]?(le|be))?", re.IGNORECASE)
_ENCODING_DECL = re.compile(r"""encoding\s*=\s*["']([^"']*)["']""")

_VALUE_KINDS = frozenset({"string", "id", "int", "float", "boolean", "date"})
_STRING_KINDS = frozenset({"string", "id"})
_CONFLICT = "conflict"
_UTC_US = pa.timestamp("us", tz="UTC")
_FRACTION_OVER_MICROSECONDS = re.compile(r"(\.\d{6})\d+")
_LXML_POSITION_SUFFIX = re.compile(r"(, line \d+, column \d+)+$")


def read_xes(
    path: Path,
    *,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    progress: Callable[[int, int], None] | None = None,
) -> pa.Table:
    """Read the XES log at `path` (`.xes`, or gzip by content) into a table, one row per event.

    `max_decompressed_bytes` caps the XML size (after decompression); `progress`, if given, is
    called after every chunk with (bytes of the file read so far, file size).
    Raises `HostileInputError` for DTDs, entity declarations and oversize data, `InputError` for
    anything else that is not a readable XES log (each message names the file).

    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "one.xes"
    >>> _ = p.write_text('<log><trace><string key="concept:name" value="t1"/><event>'
    ...     '<string key="concept:name" value="close"/><int key="cost" value="5"/>'
    ...     '</event></trace></log>', encoding="utf-8")
    >>> read_xes(p).to_pylist()
    [{'case:concept:name': 't1', 'concept:name': 'close', 'cost': 5, '__row': 1}]
    """
    path = Path(path)
    collector = _XesCollector(path)
    parser = etree.XMLParser(
        target=collector,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    try:
        for chunk in _checked_chunks(path, max_decompressed_bytes, progress):
            parser.feed(chunk)
        parser.close()
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        reason = _LXML_POSITION_SUFFIX.sub("", exc.msg or "a syntax error")
        raise InputError(
            f"{path}: not well-formed XML at line {line}, column {column}: {reason}. "
            "The file may be truncated or damaged; export the log again."
        ) from None
    return collector.table()


# --- reading bytes safely ------------------------------------------------------------------


def _checked_chunks(
    path: Path, cap: int, progress: Callable[[int, int], None] | None
) -> Iterator[bytes]:
    """The file's XML bytes, decompressed if gzip, prolog-checked, and capped at `cap` bytes."""
    try:
        raw = path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file. Check the path.") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not an XES file.") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be opened ({exc.strerror}).") from None
    with raw:
        size = path.stat().st_size
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        stream: io.BufferedIOBase = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        total = 0
        head = b""
        prolog_checked = False
        while True:
            chunk = _read_chunk(stream, path)
            if chunk:
                total += len(chunk)
                if total > cap:
                    raise HostileInputError(_oversize_message(path, cap, compressed))
            if not prolog_checked:
                head += chunk
                if _prolog_is_complete(head, path, at_end=not chunk):
                    prolog_checked = True
                    chunk, head = head, b""
                elif len(head) > _PROLOG_LIMIT_BYTES:
                    raise InputError(
                        f"{path}: no <log> element in the first {_PROLOG_LIMIT_BYTES:,} bytes; "
                        "this is not an XES file."
                    )
                else:
                    continue
            if not chunk:
                return
            yield chunk
            if progress is not None:
                progress(raw.tell(), size)


def _read_chunk(stream: io.BufferedIOBase, path: Path) -> bytes:
    try:
        return stream.read(_CHUNK_BYTES)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InputError(
            f"{path}: damaged gzip data ({exc}). The file may be truncated; download or export "
            "it again."
        ) from None


def _oversize_message(path: Path, cap: int, compressed: bool) -> str:
    what = "decompresses to" if compressed else "is"
    bomb = "; refused as a possible decompression bomb" if compressed else "; refused"
    return (
        f"{path}: {what} more than {cap:,} bytes of XML, the size limit{bomb}. If the log really "
        "is that large, raise the limit with `servflow ingest --max-xes-bytes N` "
        "(IngestOptions.max_xes_bytes in Python)."
    )


def _prolog_is_complete(head: bytes, path: Path, *, at_end: bool) -> bool:
    """True once `head` holds a clean prolog and the start of `<log`; False if more is needed.

    Raises HostileInputError on a DOCTYPE or any other markup declaration, InputError on
    anything that does not look like the start of an XES document.
    """
    if not head:
        if at_end:
            raise InputError(f"{path}: the file is empty; there is no XES log in it.")
        return False
    text, family = _decode_head(head, path)
    pos = 0
    end = len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos >= end or (text[pos] == "<" and pos + 1 >= end):
            return _need_more(path, at_end)
        if text[pos] != "<":
            raise InputError(
                f"{path}: does not start with XML markup (found {text[pos]!r} at character "
                f"{pos + 1}); this is not an XES file."
            )
        if text.startswith("<?", pos):
            close = text.find("?>", pos + 2)
            if close < 0:
                return _need_more(path, at_end)
            if text[pos + 2 : pos + 5].lower() == "xml":
                _check_declared_encoding(text[pos : close + 2], family, path)
            pos = close + 2
        elif text.startswith("<!--", pos):
            close = text.find("-->", pos + 4)
            if close < 0:
                return _need_more(path, at_end)
            pos = close + 3
        elif text.startswith("<!", pos):
            if "<!--".startswith(text[pos : pos + 4]) and pos + 4 > end:
                return _need_more(path, at_end)
            if text.startswith("<!ENTITY", pos):
                found = "an entity declaration (<!ENTITY)"
            elif text.startswith("<!DOCTYPE", pos):
                found = "a document type declaration (<!DOCTYPE)"
            else:
                found = f"a markup declaration ({text[pos : pos + 10]!r})"
            raise HostileInputError(f"{path}: refused: the file contains {found}. {_DTD_REFUSAL}.")
        else:
            match = re.match(r"<([^\s/>]+)[\s/>]", text[pos:])
            if match is None:
                return _need_more(path, at_end)
            root = match.group(1)
            if root.rpartition(":")[2] != "log":
                raise InputError(
                    f"{path}: the root element is <{root}>, not <log>; this is not an XES file."
                )
            if "\x00" in text[:pos]:
                raise InputError(f"{path}: NUL characters before the <log> element; not XES.")
            return True


def _need_more(path: Path, at_end: bool) -> bool:
    if at_end:
        raise InputError(f"{path}: the file ends before its <log> element; this is not XES.")
    return False


def _decode_head(head: bytes, path: Path) -> tuple[str, str]:
    """The start of the document as text, decoded the way libxml2 will read it, and its family."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) or head[:4] in (
        b"\x00\x00\x00<",
        b"<\x00\x00\x00",
    ):
        raise InputError(f"{path}: UTF-32 XML is not read; re-save the file as UTF-8.")
    if head[:4] == b"\x4c\x6f\xa7\x94":
        raise InputError(f"{path}: EBCDIC XML is not read; re-save the file as UTF-8.")
    if head.startswith(codecs.BOM_UTF8):
        return head[3:].decode("utf-8", errors="replace"), "utf-8"
    for bom, marker, codec in (
        (codecs.BOM_UTF16_LE, b"<\x00?\x00", "utf-16-le"),
        (codecs.BOM_UTF16_BE, b"\x00<\x00?", "utf-16-be"),
    ):
        if head.startswith(bom) or head.startswith(marker):
            body = head[2:] if head.startswith(bom) else head
            return body[: len(body) // 2 * 2].decode(codec, errors="replace"), "utf-16"
    # ASCII-compatible: decoding as Latin-1 keeps every markup character where it is.
    return head.decode("latin-1"), "ascii"


def _check_declared_encoding(declaration: str, family: str, path: Path) -> None:
    match = _ENCODING_DECL.search(declaration)
    if match is None:
        return
    declared = match.group(1).strip()
    if family == "utf-16":
        allowed = _UTF16.fullmatch(declared) is not None
    elif family == "utf-8":
        allowed = re.fullmatch(r"utf-?8", declared, re.IGNORECASE) is not None
    else:
        allowed = _ASCII_COMPATIBLE.fullmatch(declared) is not None
    if not allowed:
        raise InputError(
            f"{path}: declares the encoding {declared!r}, which servflow does not read here "
            "(only UTF-8, UTF-16, ASCII, ISO-8859, windows-125x, GB2312/GBK/GB18030 and Big5 are "
            "safe to check for hidden declarations). Re-save the file as UTF-8."
        )


# --- collecting events ------------------------------------------------------------------------


class _Column:
    """One output column: raw XES value strings of the current batch plus finished Arrow chunks."""

    __slots__ = ("chunks", "kind", "values")

    def __init__(self, kind: str, batch_sizes: list[int]) -> None:
        self.kind = kind
        self.values: list[str | None] = []
        self.chunks: list[pa.Array] = [pa.nulls(n, pa.string()) for n in batch_sizes]


class _XesCollector:
    """lxml parser target: sees every start and end tag, keeps only trace and event attributes.

    Depths: 1 = <log>, 2 = <trace> (or log-level elements), 3 = trace attributes and <event>,
    4 = event attributes; anything deeper (nested meta-attributes, list items) is skipped.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._depth = 0
        self._in_trace = False
        self._in_event = False
        self._local_names: dict[str, str] = {}
        self._event_columns: dict[str, _Column] = {}
        self._case_columns: dict[str, _Column] = {}
        self._batch_sizes: list[int] = []
        self._batch_rows = 0  # events in the current batch
        self._event_index = -1  # index of the current event within the batch
        self._rows_before_batch = 0
        self._traces = 0
        self._trace_first_row = 0
        self._trace_attributes: dict[str, tuple[str, str | None]] = {}

    # lxml calls these; comments, processing instructions and text are ignored.

    def start(self, tag: str, attrib: Any) -> None:
        depth = self._depth + 1
        self._depth = depth
        if depth == 4:
            # The hot path (one call per event attribute), kept inline for speed.
            if not self._in_event:
                return
            kind = self._local_names.get(tag) or self._local_name(tag)
            if kind not in _VALUE_KINDS:
                return
            key = attrib.get("key")
            if key is None:
                key = self._key(attrib, kind, "event")
            column = self._event_columns.get(key)
            if column is None:
                column = self._event_columns[key] = _Column(kind, self._batch_sizes)
            elif column.kind != kind:
                column.kind = _CONFLICT
            values = column.values
            row = self._event_index
            filled = len(values)
            if filled == row:
                values.append(attrib.get("value"))
            elif filled < row:
                values.extend([None] * (row - filled))
                values.append(attrib.get("value"))
            else:  # the key repeats within one event: the last value wins
                values[row] = attrib.get("value")
        elif depth == 3:
            if self._in_trace:
                kind = self._local_names.get(tag) or self._local_name(tag)
                if kind == "event":
                    self._in_event = True
                    self._event_index = self._batch_rows
                    self._batch_rows += 1
                elif kind in _VALUE_KINDS:
                    key = self._key(attrib, kind, "trace")
                    self._trace_attributes[key] = (kind, attrib.get("value"))
        elif depth == 2:
            kind = self._local_names.get(tag) or self._local_name(tag)
            if kind == "trace":
                self._in_trace = True
                self._traces += 1
                self._trace_first_row = self._batch_rows
                self._trace_attributes = {}
            elif kind == "event":
                raise InputError(
                    f"{self._path}: an <event> stands outside any <trace> (after trace "
                    f"{self._traces}); servflow reads events only inside traces."
                )
        elif depth == 1 and self._local_name(tag) != "log":
            raise InputError(f"{self._path}: the root element is not <log>; not an XES file.")

    def end(self, tag: str) -> None:
        depth = self._depth
        self._depth = depth - 1
        if depth == 3:
            self._in_event = False
        elif depth == 2 and self._in_trace:
            self._in_trace = False
            self._finish_trace()

    def doctype(self, name: str | None, public_id: str | None, system_url: str | None) -> None:
        # Second line of defence: the prolog check refuses DTDs before parsing, but should one
        # ever reach libxml2, raising here stops the parser before its internal subset is read.
        raise HostileInputError(
            f"{self._path}: refused: the file contains a document type declaration "
            f"(<!DOCTYPE {name or ''}>). {_DTD_REFUSAL}."
        )

    def close(self) -> None:
        return None

    # helpers

    def _local_name(self, tag: str) -> str:
        local = tag.rpartition("}")[2]
        self._local_names[tag] = local
        return local

    def _key(self, attrib: Any, kind: str, where: str) -> str:
        key = attrib.get("key")
        if key is None:
            raise InputError(
                f"{self._path}: a <{kind}> {where} attribute in trace {self._traces} has no "
                "'key'; every XES attribute needs one."
            )
        return str(key)

    def _finish_trace(self) -> None:
        attributes = self._trace_attributes
        name = attributes.get("concept:name")
        if name is None or name[1] is None:
            raise InputError(
                f"{self._path}: trace {self._traces} (counting <trace> elements from 1) has no "
                "concept:name attribute, so its events cannot be given a case id."
            )
        first = self._trace_first_row
        count = self._batch_rows - first
        if count:
            for key, (kind, value) in attributes.items():
                column = self._case_columns.get(key)
                if column is None:
                    column = self._case_columns[key] = _Column(kind, self._batch_sizes)
                elif column.kind != kind:
                    column.kind = _CONFLICT
                values = column.values
                if len(values) < first:
                    values.extend([None] * (first - len(values)))
                values.extend([value] * count)
        if self._batch_rows >= _BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        rows = self._batch_rows
        if not rows:
            return
        for column in (*self._event_columns.values(), *self._case_columns.values()):
            values = column.values
            if len(values) < rows:
                values.extend([None] * (rows - len(values)))
            column.chunks.append(pa.array(values, type=pa.string()))
            column.values = []
        self._batch_sizes.append(rows)
        self._rows_before_batch += rows
        self._batch_rows = 0
        self._event_index = -1
        self._trace_first_row = 0

    def table(self) -> pa.Table:
        self._flush()
        total = self._rows_before_batch
        if total == 0:
            raise InputError(
                f"{self._path}: no events: the log has {self._traces} trace(s) and not one "
                "<event>. There is nothing to load."
            )
        names: list[str] = []
        arrays: list[pa.ChunkedArray] = []
        case_columns = sorted(self._case_columns.items(), key=lambda kv: kv[0] != "concept:name")
        for key, column in case_columns:
            kind = "string" if key == "concept:name" else column.kind
            names.append(f"case:{key}")
            arrays.append(self._typed(column, kind, f"trace attribute {key!r}"))
            column.chunks = []
        for key, column in self._event_columns.items():
            if key in names or key == "__row":
                raise InputError(
                    f"{self._path}: the event attribute {key!r} has the same name as a column "
                    "servflow derives from trace attributes or event order; rename it."
                )
            names.append(key)
            arrays.append(self._typed(column, column.kind, f"event attribute {key!r}"))
            column.chunks = []
        names.append("__row")
        arrays.append(pa.chunked_array([pa.array(np.arange(1, total + 1, dtype=np.int64))]))
        return pa.Table.from_arrays(arrays, names=names)

    def _typed(self, column: _Column, kind: str, what: str) -> pa.ChunkedArray:
        raw = pa.chunked_array(column.chunks, type=pa.string())
        if kind in _STRING_KINDS or kind == _CONFLICT:
            return raw
        target = _ARROW_TYPES[kind]
        try:
            return raw.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        # Arrow's parsers are strict (no naive dates, no '+5'); redo the column value by value.
        parse = _PARSERS[kind]
        chunks = []
        row = 0
        for chunk in raw.chunks:
            values: list[object] = []
            for value in chunk.to_pylist():
                row += 1
                if value is None:
                    values.append(None)
                    continue
                try:
                    values.append(parse(value))
                except ValueError:
                    raise InputError(
                        f"{self._path}: event {row} has the {kind} {what} with the value "
                        f"{value!r}, which is not a valid XES {kind}. Fix the value or write the "
                        "attribute as <string>."
                    ) from None
            chunks.append(pa.array(values, type=target))
        return pa.chunked_array(chunks, type=target)


def _parse_int(value: str) -> int:
    return int(value.strip())


def _parse_float(value: str) -> float:
    return float(value.strip())


def _parse_boolean(value: str) -> bool:
    text = value.strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError(value)


def _parse_date(value: str) -> datetime:
    text = _FRACTION_OVER_MICROSECONDS.sub(r"\1", value.strip())
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


_ARROW_TYPES: dict[str, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "date": _UTC_US,
}
_PARSERS: dict[str, Callable[[str], object]] = {
    "int": _parse_int,
    "float": _parse_float,
    "boolean": _parse_boolean,
    "date": _parse_date,
}
