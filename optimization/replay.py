"""The stored cases of a mining run as arrays, and their replay with a change applied.

`load_cases` reads the events of a run's cases once (the run's own filter applies); a `Change`
(collapse a loop, drop a step's events, automate a step, cap a wait with an escalation rule,
resume stalled tickets by escalation, run two steps in parallel) is replayed on every case by
`replay`, which gives per-case lead time and work before and after.

Lead time of a case is the time from its first to its last event; a case the run found stalled
is still open, so its lead time runs to the run's as-of time. A change that removes waiting from
a case moves all of its later events earlier by the time saved (the waits and service times of
the other steps stay as observed). Work is the service time of events with a start timestamp.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property
from importlib import resources
from typing import Any

import duckdb
import numpy as np

from mining.errors import InputError
from mining.filters import LogFilter, apply_filter, filter_from_json, filter_to_json
from optimization.model import Change

__all__ = [
    "CaseLog",
    "Change",
    "Replay",
    "SelectionEvents",
    "case_log",
    "check_selection",
    "load_cases",
    "read_selection",
    "replay",
    "run_query",
]


def run_query(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> Any:
    """Run `optimization/sql/<name>.sql` (one statement) with named `$parameters`."""
    text = _sql(name)
    used = {k: v for k, v in params.items() if f"${k}" in text}
    return con.execute(text, used or None)


def query_arrays(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> Any:
    """`optimization/sql/<name>.sql` as a pyarrow Table: DuckDB fills Arrow buffers on all its
    threads, several times faster than `fetchnumpy` for millions of rows."""
    text = _sql(name)
    used = {k: v for k, v in params.items() if f"${k}" in text}
    return con.sql(text, params=used or None).to_arrow_table()


def _numbers(table: Any, column: str) -> np.ndarray:
    """A numeric or boolean column without NULLs of an Arrow table as one (new) numpy array,
    read from the chunks' buffers (`Array.to_numpy` would import pandas)."""
    arrow_type = table.schema.field(column).type
    boolean = str(arrow_type) == "bool"
    dtype = np.dtype(bool) if boolean else np.dtype(arrow_type.to_pandas_dtype())
    parts = []
    for chunk in table.column(column).chunks:
        if chunk.null_count:
            raise ValueError(f"column {column} holds NULLs")
        data = chunk.buffers()[1]
        if boolean:  # one bit per value, least significant first
            bits = np.unpackbits(
                np.frombuffer(data, dtype=np.uint8),
                count=chunk.offset + len(chunk),
                bitorder="little",
            )
            parts.append(bits[chunk.offset :].view(bool))
        else:
            parts.append(
                np.frombuffer(
                    data, dtype=dtype, count=len(chunk), offset=chunk.offset * dtype.itemsize
                )
            )
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


SAMPLE_CASES = 2000  # cases read first to rule out attributes with many values


@cache
def _sql(name: str) -> str:
    return resources.files("optimization").joinpath("sql", f"{name}.sql").read_text("utf-8")


@dataclass(frozen=True, eq=False)
class CaseLog:
    """The events of a run's cases as arrays in case order (one entry per event)."""

    run_id: int  # 0 while the run is being mined
    log_id: int
    log_name: str
    as_of_s: float
    activity_names: dict[int, str]
    team_names: dict[int, str]
    resource_names: dict[int, str]
    case: np.ndarray  # case index 0..cases-1 of each event
    act: np.ndarray
    ts: np.ndarray
    start: np.ndarray  # NaN where the event has no start timestamp
    resource: np.ndarray
    team: np.ndarray
    case_ids: tuple[str, ...]
    stalled: np.ndarray  # per case
    attributes: dict[str, np.ndarray] = field(default_factory=dict)  # per case value code, -1
    attribute_values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # code -> text
    # derived
    first: np.ndarray = field(init=False)  # index of each case's first event
    last: np.ndarray = field(init=False)
    prev_act: np.ndarray = field(init=False)  # -1 at a case's first event
    next_act: np.ndarray = field(init=False)  # -1 at a case's last event
    segment: np.ndarray = field(init=False)  # ts - previous event's ts (0 for the first)
    service: np.ndarray = field(init=False)  # ts - start, NaN without a start
    wait_before: np.ndarray = field(init=False)  # (start or ts) - previous ts, NaN for the first

    def __post_init__(self) -> None:
        # Each derived array is written once into its own buffer (in-place steps, no
        # temporaries): at millions of events, fresh memory costs more than the arithmetic.
        n = len(self.act)
        cases = len(self.case_ids)
        boundary = np.empty(n, dtype=bool)
        if n:
            boundary[0] = True
            np.not_equal(self.case[1:], self.case[:-1], out=boundary[1:])
        first = np.flatnonzero(boundary)
        last = np.append(first[1:] - 1, n - 1) if n else first
        if len(first) != cases:
            raise InputError(
                f"Log {self.log_name!r} changed since mining run {self.run_id} "
                f"({len(first)} cases with events, {cases} stored): mine it again."
            )
        prev_act = np.empty(n, dtype=np.int64)
        next_act = np.empty(n, dtype=np.int64)
        segment = np.empty(n)
        wait = np.where(np.isnan(self.start), self.ts, self.start)  # when the step began
        if n:
            prev_act[1:] = self.act[:-1]
            next_act[:-1] = self.act[1:]
            np.subtract(self.ts[1:], self.ts[:-1], out=segment[1:])
            wait[1:] -= self.ts[:-1]
        prev_act[first] = -1
        next_act[last] = -1
        segment[first] = 0.0
        np.maximum(segment, 0.0, out=segment)
        service = np.subtract(self.ts, self.start)
        np.maximum(service, 0.0, out=service)
        wait[first] = np.nan
        np.maximum(wait, 0.0, out=wait)  # NaN stays NaN
        for name, value in (
            ("first", first),
            ("last", last),
            ("prev_act", prev_act),
            ("next_act", next_act),
            ("segment", segment),
            ("service", service),
            ("wait_before", wait),
        ):
            object.__setattr__(self, name, value)

    @property
    def cases(self) -> int:
        return len(self.case_ids)

    @property
    def has_start(self) -> bool:
        return bool(np.isfinite(self.start).any())

    def activity_id(self, name: str) -> int:
        for key, value in self.activity_names.items():
            if value == name:
                return key
        known = ", ".join(sorted(self.activity_names.values())[:20])
        raise InputError(f"No activity {name!r} in log {self.log_name!r} (activities: {known}).")

    def lead_times(self) -> np.ndarray:
        """Per case: last minus first event, or as-of minus first event while stalled."""
        return self._lead_times.copy()

    def work(self) -> np.ndarray:
        """Per case: the service time of its events with a start timestamp (seconds)."""
        return self._work.copy()

    @cached_property
    def _lead_times(self) -> np.ndarray:
        end = np.where(self.stalled, self.as_of_s, self.ts[self.last])
        return np.maximum(end - self.ts[self.first], 0.0)

    @cached_property
    def _work(self) -> np.ndarray:
        return np.bincount(self.case, weights=self.service_or_zero, minlength=self.cases)

    @cached_property
    def service_or_zero(self) -> np.ndarray:
        """Service time per event, 0 where the event has no start timestamp."""
        return np.nan_to_num(self.service)

    @cached_property
    def service_cumsum(self) -> np.ndarray:
        return np.cumsum(self.service_or_zero)

    @cached_property
    def by_activity(self) -> tuple[np.ndarray, np.ndarray]:
        """Event indices grouped by activity id, ascending within each activity, and where each
        activity id's group starts (`bounds[a]:bounds[a + 1]`): one stable sort, shared."""
        n = len(self.act)
        top = int(self.act.max()) + 1 if n else 0
        small = top <= 1 << 15  # then a radix sort over 16-bit keys
        order = np.argsort(self.act.astype(np.int16) if small else self.act, kind="stable")
        bounds = np.zeros(top + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.act, minlength=top), out=bounds[1:])
        return order, bounds

    def events_of(self, activities: int | list[int]) -> np.ndarray:
        """Indices of the events of these activity ids, ascending."""
        order, bounds = self.by_activity
        ids = [activities] if isinstance(activities, int) else list(dict.fromkeys(activities))
        parts = [order[bounds[a] : bounds[a + 1]] for a in ids if 0 <= a < len(bounds) - 1]
        if len(parts) == 1:
            return parts[0]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    @cached_property
    def own_span(self) -> np.ndarray:
        """Per case: last minus first event time (seconds)."""
        return self.ts[self.last] - self.ts[self.first]

    @cached_property
    def last_act(self) -> np.ndarray:
        """Per case: the activity of its last event."""
        return self.act[self.last]

    def months(self) -> float:
        """The time the log spans, in months of 30.44 days (at least one day)."""
        if not len(self.ts):
            return 1.0
        span = float(self.ts.max() - self.ts.min())
        return max(span, 86400.0) / (30.44 * 86400)


def _run_filter(raw: str | None) -> LogFilter | None:
    return filter_from_json(json.loads(raw or "{}"))


def run_row(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, Any]:
    """The `mining_runs` row of `run_id`; `InputError` if there is none."""
    cursor = con.execute("SELECT * FROM mining_runs WHERE run_id = ?", [run_id])
    names = [d[0] for d in cursor.description or []]
    rows = cursor.fetchall()
    if not rows:
        raise InputError(f"There is no mining run {run_id} in this database.")
    return dict(zip(names, rows[0], strict=True))


@dataclass(frozen=True)
class SelectionEvents:
    """The events of a log under a filter, as `read_selection` read them: what `load_cases`
    needs besides the mining run (its id, date and stalled cases)."""

    log_id: int
    flt: LogFilter | None
    columns: dict[str, np.ndarray]  # case_no, activity_id, ts_s, start_s, resource_id, team_id
    case_numbers: np.ndarray  # ascending
    case_ids: tuple[str, ...]
    case: np.ndarray  # each event's case index
    attributes: dict[str, np.ndarray]
    attribute_values: dict[str, tuple[str, ...]]
    names: dict[str, dict[int, str]]  # activities, teams, resources: id -> name


def read_selection(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    flt: LogFilter | None,
    *,
    max_values: int = 50,
    attributes: bool = True,
) -> SelectionEvents:
    """The events of log `log_id` under `flt` in case order, with their cases and (`attributes`)
    the case attributes with at most `max_values` values. Sets `con`'s filter views; it can run
    on a connection of its own while the log is mined (`servflow mine` does)."""
    apply_filter(con, log_id, flt)
    events = query_arrays(con, "opt_events")
    columns = {
        name: _numbers(events, name)
        for name in ("case_no", "activity_id", "ts_s", "start_s", "resource_id", "team_id")
    }
    seq = _numbers(events, "seq")
    del events
    if not _in_case_order(columns["case_no"], seq):
        # the rows in (case, position) order, as ORDER BY case_no, seq gives them
        order = np.lexsort((seq, columns["case_no"]))
        columns = {name: values[order] for name, values in columns.items()}
    del seq
    cases = query_arrays(con, "opt_cases")
    numbers = _numbers(cases, "case_no").astype(np.int64)
    lookup = case_no_to_index(numbers)
    case = _case_index(columns["case_no"], numbers, lookup)
    codes, attribute_values = _attributes(con, max_values, lookup) if attributes else ({}, {})

    def names(table: str, key: str) -> dict[int, str]:
        rows = con.execute(
            f"SELECT {key}, name FROM {table} WHERE log_id = ? ORDER BY {key}", [log_id]
        )
        return {int(k): str(v) for k, v in rows.fetchall()}

    return SelectionEvents(
        log_id=log_id,
        flt=flt,
        columns=columns,
        case_numbers=numbers,
        case_ids=tuple(cases.column("case_id").to_pylist()),
        case=case,
        attributes=codes,
        attribute_values=attribute_values,
        names={
            "activities": names("activities", "activity_id"),
            "teams": names("teams", "team_id"),
            "resources": names("resources", "resource_id"),
        },
    )


def load_cases(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    *,
    max_values: int = 50,
    attributes: bool = True,
    selection: SelectionEvents | None = None,
) -> CaseLog:
    """The events of the cases mining run `run_id` analysed (under its filter); `attributes`:
    also the case attributes with at most `max_values` values (for ranking, not for replay).

    `selection`: the run's events as `read_selection` read them already (for the run's log and
    filter: `InputError` otherwise); read now when not given."""
    run = run_row(con, run_id)
    log_id = int(run["log_id"])
    flt = _run_filter(run["filter"])
    if selection is None:
        selection = read_selection(con, log_id, flt, max_values=max_values, attributes=attributes)
    else:
        check_selection(selection, run)
    stalled = _numbers(
        query_arrays(con, "opt_stalled_cases", run_id=run_id, log_id=log_id), "case_no"
    )
    return case_log(
        selection,
        run_id=run_id,
        log_name=str(run["log_name"]),
        as_of=run["as_of"],
        stalled=np.isin(selection.case_numbers, stalled, assume_unique=True),
    )


def check_selection(selection: SelectionEvents, run: dict[str, Any]) -> None:
    """`InputError` unless `selection` holds the events of mining run `run` (its `mining_runs`
    row): its log under its filter."""
    flt = _run_filter(run["filter"])
    if selection.log_id != int(run["log_id"]) or filter_to_json(selection.flt) != filter_to_json(
        flt
    ):
        raise InputError(
            f"The events given were read for log {selection.log_id} under another filter than "
            f"run {run['run_id']} (log {run['log_id']}) used: read them again for this run."
        )


def case_log(
    selection: SelectionEvents,
    *,
    run_id: int,
    log_name: str,
    as_of: datetime | None,
    stalled: np.ndarray,
) -> CaseLog:
    """The `CaseLog` of `selection` for mining run `run_id` (0: a run being mined), whose date
    is `as_of` (None: the last event) and whose stalled cases are `stalled` (one bool per case,
    in the order of `selection.case_ids`)."""
    columns = selection.columns
    ts = np.asarray(columns["ts_s"], dtype=np.float64)
    as_of_s = (
        (as_of - datetime(1970, 1, 1)).total_seconds()
        if as_of is not None
        else float(ts.max() if len(ts) else 0.0)
    )
    return CaseLog(
        run_id=run_id,
        log_id=selection.log_id,
        log_name=log_name,
        as_of_s=as_of_s,
        activity_names=selection.names["activities"],
        team_names=selection.names["teams"],
        resource_names=selection.names["resources"],
        case=selection.case,
        act=np.asarray(columns["activity_id"], dtype=np.int64),
        ts=ts,
        start=np.asarray(columns["start_s"], dtype=np.float64),
        resource=columns["resource_id"],  # int32 ids: compared, counted, looked up
        team=columns["team_id"],
        case_ids=selection.case_ids,
        stalled=stalled,
        attributes=selection.attributes,
        attribute_values=selection.attribute_values,
    )


def _in_case_order(case_no: np.ndarray, seq: np.ndarray) -> bool:
    """True when the rows are in (case number, position in the case) order already."""
    if len(case_no) < 2:
        return True
    later, earlier = case_no[1:], case_no[:-1]
    if not (later >= earlier).all():
        return False
    return bool(((seq[1:] > seq[:-1]) | (later != earlier)).all())


def _case_index(case_no: np.ndarray, numbers: np.ndarray, lookup: np.ndarray) -> np.ndarray:
    """Each event's case index (its case's position in `numbers`, ascending case numbers), for
    events in case order: each case's position repeated over its events (the case number
    changes where a case starts) where every case of `numbers` has events, else `lookup`."""
    n = len(case_no)
    if n and len(numbers):
        boundary = np.empty(n, dtype=bool)
        boundary[0] = True
        np.not_equal(case_no[1:], case_no[:-1], out=boundary[1:])
        starts = np.flatnonzero(boundary)
        if len(starts) == len(numbers) and np.array_equal(case_no[starts], numbers):
            lengths = np.diff(np.append(starts, n))
            return np.repeat(np.arange(len(starts), dtype=np.int64), lengths)
    return lookup[np.asarray(case_no, dtype=np.int64)]


def case_no_to_index(numbers: np.ndarray) -> np.ndarray:
    """Lookup array: case number -> position in `numbers` (-1: not a selected case)."""
    if not len(numbers):
        return np.zeros(0, dtype=np.int64)
    lookup = np.full(int(numbers.max()) + 1, -1, dtype=np.int64)
    lookup[numbers] = np.arange(len(numbers))
    return lookup


def _attributes(
    con: duckdb.DuckDBPyConnection, max_values: int, lookup: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, tuple[str, ...]]]:
    """Per attribute: the value code of every case (-1: missing) and the values' texts."""
    keys = [str(r[0]) for r in run_query(con, "opt_case_attribute_keys").fetchall()]
    if not keys:
        return {}, {}
    if any('"' in k or "\\" in k for k in keys):  # names a JSON path cannot quote
        data = query_arrays(
            con, "opt_case_attributes_any_keys", attributes=keys, max_values=max_values
        )
    else:
        paths = [f'$."{k}"' for k in keys]
        sample = run_query(con, "opt_case_attribute_sample", paths=paths, cases=SAMPLE_CASES)
        many = {int(k) for k, n_values in sample.fetchall() if n_values > max_values}
        if many:  # ids, names, free text: no need to read them for every case
            keys = [k for i, k in enumerate(keys) if i not in many]
            paths = [p for i, p in enumerate(paths) if i not in many]
        if not keys:
            return {}, {}
        data = query_arrays(con, "opt_case_attributes", paths=paths, max_values=max_values)
    cases = len(lookup) and int((lookup >= 0).sum())
    k = _numbers(data, "k")
    case_no = _numbers(data, "case_no")
    code = _numbers(data, "code")
    heads = np.flatnonzero(case_no < 0)  # one row per coded value, with its text
    texts = [  # the coded values' rows, in row order: the other rows' texts are NULL
        text
        for chunk in data.column("value").chunks
        if chunk.null_count < len(chunk)
        for text in chunk.to_pylist()
        if text is not None
    ]
    if len(texts) != len(heads):
        raise InputError("The case attribute values could not be read: mine the log again.")
    del data
    # per attribute (row k), per case: the value code, -1 where missing; one scatter
    table = np.full((len(keys), cases), -1, dtype=np.int64)
    rows = case_no >= 0
    at = lookup[case_no[rows]]
    ok = at >= 0
    if ok.all():
        table[k[rows], at] = code[rows]
    else:
        table[k[rows][ok], at[ok]] = code[rows][ok]
    head_k, head_code = k[heads], code[heads]
    codes: dict[str, np.ndarray] = {}
    values: dict[str, tuple[str, ...]] = {}
    for i in sorted(set(head_k.tolist())):  # attribute name order, as `keys`
        head = np.flatnonzero(head_k == i)
        head = head[np.argsort(head_code[head])]
        codes[keys[i]] = table[i]
        values[keys[i]] = tuple(str(texts[j]) for j in head.tolist())
    return codes, values


@dataclass(frozen=True, eq=False)
class Replay:
    """Per-case figures before and after a change (arrays over the cases, seconds)."""

    lead_before: np.ndarray
    lead_after: np.ndarray
    work_before: np.ndarray
    work_after: np.ndarray
    stalled_before: np.ndarray
    stalled_after: np.ndarray
    changed: np.ndarray  # cases the change touched
    resumed_from: np.ndarray  # per resumed case: the donor case used, -1 elsewhere

    @property
    def mean_change_s(self) -> float:
        if not len(self.lead_before):
            return 0.0
        return float(self.lead_after.mean() - self.lead_before.mean())


def _ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The indices of the half-open ranges [start, stop), in order (empty ranges skipped)."""
    lengths = np.maximum(stops - starts, 0)
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return np.arange(total, dtype=np.int64) + offsets


def _case_ends(cases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For indices grouped by case (`cases` their case numbers): masks of each case's first
    and last entry."""
    first = np.ones(len(cases), dtype=bool)
    last = np.ones(len(cases), dtype=bool)
    if len(cases) > 1:
        np.not_equal(cases[1:], cases[:-1], out=first[1:])
        last[:-1] = first[1:]
    return first, last


def _span_events(log: CaseLog, activity: int) -> np.ndarray:
    """Events after a case's first `activity` up to and including its last `activity`."""
    hits = log.events_of(activity)
    first, last = _case_ends(log.case[hits])
    return _ranges(hits[first] + 1, hits[last] + 1)


def _pingpong_events(log: CaseLog, x: int, y: int) -> np.ndarray:
    """Events to drop so that each X-Y-X(-Y-X ...) bouncing run keeps only its first event.

    A run is a stretch of consecutive events of one case alternating between X and Y (at least
    three); its events after the first, up to the run's last event of the activity it started
    with, go (X-Y-X-Y-Z keeps X, Y, Z: the last Y was the hand-over onwards).
    """
    n = len(log.act)
    if n < 3:
        return np.zeros(0, dtype=np.int64)
    # a run's events are X or Y: its triples start at an event of X or Y
    at = log.events_of([x, y])
    at = at[at < n - 2]
    a, b, c = log.act[at], log.act[at + 1], log.act[at + 2]
    pair = ((a == x) & (b == y)) | ((a == y) & (b == x))
    third = at[(log.case[at] == log.case[at + 2]) & (a == c) & pair]
    member = np.zeros(n, dtype=bool)  # the triples' events, ascending and each once
    for step in (0, 1, 2):
        member[third + step] = True
    idx = np.flatnonzero(member)
    del member
    if not len(idx):
        return idx
    # contiguous member stretches within one case are runs
    breaks = (np.diff(idx) != 1) | (log.case[idx[1:]] != log.case[idx[:-1]])
    starts = np.concatenate(([0], np.flatnonzero(breaks) + 1))
    run = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(idx))))
    opening = idx[starts]
    same = log.act[idx] == log.act[opening][run]
    last = np.maximum.reduceat(np.where(same, idx, -1), starts)
    return _ranges(opening + 1, last + 1)


def _without(at: np.ndarray, removed: np.ndarray | None) -> np.ndarray:
    return at if removed is None else at[~removed[at]]


def replay(log: CaseLog, changes: tuple[Change, ...], *, seed: int = 0) -> Replay:
    """Apply `changes` to every case; donors for resumed tickets are drawn with `seed`.

    A change touches the events of a few activities: the updates are made at those events only
    (`CaseLog.events_of`), and each case's saving adds up its touched events in log order, as
    a sum over all its events would (the others add nothing).
    """
    rng = np.random.default_rng(seed)
    n = len(log.act)
    # per touched event: the seconds by which its completion moves earlier, and the work it
    # no longer takes; one (events, saving, work) entry per update, events ascending
    updates: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = []
    removed: np.ndarray | None = None  # events dropped by an earlier change (None: none yet)
    # the log's own per-case figures, shared read-only (each replay's "after" is new)
    lead_before = _read_only(log._lead_times)
    work_before = _read_only(log._work)
    stalled_after = log.stalled.copy()
    extra_lead = np.zeros(log.cases)
    extra_work = np.zeros(log.cases)
    resumed_from = np.full(log.cases, -1, dtype=np.int64)
    changed = np.zeros(log.cases, dtype=bool)

    def drop(at: np.ndarray) -> None:
        """Remove the events `at` (ascending): their time and work go."""
        nonlocal removed
        at = _without(at, removed)
        if removed is None:
            removed = np.zeros(n, dtype=bool)
        removed[at] = True
        updates.append((at, log.segment[at], np.nan_to_num(log.service[at])))
        changed[log.case[at]] = True

    for change in changes:
        ids = [log.activity_id(a) for a in change.activities]
        # the cases the change reaches (drawn only for a partial share, as before)
        reached = None if change.share >= 1.0 else (rng.random(log.cases) < change.share)
        if change.kind == "collapse_loop":
            for a in ids:
                drop(_span_events(log, a))
        elif change.kind == "drop_repeats":
            at = log.events_of(ids)
            drop(at[log.prev_act[at] == log.act[at]])
        elif change.kind == "collapse_pingpong":
            drop(_pingpong_events(log, ids[0], ids[-1]))
        elif change.kind == "drop_events":
            at = log.events_of(ids)
            drop(at[log.first[log.case[at]] != at])  # a case's opening event sets its start
        elif change.kind == "automate":
            at = _without(log.events_of(ids), removed)
            if reached is not None:
                at = at[reached[log.case[at]]]
            most = np.inf if change.threshold_s is None else float(change.threshold_s)
            updates.append((at, np.minimum(log.segment[at], most), np.nan_to_num(log.service[at])))
            changed[log.case[at]] = True
        elif change.kind == "cap_wait":
            cap = float(change.threshold_s or 0.0)
            before = log.events_of(ids)
            at = _without(before[log.next_act[before] != -1] + 1, removed)  # right after them
            if change.target is not None:
                at = at[log.act[at] == log.activity_id(change.target)]
            wait = np.nan_to_num(log.wait_before[at])
            over = wait > cap
            at = at[over]
            updates.append((at, wait[over] - cap, None))
            changed[log.case[at]] = True
        elif change.kind == "parallel":
            a, b = ids[0], log.activity_id(change.target or change.activities[-1])
            events_a, events_b = log.events_of(a), log.events_of(b)
            second = np.unique(
                np.concatenate(
                    (events_b[log.prev_act[events_b] == a], events_a[log.prev_act[events_a] == b])
                )
            )
            second = _without(second, removed)
            updates.append((second, np.minimum(log.segment[second - 1], log.segment[second]), None))
            changed[log.case[second]] = True
        if change.kind in ("resume_stalled", "cap_wait"):
            if change.kind == "cap_wait" and change.target is not None:
                continue
            resumed, donors, lead_add, work_add = _resume(
                log, ids, float(change.threshold_s or 0.0), stalled_after, rng
            )
            stalled_after &= ~resumed
            resumed_from[resumed] = donors
            extra_lead[resumed] = lead_add
            extra_work[resumed] = work_add
            changed |= resumed

    at, saving, work_removed = _per_event(updates)
    touched = log.case[at]  # ascending, as the events
    per_case_saving = np.bincount(touched, weights=saving, minlength=log.cases)
    per_case_work = np.bincount(touched, weights=work_removed, minlength=log.cases)
    lead_after = lead_before.copy()
    # closed cases end earlier by their saving (the others' saving is 0: nothing changes);
    # still-open cases keep their age
    first, _last = _case_ends(touched)
    closed = touched[first]
    closed = closed[~log.stalled[closed]]
    lead_after[closed] = np.maximum(lead_before[closed] - per_case_saving[closed], 0.0)
    resumed = np.flatnonzero(log.stalled & ~stalled_after)
    own_after = np.maximum(log.own_span[resumed] - per_case_saving[resumed], 0.0)
    lead_after[resumed] = own_after + extra_lead[resumed]
    work_after = np.maximum(work_before - per_case_work, 0.0) + extra_work
    return Replay(
        lead_before=lead_before,
        lead_after=lead_after,
        work_before=work_before,
        work_after=work_after,
        stalled_before=_read_only(log.stalled),
        stalled_after=stalled_after,
        changed=changed,
        resumed_from=resumed_from,
    )


def _read_only(values: np.ndarray) -> np.ndarray:
    """A view of `values` that cannot be written to (a shared array stays as it is)."""
    view = values.view()
    view.flags.writeable = False
    return view


def _per_event(
    updates: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The touched events (ascending) with their saving and removed work: each event's updates
    added in the order they were made."""
    if not updates:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    if len(updates) == 1:
        at, saving, work = updates[0]
        return at, saving, np.zeros(len(at)) if work is None else work
    every = np.concatenate([u[0] for u in updates])
    at, slot = np.unique(every, return_inverse=True)
    saving, work = np.zeros(len(at)), np.zeros(len(at))
    np.add.at(saving, slot, np.concatenate([u[1] for u in updates]))
    np.add.at(
        work,
        slot,
        np.concatenate([np.zeros(len(u[0])) if u[2] is None else u[2] for u in updates]),
    )
    return at, saving, work


def _resume(
    log: CaseLog,
    activities: list[int],
    threshold_s: float,
    still_stalled: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stalled cases whose last event is one of `activities`, escalated `threshold_s` after it.

    Each continues like a donor: a closed case that went through the same activity (its last
    occurrence), drawn at random; the resumed case's next step starts at the escalation (or
    at the donor's own wait, if longer) and the rest of the donor's path follows with its times.
    """
    last_act = log.last_act
    resumed = still_stalled & np.isin(last_act, activities)
    if not resumed.any():
        empty = np.zeros(0)
        return resumed, np.zeros(0, dtype=np.int64), empty, empty
    lead_add = np.zeros(int(resumed.sum()))
    work_add = np.zeros(int(resumed.sum()))
    donors_used = np.full(int(resumed.sum()), -1, dtype=np.int64)
    targets = np.flatnonzero(resumed)
    cum_service = log.service_cumsum
    for a in set(int(x) for x in last_act[resumed]):
        # its events in closed cases, not a case's last event: the donors' occurrences
        hit = log.events_of(a)
        of = log.case[hit]
        keep = ~log.stalled[of] & (hit != log.last[of])
        hit, of = hit[keep], of[keep]
        last_hit = np.full(log.cases, -1, dtype=np.int64)
        _first, is_last = _case_ends(of)
        last_hit[of[is_last]] = hit[is_last]
        donor_cases = np.flatnonzero(last_hit >= 0)
        mine = np.flatnonzero(last_act[targets] == a)
        if not len(donor_cases):
            continue
        picks = donor_cases[rng.integers(0, len(donor_cases), len(mine))]
        at = last_hit[picks]
        end = log.last[picks]
        rest = log.ts[end] - log.ts[at]
        next_wait = log.ts[at + 1] - log.ts[at]
        # the next step happens at the escalation at the latest: the donor's wait beyond
        # the threshold is cut
        lead_add[mine] = rest - np.maximum(next_wait - threshold_s, 0.0)
        work_add[mine] = cum_service[end] - cum_service[at]
        donors_used[mine] = picks
    ok = donors_used >= 0
    out = np.zeros(log.cases, dtype=bool)
    out[targets[ok]] = True
    return out, donors_used[ok], lead_add[ok], work_add[ok]


def bootstrap_stats(
    values_by_case: np.ndarray, *, rounds: int, rng: np.random.Generator
) -> np.ndarray:
    """(rounds, 3) array of mean, median and P90 of `values_by_case` resampled over cases."""
    n = len(values_by_case)
    out = np.zeros((rounds, 3))
    if n == 0:
        return out
    for r in range(rounds):
        sample = values_by_case[rng.integers(0, n, n)]
        out[r] = (sample.mean(), *np.quantile(sample, [0.5, 0.9]))
    return out
