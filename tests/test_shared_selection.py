"""Sections inside a shared selection (as a mining run computes them) give the figures they give
on their own, also when a call under another filter comes in between."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from mining import bottlenecks, breakpoints, flows, handover, kpis, rework, store
from mining.filters import LogFilter, shared_selection


def _figures(value: Any) -> Any:
    """A result as plain data, floats to 12 significant digits (sums in parallel may differ in
    the last bits)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple(
            (f.name, _figures(getattr(value, f.name)))
            for f in dataclasses.fields(value)
            if f.name != "graph"
        )
    if isinstance(value, tuple | list):
        return tuple(_figures(v) for v in value)
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.12g}")
    return value


def _sections(con: Any, log_id: int, flt: LogFilter | None) -> Any:
    return _figures(
        (
            flows.discover_dfg(con, log_id, flt=flt),
            flows.get_activity_statistics(con, log_id, flt=flt),
            flows.get_variants(con, log_id, flt=flt),
            flows.summarize_lead_times(con, log_id, flt=flt),
            bottlenecks.find_bottlenecks(con, log_id, flt=flt),
            bottlenecks.find_activity_bottlenecks(con, log_id, flt=flt),
            rework.find_rework(con, log_id, flt=flt),
            rework.find_pingpong(con, log_id, flt=flt),
            handover.build_handover_network(con, log_id, flt=flt),
            breakpoints.find_breakpoints(con, log_id, flt=flt),
            kpis.compute_kpis(con, log_id, flt=flt),
        )
    )


def test_shared_selection_gives_the_standalone_figures(telecom) -> None:
    db, _ = telecom(7, 2000)
    with store.connect(db, read_only=True) as con:
        log_id = store.log_id_for(con, "telecom")
        # the team in the fewest cases, so that selecting by it leaves some cases out
        team = con.execute(
            "SELECT t.name FROM events e JOIN teams t USING (log_id, team_id) WHERE log_id = ? "
            "GROUP BY t.name ORDER BY count(DISTINCT e.case_no), t.name LIMIT 1",
            [log_id],
        ).fetchall()[0][0]
        by_team = LogFilter(teams=(team,))
        projected = LogFilter(exclude_activities=("满意度回访",))
        alone = {flt: _sections(con, log_id, flt) for flt in (None, by_team, projected)}
        assert alone[None] != alone[by_team] != alone[projected]
        for flt in (None, by_team, projected):
            with shared_selection(con, log_id, flt):
                assert _sections(con, log_id, flt) == alone[flt]
                # another selection in between must neither read nor spoil the shared tables
                other = by_team if flt is None else None
                assert _sections(con, log_id, other) == alone[other]
                assert _sections(con, log_id, flt) == alone[flt]
        # the block's tables are gone, and calls after it build their own
        assert not con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name = 'sf_activity_times'"
        ).fetchall()
        assert _sections(con, log_id, projected) == alone[projected]


def test_root_causes_beside_the_sections_are_those_computed_alone(telecom) -> None:
    from mining import rootcause

    db, _ = telecom(7, 2000)
    with store.connect(db, read_only=True) as con:
        log_id = store.log_id_for(con, "telecom")
        flt = LogFilter(exclude_activities=("满意度回访",))
        breaks = breakpoints.find_breakpoints(con, log_id, flt=flt)
        given = {
            "as_of": breaks.as_of,
            "end_activities": breaks.end_activities,
            "stalled_case_ids": breaks.stalled_case_ids,
        }
        alone = rootcause.find_root_causes_by_outcome(con, log_id, flt=flt, **given)
        assert alone["lead_time"].causes and breaks.stalled_case_ids
        with (
            shared_selection(con, log_id, flt),
            store.beside(
                con,
                lambda side: rootcause.find_root_causes_by_outcome(side, log_id, flt=flt, **given),
            ) as wait,
        ):
            # the main connection works under the same filter meanwhile
            sections = _sections(con, log_id, flt)
            beside = wait()
        assert _figures(beside) == _figures(alone)
        assert sections == _sections(con, log_id, flt)


def test_work_beside_reports_its_error_and_is_interrupted_when_left() -> None:
    import time

    import duckdb
    import pytest

    with store.connect_memory() as con:
        con.execute("CREATE TABLE t AS SELECT range AS i FROM range(10)")
        con.execute("CREATE TEMP TABLE only_here AS SELECT 1 AS x")
        # the side connection reads the database's tables, not this connection's temp tables
        with store.beside(con, lambda side: side.execute("SELECT sum(i) FROM t").fetchall()) as w:
            assert w() == [(45,)]
        with (
            pytest.raises(duckdb.CatalogException, match="only_here"),
            store.beside(con, lambda side: side.execute("SELECT * FROM only_here").fetchall()) as w,
        ):
            w()
        # leaving the block early stops a query that would run for minutes
        started = time.monotonic()
        with (
            pytest.raises(KeyError),
            store.beside(
                con,
                lambda side: side.execute(
                    "SELECT sum(hash(i)) FROM range(100000000000) r(i)"
                ).fetchall(),
            ),
        ):
            raise KeyError("stop")
        assert time.monotonic() - started < 30
        assert con.execute("SELECT count(*) FROM t").fetchall() == [(10,)]
