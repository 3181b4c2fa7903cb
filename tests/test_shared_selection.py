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
