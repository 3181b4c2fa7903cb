"""Reading a source file into the temporary table `sf_raw`, one row per source record.

`sf_raw` has the file's columns plus `__row`, the 1-based record number in the file (data rows
after the header for CSV, events in file order for XES). Formats: CSV/TSV (optionally gzip),
Parquet, JSON lines, XES (optionally gzip).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

import duckdb

from mining.errors import InputError
from mining.ingest.timestamps import quote_ident, quote_literal
from mining.store import one

__all__ = ["SourceRead", "detect_format", "read_source"]

FORMATS = ("csv", "parquet", "jsonl", "xes")
DELIMITERS = ",;\t|"
SNIFF_BYTES = 256 * 1024
# Widest file loaded: wide CRM dumps of a few thousand columns load in seconds; beyond this the
# per-column work of the attribute split and the JSON attribute objects grows too costly.
MAX_COLUMNS = 16_384


@dataclass(frozen=True, slots=True)
class SourceRead:
    """What reading a file found out, beside the rows in `sf_raw`."""

    format: str
    rows: int
    columns: tuple[str, ...]
    encoding: str | None = None
    delimiter: str | None = None
    case_attribute_columns: tuple[str, ...] = ()  # columns the format marks as case-level (XES)
    notes: tuple[str, ...] = ()  # e.g. renamed duplicate headers
    type_notes: tuple[str, ...] = ()  # columns whose values mix kinds (JSON numbers and strings)
    malformed: tuple[tuple[int, str], ...] = field(default_factory=tuple)  # (line, reason)


def detect_format(path: Path) -> str:
    name = path.name.lower()
    for suffix, fmt in (
        (".xes.gz", "xes"),
        (".xes", "xes"),
        (".parquet", "parquet"),
        (".pq", "parquet"),
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".json", "jsonl"),
        (".jsonl.gz", "jsonl"),
        (".csv", "csv"),
        (".csv.gz", "csv"),
        (".tsv", "csv"),
        (".txt", "csv"),
    ):
        if name.endswith(suffix):
            return fmt
    head = _head(path, 512)
    if head.startswith(b"PAR1"):
        return "parquet"
    if b"<log" in head or b"<?xml" in head:
        return "xes"
    if head.lstrip().startswith(b"{"):
        return "jsonl"
    return "csv"


def read_source(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: str,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    max_xes_bytes: int | None = None,
) -> SourceRead:
    if fmt not in FORMATS:
        raise InputError(f"{path}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    try:
        if fmt == "csv":
            return _read_csv(con, path, delimiter, encoding)
        if fmt == "parquet":
            return _read_parquet(con, path)
        if fmt == "jsonl":
            return _read_jsonl(con, path)
        return _read_xes(con, path, max_xes_bytes)
    except duckdb.Error as exc:
        raise InputError(
            f"{path}: cannot be read as {fmt.upper()}: {_first_line(exc)}. "
            "Check that the file is complete and of that format."
        ) from exc
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InputError(
            f"{path}: damaged gzip data ({exc}). The file may be truncated or not gzip at all; "
            "download or export it again."
        ) from None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _head(path: Path, size: int) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read(size)
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as fh:
                return fh.read(size)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise InputError(
                f"{path}: damaged gzip data ({exc}). The file may be truncated; download or "
                "export it again."
            ) from None
    return data


def _open_binary(path: Path) -> BinaryIO:
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return cast(BinaryIO, gzip.open(path, "rb"))
    return open(path, "rb")


def _materialise(con: duckdb.DuckDBPyConnection, select: str) -> int:
    # rowid of a freshly created table follows insertion order, which DuckDB keeps equal to
    # the source's order (preserve_insertion_order), so rowid + 1 is the record number.
    con.execute(f"CREATE OR REPLACE TEMP TABLE sf_raw0 AS {select}")
    con.execute("CREATE OR REPLACE TEMP TABLE sf_raw AS SELECT *, rowid + 1 AS __row FROM sf_raw0")
    con.execute("DROP TABLE sf_raw0")
    row = one(con, "SELECT count(*) FROM sf_raw")
    return int(row[0]) if row else 0


def _columns(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    names = [d[0] for d in con.execute("SELECT * FROM sf_raw LIMIT 0").description or []]
    return tuple(n for n in names if n != "__row")


# --- JSON lines ------------------------------------------------------------------------------

_JSON_KINDS = {
    "VARCHAR": "text",
    "BIGINT": "number",
    "UBIGINT": "number",
    "HUGEINT": "number",
    "DOUBLE": "number",
    "BOOLEAN": "true/false",
    "ARRAY": "array",
    "OBJECT": "object",
}


def _read_jsonl(con: duckdb.DuckDBPyConnection, path: Path) -> SourceRead:
    """JSON lines (or one JSON array of objects), every value read as text.

    Nested objects are flattened: `{"case": {"id": "C1"}}` becomes the column `case.id`; arrays
    are kept as their JSON text. Strings are read exactly as written (no quotes added), numbers
    and true/false as their JSON text (`1` -> "1", `1.0` -> "1.0"), JSON null as missing. A
    column whose values mix kinds (numbers and strings, objects and strings) is reported.
    """
    scan = f"read_json_objects({quote_literal(str(path))}, format = 'auto')"
    con.execute(f"CREATE OR REPLACE TEMP TABLE sf_json0 AS SELECT json FROM {scan}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sf_json AS SELECT json, rowid + 1 AS __row FROM sf_json0"
    )
    con.execute("DROP TABLE sf_json0")
    bad = one(
        con,
        "SELECT min(__row), count(*) FROM sf_json WHERE json_type(json) IS DISTINCT FROM 'OBJECT'",
    )
    if bad and bad[1]:
        raise InputError(
            f"{path}: record {bad[0]}"
            + (f" (and {int(bad[1]) - 1:,} more)" if bad[1] > 1 else "")
            + " is not a JSON object; each "
            "line of a JSON lines file must be one object such as "
            '{"case": "C1", "activity": "受理", "time": "2024-01-01T08:00:00"}.'
        )
    structure = one(con, "SELECT json_group_structure(json) FROM sf_json")
    leaves: list[tuple[str, ...]] = []
    if structure and structure[0]:
        _leaf_paths(json.loads(structure[0]), (), leaves)
    names = [".".join(keys) for keys in leaves]
    clashes = sorted(n for n, k in Counter(names).items() if k > 1)
    if clashes:
        raise InputError(
            f"{path}: flattening nested objects gives the column {clashes[0]!r} twice (a key "
            "with a dot in its name beside a nested object of the same path); rename one of "
            "them in the export."
        )
    _refuse_too_wide(path, len(names))
    pointers = [quote_literal("/" + "/".join(_pointer(k) for k in keys)) for keys in leaves]
    select = ", ".join(
        f"json ->> {pointer} AS {quote_ident(name)}"
        for pointer, name in zip(pointers, names, strict=True)
    )
    rows = _materialise(
        con, f"SELECT {select} FROM sf_json ORDER BY __row" if names else "SELECT 1"
    )
    notes: list[str] = []
    if names:
        kinds = one(
            con,
            "SELECT "
            + ", ".join(
                f"list(DISTINCT json_type(json, {p})) FILTER (WHERE json_type(json, {p}) <> 'NULL')"
                for p in pointers
            )
            + " FROM sf_json",
        )
        for name, pointer, found in zip(names, pointers, kinds or (), strict=True):
            groups = sorted({_JSON_KINDS.get(k, k.lower()) for k in found or ()})
            if len(groups) > 1:
                first = one(
                    con,
                    "SELECT "
                    + ", ".join(
                        f"min(__row) FILTER (WHERE json_type(json, {pointer}) IN "
                        f"({', '.join(quote_literal(k) for k, g in _JSON_KINDS.items() if g == group)}))"
                        for group in groups
                    )
                    + " FROM sf_json",
                )
                where = ", ".join(
                    f"{group} (first at record {row})"
                    for group, row in zip(groups, first or (), strict=True)
                )
                notes.append(
                    f"JSON column {name!r} mixes value kinds: {where}; all are read as text, "
                    'so 1 and "1" are the same value and 1.0 another.'
                )
    con.execute("DROP TABLE sf_json")
    return SourceRead(format="jsonl", rows=rows, columns=_columns(con), type_notes=tuple(notes))


def _leaf_paths(node: Any, prefix: tuple[str, ...], out: list[tuple[str, ...]]) -> None:
    if isinstance(node, dict) and node:
        for key, child in node.items():
            _leaf_paths(child, (*prefix, key), out)
    elif prefix:
        out.append(prefix)


def _pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> SourceRead:
    # Parquet is columnar and cheap to scan again: a view reads only the columns each step
    # needs, instead of copying the whole file into a table first.
    scan = f"read_parquet({quote_literal(str(path))}, file_row_number = true)"
    columns = _parquet_columns(con, scan, "*", ())
    if all(expr == quote_ident(name) for name, expr in columns):
        select = "* EXCLUDE (file_row_number)"  # flat file: the plain scan
    else:
        select = ", ".join(f"{expr} AS {quote_ident(name)}" for name, expr in columns)
    _refuse_too_wide(path, len(columns))
    con.execute(
        "CREATE OR REPLACE TEMP VIEW sf_raw AS "
        f"SELECT {select}, file_row_number + 1 AS __row FROM {scan}"
    )
    rows = one(con, "SELECT count(*) FROM sf_raw")
    return SourceRead(format="parquet", rows=int(rows[0]) if rows else 0, columns=_columns(con))


def _parquet_columns(
    con: duckdb.DuckDBPyConnection, scan: str, expr: str, prefix: tuple[str, ...]
) -> list[tuple[str, str]]:
    """(column name, SQL) of every leaf: struct fields flattened with dots as in JSON lines
    (`case.id`), lists and maps kept as their JSON text."""
    target = "*" if expr == "*" else f"unnest({expr})"
    described = con.execute(f"DESCRIBE SELECT {target} FROM {scan} LIMIT 0").fetchall()
    out: list[tuple[str, str]] = []
    for name, kind, *_ in described:
        if not prefix and name == "file_row_number":
            continue
        keys = (*prefix, str(name))
        path = (
            quote_ident(str(name))
            if expr == "*"
            else f"struct_extract({expr}, {quote_literal(str(name))})"
        )
        if str(kind).startswith("STRUCT("):
            out += _parquet_columns(con, scan, path, keys)
        elif str(kind).endswith("[]") or str(kind).startswith(("MAP(", "UNION(")):
            out.append((".".join(keys), f"to_json({path})::VARCHAR"))
        else:
            out.append((".".join(keys), path))
    return out


def _read_xes(con: duckdb.DuckDBPyConnection, path: Path, max_bytes: int | None) -> SourceRead:
    from mining.ingest.xes import read_xes

    table = (
        read_xes(path) if max_bytes is None else read_xes(path, max_decompressed_bytes=max_bytes)
    )
    con.register("sf_xes_arrow", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE sf_raw AS SELECT * FROM sf_xes_arrow")
    finally:
        con.unregister("sf_xes_arrow")
    columns = _columns(con)
    rows = one(con, "SELECT count(*) FROM sf_raw")
    return SourceRead(
        format="xes",
        rows=int(rows[0]) if rows else 0,
        columns=columns,
        case_attribute_columns=tuple(c for c in columns if c.startswith("case:")),
    )


# --- CSV ---------------------------------------------------------------------------------


def _read_csv(
    con: duckdb.DuckDBPyConnection, path: Path, delimiter: str | None, encoding: str | None
) -> SourceRead:
    # UTF-8 (the usual case) is read by DuckDB directly; only when DuckDB reports invalid
    # UTF-8, or another encoding is named or marked by a byte-order mark, is the file decoded
    # in Python and transcoded to a temporary UTF-8 copy.
    named = encoding or _bom_encoding(path)
    if named is None or _is_utf8(named):
        read = _read_csv_utf8(con, path, path, delimiter, named or "utf-8")
        if not any("INVALID ENCODING" in reason.upper() for _, reason in read.malformed):
            return read
        named = _detect_encoding(path)
    tmp = _transcode(path, named)
    try:
        return _read_csv_utf8(con, path, tmp, delimiter, named)
    finally:
        tmp.unlink(missing_ok=True)


def _is_utf8(encoding: str) -> bool:
    return encoding.replace("_", "-").lower() in ("utf-8", "utf8", "ascii", "utf-8-sig")


def _bom_encoding(path: Path) -> str | None:
    head = _head(path, 4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _read_csv_utf8(
    con: duckdb.DuckDBPyConnection, path: Path, source: Path, delimiter: str | None, encoding: str
) -> SourceRead:
    sample = _decoded_head(source)
    if not sample.strip():
        raise InputError(f"{path}: the file is empty: there is no header and no data.")
    _refuse_binary(path, sample)
    if delimiter is not None and len(delimiter) != 1:
        raise InputError(
            f"{path}: the delimiter must be one character, not {delimiter!r} (use --delimiter "
            "';' or --delimiter tab)."
        )
    try:
        delim = delimiter or _sniff_delimiter(sample)
        header = next(csv.reader(io.StringIO(sample), delimiter=delim), [])
    except csv.Error as exc:
        raise InputError(
            f"{path}: the header line cannot be read as CSV ({exc}). Check that the file is a "
            "complete CSV export; name the delimiter with --delimiter if it is unusual."
        ) from None
    _refuse_too_wide(path, len(header))
    notes = _duplicate_header_notes(header)
    scan = (
        f"read_csv({quote_literal(str(source))}, all_varchar = true, header = true, "
        f"delim = {quote_literal(delim)}, quote = '\"', escape = '\"', "
        "store_rejects = true, rejects_table = 'sf_csv_rejects', "
        "rejects_scan = 'sf_csv_reject_scans', parallel = true)"
    )
    con.execute("DROP TABLE IF EXISTS sf_csv_rejects")
    con.execute("DROP TABLE IF EXISTS sf_csv_reject_scans")
    rows = _materialise(con, f"SELECT * FROM {scan}")
    malformed = tuple(
        (int(line), f"{error_type.lower()}: {message}")
        for line, error_type, message in con.execute(
            "SELECT line, error_type, first(error_message) FROM sf_csv_rejects "
            "GROUP BY line, error_type ORDER BY line"
        ).fetchall()
    )
    return SourceRead(
        format="csv",
        rows=rows,
        columns=_columns(con),
        encoding=encoding,
        delimiter=delim,
        notes=notes,
        malformed=malformed,
    )


def _refuse_binary(path: Path, sample: str) -> None:
    """Text exports hold no NUL bytes and few control characters; binary files hold many."""
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r")
    if "\x00" in sample or controls > 0.10 * len(sample):
        raise InputError(
            f"{path}: this is not a text (CSV) file: its first bytes are binary data "
            f"({controls:,} control bytes in the first {len(sample):,} characters). Check that "
            "it is the right file; a UTF-16 export without a byte-order mark needs "
            "--encoding utf-16-le, and other formats need their own extension or --format."
        )


def _refuse_too_wide(path: Path, columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise InputError(
            f"{path}: the file has {columns:,} columns; servflow loads at most {MAX_COLUMNS:,}. "
            "Export only the columns the analysis needs (case id, activity, timestamps, "
            "resource, team and the attributes you want to compare)."
        )


def _detect_encoding(path: Path) -> str:
    """UTF-8, else GB2312/GB18030 when the bytes look like Chinese text, else Windows-1252.

    Any byte string decodes as GB18030 or Latin-1, so decodability alone cannot decide:
    Chinese text in GBK has both bytes of almost every character at 0xA1 or above, while
    accented Latin letters decoded as GB18030 pair with a following ASCII letter.
    """
    if _decodes(path, "utf-8"):
        return "utf-8"
    if _decodes(path, "gb2312"):
        return "gb2312"
    if _decodes(path, "gb18030") and _looks_chinese(path):
        return "gb18030"
    return "cp1252" if _decodes(path, "cp1252") else "latin-1"


def _looks_chinese(path: Path) -> bool:
    with _open_binary(path) as fh:
        text = fh.read(1 << 20).decode("gb18030", errors="ignore")
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return False
    high_trail = sum(1 for ch in wide if len(b := ch.encode("gb18030")) >= 2 and b[1] >= 0x80)
    return high_trail / len(wide) >= 0.9


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with _open_binary(path) as fh:
            while chunk := fh.read(1 << 22):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _transcode(path: Path, encoding: str) -> Path:
    fd, name = tempfile.mkstemp(prefix="servflow-", suffix=".csv")
    os.close(fd)
    out = Path(name)
    try:
        with _open_binary(path) as raw, open(out, "w", encoding="utf-8", newline="") as dst:
            text = io.TextIOWrapper(raw, encoding=encoding, newline="")
            while chunk := text.read(1 << 20):
                dst.write(chunk)
    except UnicodeDecodeError as exc:
        out.unlink(missing_ok=True)
        raise InputError(
            f"{path}: the file is not valid {encoding} text ({exc.reason} at byte {exc.start}). "
            "Save it as UTF-8, or name its encoding with --encoding."
        ) from exc
    except UnicodeError as exc:  # e.g. UTF-16 without a byte-order mark
        out.unlink(missing_ok=True)
        raise InputError(
            f"{path}: the file cannot be read as {encoding} text ({exc}). Name the exact "
            "encoding with --encoding (utf-16-le, utf-16-be, gb18030 ...)."
        ) from exc
    except LookupError as exc:
        out.unlink(missing_ok=True)
        raise InputError(f"{path}: unknown encoding {encoding!r}.") from exc
    return out


def _decoded_head(path: Path) -> str:
    with _open_binary(path) as fh:
        data = fh.read(SNIFF_BYTES)
    text = data.decode("utf-8-sig", errors="replace")
    if len(data) == SNIFF_BYTES:  # drop a possibly cut last line
        text = text[: text.rfind("\n") + 1] or text
    return text


def _sniff_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    best, best_score = ",", -1.0
    for delim in DELIMITERS:
        counts = [len(next(csv.reader([line], delimiter=delim))) for line in lines]
        if not counts or counts[0] < 2:
            continue
        # Prefer the delimiter that splits the header into the most columns and that most
        # lines agree with.
        agree = sum(1 for c in counts if c == counts[0]) / len(counts)
        score = agree * 1000 + counts[0]
        if score > best_score:
            best, best_score = delim, score
    return best


def _duplicate_header_notes(header: list[str]) -> tuple[str, ...]:
    counts = Counter(header)
    notes = []
    for name, n in counts.items():
        if n > 1:
            positions = [i + 1 for i, h in enumerate(header) if h == name]
            renamed = ", ".join(f"{name!r}" if k == 0 else f"'{name}_{k}'" for k in range(n))
            notes.append(
                f"duplicate column header {name!r} at columns {positions}: kept as {renamed}"
            )
    return tuple(notes)
