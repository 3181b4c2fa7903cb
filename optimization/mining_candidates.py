"""The candidates of a mining run, found while it is mined (what `servflow mine` does).

`MiningCandidates` reads the events of the log under the run's filter on a connection of its
own as soon as it is created, is told the findings of the run by `mine_log(on_section=...)`,
and ranks the candidates in a thread as soon as it has what they read: the automation
candidates once the stalled cases and the bottlenecks are known, the restructuring ones once
the other findings they read (`SECTIONS_READ`) are. `finish` stores the set with the run; it
equals what `optimization.candidates.find_candidates` finds from the stored run. The module
imports numpy and the ranking code in those threads only, so the mining starts sooner.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb

from mining import store
from mining.errors import InputError
from mining.results import as_stored

if TYPE_CHECKING:
    from mining.filters import LogFilter
    from mining.run import MiningOptions, MiningRun
    from optimization.model import CandidateOptions, CandidateSet
    from optimization.replay import SelectionEvents

__all__ = ["SECTIONS_READ", "MiningCandidates", "mine_with_candidates"]

# The findings of the mining run the candidates read.
SECTIONS_READ = ("bottlenecks", "rework_loops", "pingpong", "breakpoints", "kpis")


def mine_with_candidates(
    con: duckdb.DuckDBPyConnection,
    log_name: str,
    options: MiningOptions | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> MiningRun:
    """`mine_log`, with the run's candidates ranked while it mines and stored with the run
    (what `servflow mine` and the mining DAG's task run)."""
    from mining.run import MiningOptions, mine_log

    options = options or MiningOptions()
    with MiningCandidates(con, log_name, options.flt) as candidates:
        run = mine_log(con, log_name, options, progress=progress, on_section=candidates.on_section)
        if progress is not None:
            progress("optimization candidates")
        candidates.finish(con, run.run_id)
    return run


class MiningCandidates:
    """The candidates of a mining run found while it is mined.

    Use it in a `with` block and give `on_section` to `mine_log`; `finish` waits for the
    ranking and stores the set with the run. `selection`: a function returning the events of
    the log under the run's filter (default: read now, on a connection of its own, with
    `read_selection`). Leaving the block stops a thread still waiting for findings (e.g. the
    mining failed) and the reading.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        log_name: str,
        flt: LogFilter | None = None,
        options: CandidateOptions | None = None,
        *,
        selection: Callable[[], SelectionEvents] | None = None,
    ) -> None:
        self._log_name = log_name
        self._options = options
        self._exits = ExitStack()
        if selection is None:
            log_id = store.log_id_for(con, log_name)
            selection = self._exits.enter_context(
                store.beside(con, lambda side: _read_selection(side, log_id, flt))
            )
        self._selection = selection
        # read by the thread, on a connection of its own (the mining's is busy by then)
        self._side = con.cursor()
        self._sections: dict[str, list[dict[str, Any]]] = {}
        self._stalled: frozenset[str] | None = None
        self._future: Future[tuple[CandidateSet, float]] | None = None
        self._told_all = threading.Event()
        self._closed = False

    def __enter__(self) -> MiningCandidates:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop a thread still waiting for findings, and the reading of the events."""
        self._closed = True
        self._told_all.set()
        if self._future is None:  # (else the thread closes it)
            self._side.close()
        self._exits.close()

    def on_section(self, name: str, rows: tuple[Any, ...], as_of: datetime | None) -> None:
        """A finding of the run being mined (a `mining.run.SectionListener`)."""
        from mining.run import SECTIONS

        if name == "stalled_cases":
            self._stalled = frozenset(row.case_id for row in rows)
        elif name in SECTIONS_READ:
            self._sections[name] = as_stored(SECTIONS[name], rows)
        else:
            return
        if self._future is None and self._stalled is not None and "bottlenecks" in self._sections:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="servflow-candidates")
            self._future = pool.submit(self._find, as_of, self._stalled)
            pool.shutdown(wait=False)
        if self._sections.keys() == set(SECTIONS_READ):
            self._told_all.set()

    def _find(self, as_of: datetime | None, stalled: frozenset[str]) -> tuple[CandidateSet, float]:
        import numpy as np

        from optimization.candidates import (
            complete_candidate_set,
            flagged_automated,
            rank_automation_part,
        )
        from optimization.model import CandidateOptions
        from optimization.replay import case_log

        try:
            flagged = flagged_automated(self._side, store.log_id_for(self._side, self._log_name))
        finally:
            self._side.close()
        selection = self._selection()
        started = time.perf_counter()
        log = case_log(
            selection,
            run_id=0,
            log_name=self._log_name,
            as_of=as_of,
            stalled=np.fromiter(
                (case_id in stalled for case_id in selection.case_ids),
                dtype=bool,
                count=len(selection.case_ids),
            ),
        )
        options = self._options or CandidateOptions()
        ranked = rank_automation_part(log, dict(self._sections), options, flagged)
        waited = time.perf_counter()
        self._told_all.wait()
        if self._closed:
            raise InputError("The candidates were not told every finding of the mining run.")
        resumed = time.perf_counter()
        found = complete_candidate_set(ranked, log, dict(self._sections), self._log_name, 0)
        return found, (waited - started) + (time.perf_counter() - resumed)

    def finish(self, con: duckdb.DuckDBPyConnection, run_id: int) -> CandidateSet:
        """Wait for the candidates of mining run `run_id` (the run mined with `on_section`),
        store them with it and return them."""
        from optimization.candidates import compute_and_store, store_candidates
        from optimization.replay import check_selection, load_cases, run_row

        run = run_row(con, run_id)
        if run["log_name"] != self._log_name:
            raise InputError(
                f"Mining run {run_id} is of log {run['log_name']!r}, not {self._log_name!r}."
            )
        if self._future is None or not self._told_all.is_set():
            # not told every finding it needs: rank from the stored run
            cases = load_cases(con, run_id, selection=self._selection())
            self.close()
            return compute_and_store(con, run_id, self._options, cases=cases)
        found, seconds = self._future.result()
        check_selection(self._selection(), run)  # ranked from the events of this run
        found = replace(found, run_id=run_id)
        store_candidates(con, found, self._options, duration_s=seconds)
        return found


def _read_selection(
    side: duckdb.DuckDBPyConnection, log_id: int, flt: LogFilter | None
) -> SelectionEvents:
    from optimization.replay import read_selection

    return read_selection(side, log_id, flt)
