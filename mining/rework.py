"""Rework and ping-pong: work that is done again, and work that bounces back.

- `find_rework`: activities repeated within a case, as self-loops (A-A) and longer loops
  (A ... A), the share of cases affected and the time the repetitions cost.
- `find_pingpong`: A-B-A patterns between consecutive activities, and X-Y-X between the teams
  (or resources) that hold the case.

Both read the filtered views `sf_cases` / `sf_events` (see `mining.filters`) in SQL on DuckDB.

**Extra time** of a repetition is the time since the previous occurrence of the same activity:
the case went round the loop once more and the work since then was, in the best case, spent
again. Per case this sums to (last occurrence - first occurrence) of the activity; per activity
`extra_time_s` is that sum over all affected cases, and rows are ranked by it. As a second,
independent view each row also gives the median lead time of the affected cases and of the
comparable unaffected ones (cases that did the same activity exactly once), and their difference
`lead_time_excess_s`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb

from mining import store
from mining.errors import InputError
from mining.filters import LogFilter, apply_filter, release
from mining.flows import prepare_case_views
from mining.handover import prepare_handovers

__all__ = [
    "PingPongReport",
    "PingPongRow",
    "ReworkLoop",
    "ReworkReport",
    "ReworkRow",
    "find_pingpong",
    "find_rework",
]

Level = Literal["activity", "team", "resource"]
LEVELS: tuple[Level, ...] = ("activity", "team", "resource")


@dataclass(frozen=True, slots=True)
class ReworkRow:
    """One activity that some cases repeat.

    `cases`: cases doing it more than once; `share`: of all selected cases;
    `repetitions`: occurrences after the first, summed over cases; `self_loops`: repetitions
    directly after the previous occurrence (A-A); `longer_loops`: the others (A ... A);
    `extra_time_s`: total rework time (see the module docstring), `median_extra_time_s` per
    affected case; `cases_with_activity`: cases doing it at all; `median_lead_time_s` of the
    affected cases vs `median_lead_time_once_s` of cases doing it once (None if there are none).
    """

    activity: str
    cases: int
    share: float
    repetitions: int
    self_loops: int
    longer_loops: int
    extra_time_s: float
    median_extra_time_s: float
    cases_with_activity: int
    median_lead_time_s: float
    median_lead_time_once_s: float | None
    lead_time_excess_s: float | None


@dataclass(frozen=True, slots=True)
class ReworkLoop:
    """One loop shape: `activity` repeated after `body` (empty for a self-loop A-A).

    `body` is None when the activities in between were more than `max_loop_body` (grouped).
    """

    activity: str
    body: tuple[str, ...] | None
    occurrences: int
    cases: int
    extra_time_s: float
    median_s: float


@dataclass(frozen=True, slots=True)
class ReworkReport:
    """Rework in the selected cases: per activity (`rows`, ranked by extra time) and per loop
    shape (`loops`, ranked by extra time, the first `top_loops`)."""

    cases: int
    cases_with_rework: int
    share_with_rework: float | None
    rows: tuple[ReworkRow, ...]
    loops: tuple[ReworkLoop, ...]


@dataclass(frozen=True, slots=True)
class PingPongRow:
    """A pair that alternates X-Y-X within cases.

    `activities` holds the two labels that alternate: activity names at level 'activity', team
    names at level 'team', resource names at level 'resource'. The first one is the one most
    often returned to (X in X-Y-X). `occurrences` counts X-Y-X and Y-X-Y triples (A-B-A-B gives
    two), `cases` the cases with at least one, `share` those cases among all selected cases.
    """

    level: Level
    activities: tuple[str, str]
    cases: int
    occurrences: int
    share: float
    returns_to_first: int
    returns_to_second: int


@dataclass(frozen=True, slots=True)
class PingPongReport:
    """Ping-pong pairs per level, each level ranked by cases, then occurrences.

    `available` lists the levels that could be computed (a log without teams has no team level).
    """

    cases: int
    rows: tuple[PingPongRow, ...]
    available: tuple[Level, ...]

    def level(self, level: Level) -> tuple[PingPongRow, ...]:
        """The ranked rows of one level."""
        return tuple(r for r in self.rows if r.level == level)


def find_rework(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    max_loop_body: int = 8,
    top_loops: int = 50,
) -> ReworkReport:
    """Activities repeated within cases, ranked by the rework time they cost.

    >>> import tempfile, pathlib
    >>> from mining.ingest import ingest_file, IngestOptions
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.csv").write_text("case,activity,timestamp\\n"
    ...     "1,a,2024-01-01 00:00\\n1,b,2024-01-01 01:00\\n1,b,2024-01-01 03:00\\n")
    >>> con = store.connect(d / "x.duckdb")
    >>> _ = ingest_file(con, d / "t.csv", IngestOptions(log_name="t"))
    >>> row = find_rework(con, store.log_id_for(con, "t")).rows[0]
    >>> (row.activity, row.cases, row.self_loops, row.extra_time_s)
    ('b', 1, 1, 7200.0)
    """
    if max_loop_body < 0 or top_loops < 0:
        raise InputError("max_loop_body and top_loops must be >= 0.")
    prepare_case_views(con, log_id, flt)
    con.execute(store.sql("rework_variant_activities"))
    con.execute(store.sql("rework_occurrences"))
    params = {"log_id": int(log_id)}
    rows = []
    for r in con.execute(store.sql("rework_by_activity"), params).fetchall():
        (activity, cases, share, reps, self_loops, extra, med_extra, with_act, lead, lead_once) = r
        rows.append(
            ReworkRow(
                activity=activity,
                cases=int(cases),
                share=float(share),
                repetitions=int(reps),
                self_loops=int(self_loops),
                longer_loops=int(reps) - int(self_loops),
                extra_time_s=float(extra),
                median_extra_time_s=float(med_extra),
                cases_with_activity=int(with_act),
                median_lead_time_s=float(lead),
                median_lead_time_once_s=None if lead_once is None else float(lead_once),
                lead_time_excess_s=None if lead_once is None else float(lead) - float(lead_once),
            )
        )
    labels = _labels(con, log_id, "activity")
    loops = []
    loop_rows = con.execute(
        store.sql("rework_loops"), {"max_body": int(max_loop_body), "top": int(top_loops)}
    ).fetchall()
    for activity_id, body, occurrences, cases, extra, median_s in loop_rows:
        loops.append(
            ReworkLoop(
                activity=labels[activity_id],
                body=None if body is None else tuple(labels[b] for b in body),
                occurrences=int(occurrences),
                cases=int(cases),
                extra_time_s=float(extra),
                median_s=float(median_s),
            )
        )
    # aggregate queries: always exactly one row
    n_cases, with_rework = con.execute(store.sql("rework_case_totals")).fetchall()[0]
    con.execute(store.sql("rework_drop"))
    return ReworkReport(
        cases=n_cases,
        cases_with_rework=with_rework,
        share_with_rework=with_rework / n_cases if n_cases else None,
        rows=tuple(rows),
        loops=tuple(loops),
    )


def find_pingpong(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    levels: Sequence[Level] = ("activity", "team"),
) -> PingPongReport:
    """A-B-A between consecutive activities and X-Y-X between teams (or resources), ranked.

    At team/resource level the case's sequence of holders is used: events without a team are
    skipped and consecutive events of one team are one stay, so X X Y X counts as X-Y-X.

    >>> import tempfile, pathlib
    >>> from mining.ingest import ingest_file, IngestOptions
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.csv").write_text("case,activity,timestamp\\n1,a,2024-01-01 00:00\\n"
    ...     "1,b,2024-01-01 01:00\\n1,a,2024-01-01 02:00\\n1,c,2024-01-01 03:00\\n")
    >>> con = store.connect(d / "x.duckdb")
    >>> _ = ingest_file(con, d / "t.csv", IngestOptions(log_name="t"))
    >>> r = find_pingpong(con, store.log_id_for(con, "t")).rows[0]
    >>> (r.level, r.activities, r.cases, r.occurrences)
    ('activity', ('a', 'b'), 1, 1)
    """
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown:
        raise InputError(f"Unknown ping-pong level(s) {unknown}; use some of {list(LEVELS)}.")
    apply_filter(con, log_id, flt)
    n_cases = _case_count(con)
    rows: list[PingPongRow] = []
    available: list[Level] = []
    for level in dict.fromkeys(levels):
        if level == "activity":
            prepare_case_views(con, log_id, flt)
            found = con.execute(store.sql("rework_pingpong_activity")).fetchall()
        else:
            if not _has_level(con, level):
                continue
            kept = prepare_handovers(con, log_id, flt, level)
            found = con.execute(store.sql("rework_pingpong_groups")).fetchall()
            if not kept:  # no hand-over network of this run reads them after
                release(con, "sf_handovers")
        available.append(level)
        labels = _labels(con, log_id, level)
        level_rows = []
        for lo, hi, occurrences, cases, outer_lo, outer_hi in found:
            first, second = (lo, hi) if outer_lo >= outer_hi else (hi, lo)
            level_rows.append(
                PingPongRow(
                    level=level,
                    activities=(labels[first], labels[second]),
                    cases=int(cases),
                    occurrences=int(occurrences),
                    share=cases / n_cases if n_cases else 0.0,
                    returns_to_first=int(max(outer_lo, outer_hi)),
                    returns_to_second=int(min(outer_lo, outer_hi)),
                )
            )
        level_rows.sort(key=lambda r: (-r.cases, -r.occurrences, r.activities))
        rows.extend(level_rows)
    return PingPongReport(cases=n_cases, rows=tuple(rows), available=tuple(available))


def _labels(con: duckdb.DuckDBPyConnection, log_id: int, level: Level) -> dict[int, str]:
    found = con.execute(store.sql("rework_labels"), {"log_id": int(log_id), "level": level})
    return {int(i): name for i, name in found.fetchall()}


def _has_level(con: duckdb.DuckDBPyConnection, level: Level) -> bool:
    return bool(con.execute(store.sql("rework_has_groups"), {"level": level}).fetchall()[0][0])


def _case_count(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute(store.sql("rework_case_count")).fetchall()[0][0])
