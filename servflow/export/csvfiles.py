"""Findings as CSV files a spreadsheet opens safely: UTF-8 with BOM, formula cells neutralised.

- UTF-8 with a byte-order mark, so Excel shows Chinese labels without an import dialog;
  CRLF line ends and every field quoted where needed, as RFC 4180 and Excel expect.
- A text cell starting with `=`, `+`, `-`, `@`, tab or carriage return (OWASP's list for CSV
  injection), their full-width forms, or an apostrophe gets a leading apostrophe, so no
  spreadsheet runs it as a formula. Strip one leading apostrophe from such a cell
  (`common.restore_cell`) to get the text back. Numbers are written as numbers (a negative
  number stays a number), lists and objects as JSON.
- Rows keep the ranked order of the mining run; the same run always gives the same bytes.

>>> cell(-1.5), cell(["受理", "=1+1"]), cell("=1+1"), cell(None)
('-1.5', '["受理", "=1+1"]', "'=1+1", '')
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from mining.results import column_types, read_section
from servflow.export.common import neutralise_cell, restore_cell

__all__ = [
    "SECTION_FILES",
    "candidate_rows",
    "cell",
    "read_csv",
    "write_csv",
    "write_findings",
]

# mining-run section -> CSV file name (without .csv); the others keep the section's name
SECTION_FILES = {"dfg": "flows"}


def cell(value: Any) -> str:
    """One value as CSV text (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return neutralise_cell(str(value))


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Write one CSV file (header, then rows) as described in the module docstring."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a CSV file written by `write_csv` back, with neutralised cells restored."""
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return [{restore_cell(k): restore_cell(v) for k, v in row.items()} for row in reader]


def _section_table(
    con: duckdb.DuckDBPyConnection, run_id: int, section: str, row_type: type
) -> tuple[list[str], list[list[Any]]]:
    header = list(column_types(row_type))
    rows = read_section(con, run_id, section)
    return header, [[row.get(name) for name in header] for row in rows]


def candidate_rows(candidates: Any) -> tuple[list[str], list[list[Any]]]:
    """The rows of candidates.csv from an `optimization.CandidateSet`."""
    from optimization.model import AUTOMATION_KINDS, RESTRUCTURING_KINDS

    header = [
        "group",
        "id",
        "kind",
        "kind_en",
        "kind_zh",
        "activities",
        "score",
        "cases",
        "executions_per_month",
        "median_duration_s",
        "hours_saved_per_month",
        "lead_time_change_s",
        "rationale",
        "rule",
        "evidence",
        "case_ids",
    ]
    rows: list[list[Any]] = []
    for a in candidates.automation:
        en, zh = AUTOMATION_KINDS.get(a.kind, (a.kind, ""))
        rows.append(
            [
                "automation",
                a.id,
                a.kind,
                en,
                zh,
                [a.activity],
                a.score,
                None,
                a.executions_per_month,
                a.median_duration_s,
                a.hours_saved_per_month,
                a.lead_time_change_s,
                a.rationale,
                a.rule.describe() if a.rule is not None else None,
                [c.as_dict() for c in a.criteria],
                [],
            ]
        )
    for r in candidates.restructuring:
        en, zh = RESTRUCTURING_KINDS.get(r.kind, (r.kind, ""))
        rows.append(
            [
                "restructuring",
                r.id,
                r.kind,
                en,
                zh,
                list(r.activities),
                r.score,
                r.cases,
                None,
                None,
                None,
                r.lead_time_change_s,
                r.rationale,
                None,
                [e.as_dict() for e in r.evidence],
                list(r.case_ids),
            ]
        )
    for done in candidates.already_automated:
        rows.append(
            ["already_automated", None, None, None, None, [done.activity]]
            + [None] * 6
            + [done.reason, None, [], []]
        )
    for judged in candidates.judgement:
        rows.append(
            ["judgement", None, None, None, None, [judged.activity], None, judged.cases]
            + [None] * 4
            + [judged.reason, None, list(judged.signals), []]
        )
    return header, rows


def write_findings(
    folder: Path,
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    sections: Mapping[str, type],
    *,
    quality_findings: Sequence[Mapping[str, Any]],
    rejected_rows: Sequence[Mapping[str, Any]],
    candidates: Any,
) -> list[Path]:
    """Write every section of the run, the data-quality findings, the rejected rows and (when
    the run has them) the candidates as CSV files in `folder`; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for section, row_type in sections.items():
        header, rows = _section_table(con, run_id, section, row_type)
        name = SECTION_FILES.get(section, section)
        written.append(write_csv(folder / f"{name}.csv", header, rows))
    for name, records in (("data_quality", quality_findings), ("rejected_rows", rejected_rows)):
        header = list(records[0]) if records else list(_EMPTY_HEADERS[name])
        rows = [[_json_cell(r[h]) for h in header] for r in records]
        written.append(write_csv(folder / f"{name}.csv", header, rows))
    if candidates is not None:
        header, rows = candidate_rows(candidates)
        written.append(write_csv(folder / "candidates.csv", header, rows))
    return written


_EMPTY_HEADERS = {
    "data_quality": (
        "load_id",
        "source_path",
        "severity",
        "code",
        "pattern",
        "affected",
        "share",
        "message",
        "examples",
    ),
    "rejected_rows": ("load_id", "source_path", "source_row", "reason", "raw"),
}


def _json_cell(value: Any) -> Any:
    """JSON columns arrive as text: keep them as compact JSON text, not re-quoted."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
