"""Data-quality checks run on every load, before anything is stored.

The checks look for the event-log imperfection patterns of Suriadi et al. (2017) that can be
detected from the data itself: elusive events (missing case/activity/timestamp), form-based
capture (events of a case sharing one timestamp), collateral events (exact duplicates), time
travel (implausible timestamps, start after completion, events before the case's start),
polluted labels (ids or numbers inside activity names) and distorted/synonymous labels.

Each finding has a severity (info < warning < error); a load can be told to fail at a severity.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from difflib import SequenceMatcher
from typing import Any

import duckdb

from mining.store import one, sql

__all__ = [
    "SEVERITIES",
    "QualityFinding",
    "check_staged_events",
    "max_severity",
    "severity_at_least",
]

SEVERITIES = ("info", "warning", "error")
EARLIEST_PLAUSIBLE = datetime(1970, 1, 1)
MAX_LABELS_FOR_SIMILARITY = 2000
SIMILARITY = 0.92


@dataclass(frozen=True, slots=True)
class EventCheck:
    """A check over the staged events: its query returns (affected, examples[, cases])."""

    code: str
    pattern: str
    query: str
    warn_at: float  # share of events from which the finding is a warning
    error_at: float | None
    message: str
    needs_start: bool = False


EVENT_CHECKS = (
    EventCheck(
        "form_based_capture",
        "form-based capture",
        "quality_form_based_capture",
        0.05,
        None,
        "{affected} events in {cases} cases share their timestamp with another event of the "
        "same case; their order follows the source file.",
    ),
    EventCheck(
        "collateral_events",
        "collateral events (exact duplicates)",
        "quality_collateral_events",
        0.001,
        0.10,
        "{affected} events are exact copies of another event (same case, activity, timestamp, "
        "resource and attributes); they are kept as recorded.",
    ),
    EventCheck(
        "implausible_timestamps",
        "time travel (implausible timestamps)",
        "quality_implausible_timestamps",
        0.0,
        0.10,
        "{affected} events have a timestamp before {earliest:%Y-%m-%d} or in the future; check "
        "the timestamp format and time zone.",
    ),
    EventCheck(
        "start_after_complete",
        "time travel (start after completion)",
        "quality_start_after_complete",
        0.0,
        0.10,
        "{affected} events start after they complete; their service time is not used.",
        needs_start=True,
    ),
    EventCheck(
        "before_case_start",
        "time travel (event before the case's recorded start)",
        "quality_before_case_start",
        0.05,
        None,
        "{affected} events are dated before the first recorded event of their case (recorded "
        "out of time order); servflow orders events by time.",
    ),
)


@dataclass(frozen=True, slots=True)
class QualityFinding:
    """One data-quality finding of one load."""

    code: str
    pattern: str
    severity: str
    affected: int
    share: float | None
    message: str
    examples: tuple[dict[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "pattern": self.pattern,
            "severity": self.severity,
            "affected": self.affected,
            "share": self.share,
            "message": self.message,
            "examples": list(self.examples),
        }


def severity_at_least(severity: str, threshold: str) -> bool:
    return SEVERITIES.index(severity) >= SEVERITIES.index(threshold)


def max_severity(findings: tuple[QualityFinding, ...] | list[QualityFinding]) -> str:
    if not findings:
        return "none"
    return max((f.severity for f in findings), key=SEVERITIES.index)


def _by_share(share: float, warn_at: float, error_at: float | None = None) -> str:
    if error_at is not None and share >= error_at:
        return "error"
    return "warning" if share >= warn_at else "info"


def _examples(value: Any) -> tuple[dict[str, Any], ...]:
    if not value:
        return ()
    return tuple(json.loads(json.dumps(v, default=str)) for v in value)


def check_staged_events(
    con: duckdb.DuckDBPyConnection,
    *,
    rows_read: int,
    rejected: int,
    reject_examples: list[dict[str, Any]],
    notes: tuple[str, ...] = (),
    has_start: bool = False,
    now: datetime | None = None,
    placeholders: tuple[tuple[str, int, tuple[str, ...]], ...] = (),
    type_notes: tuple[str, ...] = (),
) -> tuple[QualityFinding, ...]:
    """Run every check over the temp table `sf_valid` (the rows that became events). The temp
    tables `sf_same_time` (the groups of events sharing case and timestamp) and `sf_case_firsts`
    (each case's first row) are left for storing.

    `placeholders` lists (column, count, values) of placeholder values read as missing."""
    findings: list[QualityFinding] = []
    valid_row = one(con, "SELECT count(*) FROM sf_valid")
    valid = int(valid_row[0]) if valid_row else 0
    if placeholders:
        findings.append(_placeholder_finding(placeholders, rows_read))

    if rejected:
        share = rejected / rows_read if rows_read else 1.0
        findings.append(
            QualityFinding(
                "rejected_rows",
                "elusive events / unreadable rows",
                _by_share(share, 0.0, 0.10),
                rejected,
                share,
                f"{rejected} of {rows_read} rows were rejected (missing case, activity or "
                "timestamp, unreadable timestamp, or malformed record); first: "
                + "; ".join(f"row {e['row']}: {e['reason']}" for e in reject_examples[:3])
                + ".",
                tuple(reject_examples[:5]),
            )
        )
    for note in notes:
        findings.append(
            QualityFinding("duplicate_header", "ambiguous column names", "info", 1, None, note)
        )
    for note in type_notes:
        findings.append(
            QualityFinding("mixed_value_types", "mixed value types", "warning", 1, None, note)
        )
    # one grouping by case and time serves the form-based capture and the duplicate checks, and
    # the numbering of identical events when they are stored (load_coded_events.sql); one
    # grouping by case serves the before-case-start check and the case numbers
    con.execute(sql("quality_same_time_groups"))
    con.execute(sql("quality_case_firsts"))
    if valid == 0:
        return tuple(findings)

    latest = (now or datetime.now(UTC)).replace(tzinfo=None) + timedelta(days=1)
    params = {"earliest": EARLIEST_PLAUSIBLE, "latest": latest}
    for check in EVENT_CHECKS:
        if check.needs_start and not has_start:
            continue
        query = sql(check.query)
        row = one(con, query, {k: v for k, v in params.items() if f"${k}" in query} or None)
        affected = int(row[0]) if row and row[0] else 0
        if not affected:
            continue
        share = affected / valid
        findings.append(
            QualityFinding(
                check.code,
                check.pattern,
                _by_share(share, check.warn_at, check.error_at),
                affected,
                share,
                check.message.format(
                    affected=affected,
                    cases=row[2] if row and len(row) > 2 else None,
                    earliest=EARLIEST_PLAUSIBLE,
                ),
                _examples(row[1] if row else None),
            )
        )

    midnight, events = one(con, sql("quality_day_resolution")) or (0, 0)
    if events and midnight == events:
        findings.append(
            QualityFinding(
                "day_resolution",
                "coarse timestamps",
                "info",
                int(events),
                1.0,
                "All timestamps are dates without a time of day: events of a case on the same "
                "day are ordered as in the source file, and waiting times have day resolution.",
            )
        )

    labels = con.execute(sql("quality_activity_labels")).fetchall()
    findings.extend(_label_findings([(str(a), int(n)) for a, n in labels]))
    return tuple(findings)


def _placeholder_finding(
    placeholders: tuple[tuple[str, int, tuple[str, ...]], ...], rows_read: int
) -> QualityFinding:
    total = sum(n for _, n, _ in placeholders)
    worst = max(n for _, n, _ in placeholders) / rows_read if rows_read else 0.0
    listed = "; ".join(
        f"{column}: {n:,} ({', '.join(repr(v) for v in values)})"
        for column, n, values in placeholders[:5]
    )
    return QualityFinding(
        "placeholder_values",
        "missing values written as placeholders",
        "warning" if worst >= 0.05 else "info",
        total,
        worst,
        f"{total:,} values are placeholders for missing data and were stored as missing "
        f"(resources, teams and attributes; case ids are kept as written): {listed}.",
        tuple(
            {"column": column, "count": n, "values": list(values)}
            for column, n, values in placeholders[:10]
        ),
    )


def _label_findings(labels: list[tuple[str, int]]) -> list[QualityFinding]:
    findings: list[QualityFinding] = []
    names = [name for name, _ in labels]
    counts = dict(labels)

    # Polluted labels: several labels that only differ by numbers (ids inside activity names).
    by_shape: dict[str, list[str]] = defaultdict(list)
    for name in names:
        if re.search(r"\d", name):
            by_shape[re.sub(r"\d+", "#", name)].append(name)
    polluted = {shape: group for shape, group in by_shape.items() if len(group) >= 3}
    if polluted:
        affected = sum(len(g) for g in polluted.values())
        examples = tuple(
            {"shape": shape, "labels": sorted(group)[:5], "distinct": len(group)}
            for shape, group in sorted(polluted.items(), key=lambda kv: -len(kv[1]))[:5]
        )
        findings.append(
            QualityFinding(
                "polluted_labels",
                "polluted labels",
                "warning",
                affected,
                affected / len(names),
                f"{affected} activity labels differ only by numbers embedded in them (ids or "
                "counters inside activity names); they are counted as different activities.",
                examples,
            )
        )

    findings.extend(_identifier_findings(names, counts))

    # Distorted / synonymous labels: equal after folding case, width, spaces and punctuation,
    # or nearly equal spellings of a label.
    by_fold: dict[str, list[str]] = defaultdict(list)
    for name in names:
        by_fold[_fold(name)].append(name)
    pairs: list[tuple[str, str, str]] = []
    for group in by_fold.values():
        if len(group) > 1:
            pairs += [
                (group[0], other, "same after folding case and punctuation") for other in group[1:]
            ]
    if len(names) <= MAX_LABELS_FOR_SIMILARITY:
        folded = sorted(by_fold)
        for i, a in enumerate(folded):
            for b in folded[i + 1 :]:
                if re.sub(r"\d+", "#", a) == re.sub(r"\d+", "#", b):
                    continue  # differs by numbers only: reported as pollution
                if min(len(a), len(b)) < 6 or abs(len(a) - len(b)) > 2:
                    continue
                if SequenceMatcher(None, a, b).ratio() >= SIMILARITY:
                    pairs.append((by_fold[a][0], by_fold[b][0], "nearly the same spelling"))
    if pairs:
        examples = tuple(
            {"labels": [a, b], "events": [counts[a], counts[b]], "why": why}
            for a, b, why in pairs[:5]
        )
        findings.append(
            QualityFinding(
                "synonymous_labels",
                "distorted / synonymous labels",
                "warning",
                len(pairs),
                None,
                f"{len(pairs)} pairs of activity labels look like spellings of the same "
                "activity; map them to one label at the source if they are.",
                examples,
            )
        )
    return findings


# Tokens that identify a ticket, a customer or a person: ids with five or more digits
# (GD00000002, 13800000000), e-mail addresses.
_ID_TOKEN = re.compile(r"[A-Za-z]{0,6}\d{5,}|[\w.+-]+@[\w-]+(\.[\w-]+)+")


def _identifier_findings(names: list[str], counts: dict[str, int]) -> list[QualityFinding]:
    """Labels that carry identifiers (ticket, phone, e-mail) or extra words after another
    label ("受理 GD00000002 张三" beside "受理"): personal data inside an activity name, which
    pseudonymization does not reach, and one activity split into many labels."""
    known = set(names)
    extras: dict[str, list[str]] = {}
    by_prefix: dict[str, set[str]] = defaultdict(set)
    for name in names:
        words = name.split()
        for cut in range(len(words) - 1, 0, -1):
            prefix = " ".join(words[:cut])
            if prefix in known:
                extras[name] = [w for w in words[cut:] if not _ID_TOKEN.fullmatch(w)]
                by_prefix[prefix].add(" ".join(extras[name]))
                break
    flagged = []
    for name in names:
        ids = [m.group(0) for m in _ID_TOKEN.finditer(name)]
        extra = extras.get(name, [])
        # words after another label count when they vary (names), not for one fixed phrase
        varied = any(name.startswith(p + " ") and len(v) >= 3 for p, v in by_prefix.items())
        if ids or (extra and varied):
            flagged.append((name, ids, extra))
    if not flagged:
        return []
    examples = tuple(
        {"label": name, "identifiers": ids, "extra_words": extra, "events": counts[name]}
        for name, ids, extra in flagged[:5]
    )
    return [
        QualityFinding(
            "identifiers_in_labels",
            "polluted labels (identifiers or names inside labels)",
            "warning",
            len(flagged),
            len(flagged) / len(names),
            f"{len(flagged)} activity labels carry identifiers (ticket, phone or e-mail) or "
            "words beyond another label, such as a person's name; they are personal data that "
            "pseudonymization does not reach, and they split one activity into many. Clean "
            "the activity column at the source.",
            examples,
        )
    ]


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[\W_]+", "", text)
