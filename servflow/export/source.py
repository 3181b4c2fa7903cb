"""What an export pack is made of: one stored mining run of a log and the loads it saw.

The pack shows a stored run, never a fresh computation, so every figure in it can be traced to
the database: the run's findings (`run_*` tables), its filter and parameters, the loads up to
the run's last load (with the SHA-256 of each input file) and their data-quality reports.
Only the process model is discovered again, from the same filtered log, with the settings
conformance checking uses; a run older than the log's newest load therefore cannot give a
model (the data changed since) and is refused for BPMN and PNML.

>>> run_filter_json(None), run_filter_json(LogFilter(variants_top_k=3))["variants_top_k"]
({}, 3)
>>> filter_from_json({"case_attributes": [["channel", ["微信"]]]}).case_attributes
(('channel', ('微信',)),)
"""

from __future__ import annotations

import importlib
import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from mining import store
from mining.errors import InputError
from mining.filters import LogFilter, apply_filter, filter_from_json, filter_to_json

__all__ = [
    "PackSource",
    "RunChoice",
    "choose_run",
    "describe_filter",
    "filter_from_json",
    "load_source",
    "run_filter_json",
    "stored_runs",
]


@dataclass(frozen=True, slots=True)
class PackSource:
    """The stored facts an export pack is written from.

    `report` is `mining.run.build_report` of the run; `loads`, `quality_findings` and
    `rejected_rows` cover the loads up to the run's last load; `period` is the first and last
    event of the selected cases; `candidates` the run's `optimization.CandidateSet` or None; `stale`: loads arrived after the run.
    """

    log_name: str
    log_id: int
    run_id: int
    flt: LogFilter | None
    report: dict[str, Any]
    loads: tuple[dict[str, Any], ...]
    quality_findings: tuple[dict[str, Any], ...]
    rejected_rows: tuple[dict[str, Any], ...]
    period: tuple[datetime | None, datetime | None]
    candidates: Any
    stale: bool
    parameters_from: int | None = None

    @property
    def run_caption(self) -> str:
        """How the pack names its run."""
        if self.parameters_from is None:
            return f"mining run {self.run_id}"
        return f"filtered export, parameters of mining run {self.parameters_from}"


def run_filter_json(flt: LogFilter | None) -> dict[str, Any]:
    """A filter as `mining_runs.filter` stores it (an empty object for the whole log)."""
    return filter_to_json(flt)


def describe_filter(flt: LogFilter | None) -> str:
    """The filter in words, for the report and error messages.

    >>> describe_filter(LogFilter(case_attributes=(("channel", ("APP", "微信")),)))
    'channel in {APP, 微信}'
    """
    if flt is None or flt.is_empty:
        return "none (the whole log)"
    parts: list[str] = []
    if flt.start or flt.end:
        parts.append(
            f"cases {flt.time_mode} between {flt.start or 'the beginning'} and {flt.end or 'the end'}"
        )
    parts += [f"{key} in {{{', '.join(values)}}}" for key, values in flt.case_attributes]
    if flt.teams:
        parts.append(f"cases with an event by a team in {{{', '.join(flt.teams)}}}")
    if flt.resources:
        parts.append(f"cases with an event by a resource in {{{', '.join(flt.resources)}}}")
    if flt.variants_top_k is not None:
        parts.append(f"the {flt.variants_top_k} most frequent variants")
    if flt.variant_coverage is not None:
        parts.append(f"the most frequent variants covering {flt.variant_coverage:.0%} of cases")
    if flt.activities is not None:
        parts.append(f"only the activities {', '.join(flt.activities)}")
    if flt.exclude_activities is not None:
        parts.append(f"without the activities {', '.join(flt.exclude_activities)}")
    return "; ".join(parts)


def _records(cursor: duckdb.DuckDBPyConnection) -> tuple[dict[str, Any], ...]:
    names = [d[0] for d in cursor.description or []]
    return tuple(dict(zip(names, row, strict=True)) for row in cursor.fetchall())


def _mine_hint(log_name: str, flt: LogFilter | None) -> str:
    options = []
    if flt is not None:
        if flt.start:
            options.append(f"--from {flt.start.isoformat()}")
        if flt.end:
            options.append(f"--to {flt.end.isoformat()}")
        options += [f"--where '{k}={','.join(v)}'" for k, v in flt.case_attributes]
        options += [f"--team {shlex.quote(name)}" for name in flt.teams]
        options += [f"--resource {shlex.quote(name)}" for name in flt.resources]
        if flt.variants_top_k is not None:
            options.append(f"--top-variants {flt.variants_top_k}")
    return " ".join(["servflow mine", log_name, *options])


@dataclass(frozen=True, slots=True)
class RunChoice:
    """The stored run an export shows, or (`stored` False) whose parameters a filtered export
    is mined with because no stored run used its filter."""

    run: dict[str, Any]
    stored: bool


def stored_runs(con: duckdb.DuckDBPyConnection, log_name: str) -> tuple[dict[str, Any], ...]:
    """The mining runs of a log, newest first (unknown log: UnknownLogError)."""
    log_id = store.log_id_for(con, log_name)
    return _records(store.run_sql(con, "export_runs", log_id=log_id))


def choose_run(
    runs: Sequence[dict[str, Any]], log_name: str, flt: LogFilter | None, run_id: int | None
) -> RunChoice:
    """The run to export: `run_id`, else the newest run (mined with `flt` when one is given).

    A filter that the chosen run did not use makes the export mine the filtered log afresh
    with that run's parameters (see `servflow.export.live`).
    """
    if not runs:
        raise InputError(
            f"Log {log_name!r} has not been mined yet, so there is nothing to export: "
            f"run `{_mine_hint(log_name, flt)}` first."
        )
    wanted = run_filter_json(flt)
    if run_id is not None:
        found = [r for r in runs if r["run_id"] == run_id]
        if not found:
            known = ", ".join(str(r["run_id"]) for r in runs)
            raise InputError(f"Log {log_name!r} has no mining run {run_id} (its runs: {known}).")
        run = found[0]
        return RunChoice(run, flt is None or json.loads(run["filter"]) == wanted)
    if flt is None:
        return RunChoice(runs[0], True)
    for run in runs:
        if json.loads(run["filter"]) == wanted:
            return RunChoice(run, True)
    return RunChoice(runs[0], False)


def _candidates(con: duckdb.DuckDBPyConnection, run_id: int, *, compute: bool) -> Any:
    """The run's candidates, where the optimization step provides them: stored with the run,
    or (`compute`, for a run mined for a filtered export) computed from it."""
    module = importlib.import_module("optimization")
    reader = getattr(module, "candidates_for_run", None)
    try:
        found = reader(con, run_id) if reader is not None else None
    except duckdb.CatalogException:
        found = None  # a database written before candidates were stored
    if found is None and compute:
        finder = getattr(module, "find_candidates", None)
        found = finder(con, run_id) if finder is not None else None
    return found


def load_source(
    con: duckdb.DuckDBPyConnection,
    log_name: str,
    run_id: int,
    *,
    parameters_from: int | None = None,
) -> PackSource:
    """Everything a pack shows of stored run `run_id`, read from the database.

    `parameters_from`: the run was mined for this export (in a scratch database) with the
    parameters of that stored run.
    """
    from mining.run import build_report

    log_id = store.log_id_for(con, log_name)
    runs = stored_runs(con, log_name)
    (run,) = [r for r in runs if r["run_id"] == run_id]
    chosen = int(run_id)
    run_flt = filter_from_json(json.loads(run["filter"]))
    report = build_report(con, log_name, chosen)
    last_load = int(run["last_load_id"])
    loads = _records(store.run_sql(con, "export_loads", log_id=log_id, last_load_id=last_load))
    findings = _records(
        store.run_sql(con, "export_quality_findings", log_id=log_id, last_load_id=last_load)
    )
    rejected = _records(
        store.run_sql(con, "export_rejected_rows", log_id=log_id, last_load_id=last_load)
    )
    apply_filter(con, log_id, run_flt)
    period = store.one(con, store.sql("export_period"))
    return PackSource(
        log_name=log_name,
        log_id=log_id,
        run_id=chosen,
        flt=run_flt,
        report=report,
        loads=loads,
        quality_findings=findings,
        rejected_rows=rejected,
        period=(period[0], period[1]) if period else (None, None),
        candidates=_candidates(con, chosen, compute=parameters_from is not None),
        stale=bool(report["stale"]),
        parameters_from=parameters_from,
    )
