"""Service-quality scorecard of a ticket log: responsiveness, resolution, first-contact
resolution, reliability, repeat contacts, escalations and satisfaction.

Which activity or column means what is configured in `KpiColumns`; what is not configured is
learned from the log where that is sound (resolution = reaching an end activity learned by
`mining.breakpoints.find_end_activities`; first handling = the second event; hand-overs at team
level when the log has teams, else at resource level). A KPI the data cannot support is
returned with `value=None` and a `note` saying why ("not available"), never as a made-up zero.

Every figure is computed in SQL over the filtered views (`mining.filters`):

- `responsiveness`: median seconds from a case's first event to the begin (start timestamp, else
  completion) of its first handling event; never negative;
- `resolution_rate`: share of cases with a resolution event; `resolution_time`: median seconds
  from the first event to the first resolution event (resolved cases); `lead_time`: median
  seconds from first to last event (all cases);
- `first_contact_resolution`: share of resolved cases (with holder data) resolved without a
  hand-over between teams (or resources) before the first resolution;
- `reopen_rate`: share of resolved cases reopened: a configured reopen activity occurs, else the
  case works on after its first resolution (resolves again, or redoes an activity it did before);
- `repeat_contact_rate`: share of cases with a repeat contact or chasing event (configured
  activities), flagged by a configured attribute, or opened by a customer (configured customer
  attribute) who opened another case less than `repeat_window_s` before;
- `escalation_rate`: share of cases with an escalation activity or a yes-valued escalation
  attribute;
- `satisfaction`: mean numeric score of the cases that have one (case attribute, else the last
  value on the case's events).

>>> import tempfile, pathlib
>>> from mining import store
>>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
>>> card = compute_kpis(con, 1, columns=KpiColumns(satisfaction_attribute="score"))
>>> card.cases, card.get("satisfaction").value
(0, None)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import duckdb

from mining import store
from mining.errors import InputError
from mining.filters import LogFilter, json_path, shared_selection
from mining.flows import prepare_case_views

__all__ = [
    "KPI_NAMES",
    "Kpi",
    "KpiColumns",
    "KpiScorecard",
    "compute_kpis",
]

HolderLevel = Literal["team", "resource"]
Unit = Literal["seconds", "share", "score"]

_SHARE: Unit = "share"
_SCORE: Unit = "score"

KPI_NAMES = (
    "responsiveness",
    "resolution_rate",
    "resolution_time",
    "lead_time",
    "first_contact_resolution",
    "reopen_rate",
    "repeat_contact_rate",
    "escalation_rate",
    "satisfaction",
)


@dataclass(frozen=True, slots=True)
class KpiColumns:
    """What the log's activities and columns mean for the scorecard. Unset: learned or absent.

    Activity labels are the log's own. Attribute names are case attributes or event attributes
    (a case attribute wins where a case has both).
    """

    handling_activities: tuple[str, ...] | None = None
    resolution_activities: tuple[str, ...] | None = None
    reopen_activities: tuple[str, ...] | None = None
    repeat_contact_activities: tuple[str, ...] | None = None
    repeat_contact_attribute: str | None = None
    customer_attribute: str | None = None
    repeat_window_s: float = 7 * 86400.0
    escalation_activities: tuple[str, ...] | None = None
    escalation_attribute: str | None = None
    satisfaction_attribute: str | None = None
    handover_level: HolderLevel | None = None


@dataclass(frozen=True, slots=True)
class Kpi:
    """One scorecard figure. `value` None = not available (`note` says why).

    `basis_cases`: the cases the value is computed over; `cases`: for shares, the cases counted
    in the numerator; `mean` / `p90`: for durations; `note`: what was assumed or left out.
    """

    name: str
    value: float | None
    unit: Unit
    definition: str
    basis_cases: int | None
    cases: int | None = None
    mean: float | None = None
    p90: float | None = None
    note: str | None = None

    @property
    def available(self) -> bool:
        return self.value is not None


@dataclass(frozen=True, slots=True)
class KpiScorecard:
    """The scorecard of the selected cases, KPIs in `KPI_NAMES` order."""

    cases: int
    resolution_activities: tuple[str, ...]
    resolution_learned: bool
    handling_activities: tuple[str, ...] | None
    handover_level: HolderLevel | None
    kpis: tuple[Kpi, ...]

    def get(self, name: str) -> Kpi:
        """The KPI called `name` (one of `KPI_NAMES`)."""
        for kpi in self.kpis:
            if kpi.name == name:
                return kpi
        raise KeyError(f"no KPI named {name!r}; the scorecard has {', '.join(KPI_NAMES)}")

    def values(self) -> dict[str, float | None]:
        """KPI name -> value (None = not available), for reports."""
        return {k.name: k.value for k in self.kpis}


def compute_kpis(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    columns: KpiColumns | None = None,
    min_end_ratio: float = 0.5,
) -> KpiScorecard:
    """The service-quality scorecard of the log under `flt` (see the module docstring).

    `min_end_ratio` is passed to the end-activity learner when no resolution activities are
    configured.

    >>> card = compute_kpis(con, log_id, columns=KpiColumns(handling_activities=("受理",)))  # doctest: +SKIP
    >>> card.get("first_contact_resolution").value  # doctest: +SKIP
    0.62
    """
    cols = columns or KpiColumns()
    for name in (
        "handling_activities",
        "resolution_activities",
        "reopen_activities",
        "repeat_contact_activities",
        "escalation_activities",
    ):
        if isinstance(getattr(cols, name), str):
            raise InputError(
                f"KpiColumns.{name} must be a list of activity labels, not one string."
            )
    if cols.repeat_window_s <= 0:
        raise InputError(f"repeat_window_s must be positive (got {cols.repeat_window_s}).")

    # the end-activity learner reads the same case tables: build them once
    with shared_selection(con, log_id, flt):
        return _scorecard(con, log_id, flt, cols, min_end_ratio)


def _scorecard(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    flt: LogFilter | None,
    cols: KpiColumns,
    min_end_ratio: float,
) -> KpiScorecard:
    prepare_case_views(con, log_id, flt)
    ids = {
        str(n): int(i)
        for n, i in con.execute(store.sql("kpi_activity_ids"), {"log_id": int(log_id)}).fetchall()
    }
    notes: dict[str, list[str]] = {name: [] for name in KPI_NAMES}

    resolution_learned = cols.resolution_activities is None
    if cols.resolution_activities is None:
        from mining.breakpoints import find_end_activities

        resolution_names: tuple[str, ...] = find_end_activities(
            con, log_id, flt=flt, min_end_ratio=min_end_ratio
        )
    else:
        resolution_names = tuple(cols.resolution_activities)
    resolution_ids = _known_ids(ids, resolution_names, "resolution", notes["resolution_rate"])
    handling_ids = (
        None
        if cols.handling_activities is None
        else _known_ids(ids, cols.handling_activities, "handling", notes["responsiveness"])
    )
    reopen_ids = (
        None
        if cols.reopen_activities is None
        else _known_ids(ids, cols.reopen_activities, "reopen", notes["reopen_rate"])
    )
    repeat_ids = (
        None
        if cols.repeat_contact_activities is None
        else _known_ids(
            ids, cols.repeat_contact_activities, "repeat-contact", notes["repeat_contact_rate"]
        )
    )
    escalation_ids = (
        None
        if cols.escalation_activities is None
        else _known_ids(ids, cols.escalation_activities, "escalation", notes["escalation_rate"])
    )
    level, holders_complete = _holder_level(con, cols.handover_level)

    con.execute(
        store.sql("kpi_variant_facts"),
        {
            "handling": handling_ids or [],
            "handling_configured": handling_ids is not None,
            "resolution": resolution_ids,
            "reopen": reopen_ids or [],
            "reopen_configured": reopen_ids is not None,
            "repeat": repeat_ids or [],
            "escalation": escalation_ids or [],
        },
    )
    row = con.execute(
        store.sql("kpi_scorecard"),
        {
            "handling": handling_ids or [],
            "handling_configured": handling_ids is not None,
            "resolution": resolution_ids,
            "level": level,
            "holders_complete": holders_complete,
        },
    ).fetchall()[0]
    (
        cases,
        response_cases,
        response_median,
        response_mean,
        response_p90,
        resolved,
        resolution_median,
        resolution_mean,
        resolution_p90,
        lead_median,
        lead_mean,
        lead_p90,
        fcr_basis,
        fcr_cases,
        reopened,
        repeat_cases,
        escalation_cases,
    ) = row
    cases = int(cases)
    resolved = int(resolved)
    has_resolution = bool(resolution_ids)
    if not has_resolution:
        notes["resolution_rate"].append(
            "no resolution activity: none configured occurs in the log, and none was learned"
            if resolution_learned
            else "none of the configured resolution activities occurs in the log"
        )

    handling_text = (
        "the first event of a handling activity (" + ", ".join(cols.handling_activities) + ")"
        if cols.handling_activities is not None
        else "the second event (no handling activities configured)"
    )
    resolution_text = (
        ("learned end activities (" if resolution_learned else "resolution activities (")
        + ", ".join(resolution_names)
        + ")"
    )
    kpis: list[Kpi] = []
    respond_ok = (
        cases > 0 and response_cases > 0 and (handling_ids is None or len(handling_ids) > 0)
    )
    kpis.append(
        Kpi(
            name="responsiveness",
            value=_f(response_median) if respond_ok else None,
            unit="seconds",
            definition="median time from a case's first event to the begin of "
            + handling_text
            + " (start timestamp where the log has one, else completion)",
            basis_cases=int(response_cases) if respond_ok else None,
            mean=_f(response_mean) if respond_ok else None,
            p90=_f(response_p90) if respond_ok else None,
            note=_note(
                notes["responsiveness"], None if respond_ok else "no case has a handling event"
            ),
        )
    )
    resolve_ok = cases > 0 and has_resolution
    kpis.append(
        Kpi(
            name="resolution_rate",
            value=resolved / cases if resolve_ok else None,
            unit="share",
            definition="share of cases that reach one of the " + resolution_text,
            basis_cases=cases if resolve_ok else None,
            cases=resolved if resolve_ok else None,
            note=_note(notes["resolution_rate"]),
        )
    )
    time_ok = resolve_ok and resolved > 0
    kpis.append(
        Kpi(
            name="resolution_time",
            value=_f(resolution_median) if time_ok else None,
            unit="seconds",
            definition="median time from a case's first event to its first resolution event ("
            + resolution_text
            + "), over resolved cases",
            basis_cases=resolved if time_ok else None,
            mean=_f(resolution_mean) if time_ok else None,
            p90=_f(resolution_p90) if time_ok else None,
            note=_note(
                notes["resolution_rate"],
                None if time_ok or not resolve_ok else "no case is resolved",
            ),
        )
    )
    kpis.append(
        Kpi(
            name="lead_time",
            value=_f(lead_median) if cases else None,
            unit="seconds",
            definition="median time from a case's first to its last event, over all cases",
            basis_cases=cases if cases else None,
            mean=_f(lead_mean) if cases else None,
            p90=_f(lead_p90) if cases else None,
        )
    )
    fcr_ok = time_ok and level is not None and int(fcr_basis) > 0
    kpis.append(
        Kpi(
            name="first_contact_resolution",
            value=int(fcr_cases) / int(fcr_basis) if fcr_ok else None,
            unit="share",
            definition=f"share of resolved cases with {level or 'team/resource'} data resolved "
            f"without a hand-over between {level or 'team/resource'}s before the first "
            "resolution event",
            basis_cases=int(fcr_basis) if fcr_ok else None,
            cases=int(fcr_cases) if fcr_ok else None,
            note=_note(
                [
                    "resolution is reaching a learned end activity, so hand-overs to the "
                    "teams that close or archive count as well; set resolution_activities "
                    "to measure up to the step that resolves the request"
                ]
                if fcr_ok and resolution_learned
                else [],
                None
                if fcr_ok
                else "the log has neither teams nor resources"
                if level is None
                else "no resolved case",
            ),
        )
    )
    reopen_text = (
        "a reopen activity (" + ", ".join(cols.reopen_activities) + ") occurs"
        if cols.reopen_activities is not None
        else "the case works on after its first resolution: it resolves again or redoes an "
        "activity it did before resolving"
    )
    reopen_ok = time_ok and (reopen_ids is None or bool(reopen_ids))
    kpis.append(
        Kpi(
            name="reopen_rate",
            value=int(reopened) / resolved if reopen_ok else None,
            unit="share",
            definition="share of resolved cases that are reopened: " + reopen_text,
            basis_cases=resolved if reopen_ok else None,
            cases=int(reopened) if reopen_ok else None,
            note=_note(
                notes["reopen_rate"],
                None if reopen_ok else "no resolved case" if not time_ok else None,
            ),
        )
    )
    kpis.append(
        _repeat_contacts(
            con, cols, repeat_ids, int(repeat_cases), cases, notes["repeat_contact_rate"]
        )
    )
    kpis.append(
        _escalations(
            con, cols, escalation_ids, int(escalation_cases), cases, notes["escalation_rate"]
        )
    )
    kpis.append(_satisfaction(con, cols, cases))
    return KpiScorecard(
        cases=cases,
        resolution_activities=resolution_names,
        resolution_learned=resolution_learned,
        handling_activities=cols.handling_activities,
        handover_level=level,
        kpis=tuple(kpis),
    )


def _known_ids(
    ids: Mapping[str, int], names: Sequence[str], what: str, notes: list[str]
) -> list[int]:
    unknown = [n for n in names if n not in ids]
    if unknown:
        notes.append(f"{what} activities not in this log: {', '.join(unknown)}")
    return [ids[n] for n in dict.fromkeys(names) if n in ids]


def _holder_level(
    con: duckdb.DuckDBPyConnection, configured: HolderLevel | None
) -> tuple[HolderLevel | None, bool]:
    """The level hand-overs are seen at (None: neither), and whether every event has a holder
    there."""
    with_team, with_resource, events = con.execute(store.sql("kpi_holder_presence")).fetchall()[0]
    if configured is not None and configured not in ("team", "resource"):
        raise InputError(f"handover_level must be 'team' or 'resource' (got {configured!r}).")
    level: HolderLevel | None
    if configured is not None:
        level = configured if (with_team if configured == "team" else with_resource) else None
    else:
        level = "team" if with_team else "resource" if with_resource else None
    held = with_team if level == "team" else with_resource if level == "resource" else 0
    return level, level is not None and held == events


def _attribute(
    con: duckdb.DuckDBPyConnection, name: str
) -> tuple[bool, tuple[int, int, int, float | None, float | None]]:
    """Fill sf_kpi_attribute for attribute `name`; (present at all, summary row)."""
    path = json_path(name)
    on_cases, on_events = con.execute(
        store.sql("kpi_attribute_presence"), {"path": path}
    ).fetchall()[0]
    if not on_cases and not on_events:
        return False, (0, 0, 0, None, None)
    con.execute(store.sql("kpi_attribute_by_case"), {"path": path})
    with_value, flagged, numeric, mean, median = con.execute(
        store.sql("kpi_attribute_summary")
    ).fetchall()[0]
    return True, (int(with_value), int(flagged), int(numeric), _f(mean), _f(median))


def _repeat_contacts(
    con: duckdb.DuckDBPyConnection,
    cols: KpiColumns,
    repeat_ids: list[int] | None,
    repeat_cases: int,
    cases: int,
    notes: list[str],
) -> Kpi:
    name, unit = "repeat_contact_rate", _SHARE
    if cases == 0:
        return Kpi(name, None, unit, "share of cases with a repeat contact", None, note="no cases")
    if repeat_ids:
        return Kpi(
            name,
            repeat_cases / cases,
            unit,
            "share of cases with at least one repeat-contact or chasing event ("
            + ", ".join(cols.repeat_contact_activities or ())
            + ")",
            cases,
            cases=repeat_cases,
            note=_note(notes),
        )
    if cols.repeat_contact_attribute is not None:
        present, (_, flagged, _, _, _) = _attribute(con, cols.repeat_contact_attribute)
        if present:
            return Kpi(
                name,
                flagged / cases,
                unit,
                f"share of cases whose attribute {cols.repeat_contact_attribute!r} reads as yes "
                "(or a count above 0) on the case or any of its events",
                cases,
                cases=flagged,
                note=_note(notes),
            )
        notes.append(f"attribute {cols.repeat_contact_attribute!r} does not occur in the log")
    if cols.customer_attribute is not None:
        present, _ = _attribute(con, cols.customer_attribute)
        if present:
            with_customer, repeats = con.execute(
                store.sql("kpi_repeat_contacts"), {"window_s": float(cols.repeat_window_s)}
            ).fetchall()[0]
            if with_customer:
                return Kpi(
                    name,
                    int(repeats) / int(with_customer),
                    unit,
                    f"share of cases (with a customer in {cols.customer_attribute!r}) opened by a "
                    f"customer who opened another case at most {cols.repeat_window_s:g} s before",
                    int(with_customer),
                    cases=int(repeats),
                    note=_note(notes),
                )
        notes.append(f"customer attribute {cols.customer_attribute!r} does not occur in the log")
    reason = (
        "not configured: set repeat_contact_activities, repeat_contact_attribute or "
        "customer_attribute"
        if not notes
        else None
    )
    return Kpi(
        name,
        None,
        unit,
        "share of cases with a repeat contact or chasing event",
        None,
        note=_note(notes, reason),
    )


def _escalations(
    con: duckdb.DuckDBPyConnection,
    cols: KpiColumns,
    escalation_ids: list[int] | None,
    escalation_cases: int,
    cases: int,
    notes: list[str],
) -> Kpi:
    name, unit = "escalation_rate", _SHARE
    if cases == 0:
        return Kpi(name, None, unit, "share of escalated cases", None, note="no cases")
    if escalation_ids:
        return Kpi(
            name,
            escalation_cases / cases,
            unit,
            "share of cases with at least one escalation event ("
            + ", ".join(cols.escalation_activities or ())
            + ")",
            cases,
            cases=escalation_cases,
            note=_note(notes),
        )
    if cols.escalation_attribute is not None:
        present, (_, flagged, _, _, _) = _attribute(con, cols.escalation_attribute)
        if present:
            return Kpi(
                name,
                flagged / cases,
                unit,
                f"share of cases whose attribute {cols.escalation_attribute!r} reads as yes "
                "(or a number above 0) on the case or any of its events",
                cases,
                cases=flagged,
                note=_note(notes),
            )
        notes.append(f"attribute {cols.escalation_attribute!r} does not occur in the log")
    reason = (
        "not configured: set escalation_activities or escalation_attribute" if not notes else None
    )
    return Kpi(name, None, unit, "share of escalated cases", None, note=_note(notes, reason))


def _satisfaction(con: duckdb.DuckDBPyConnection, cols: KpiColumns, cases: int) -> Kpi:
    name, unit = "satisfaction", _SCORE
    definition = "mean satisfaction score of the cases that have a numeric score"
    if cols.satisfaction_attribute is None:
        return Kpi(
            name, None, unit, definition, None, note="not configured: set satisfaction_attribute"
        )
    definition = (
        f"mean of attribute {cols.satisfaction_attribute!r} (case attribute, else the last "
        "value on the case's events) over the cases where it is a number"
    )
    present, (with_value, _, numeric, mean, median) = (
        _attribute(con, cols.satisfaction_attribute) if cases else (False, (0, 0, 0, None, None))
    )
    if not present or numeric == 0:
        reason = (
            f"attribute {cols.satisfaction_attribute!r} does not occur in the selected cases"
            if not present
            else f"attribute {cols.satisfaction_attribute!r} holds no numeric scores"
        )
        return Kpi(name, None, unit, definition, None, note=reason)
    skipped = with_value - numeric
    return Kpi(
        name,
        mean,
        unit,
        definition,
        numeric,
        cases=numeric,
        note=(
            f"median {median:g}; {cases - numeric} of {cases} cases have no score"
            + (f" ({skipped} with a non-numeric value)" if skipped else "")
        ),
    )


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def _note(notes: Sequence[str], reason: str | None = None) -> str | None:
    parts = [*([reason] if reason else []), *notes]
    return "; ".join(parts) if parts else None
