"""Root causes: which case attributes go with long lead times, rework or stalling.

For every value of every candidate attribute that holds enough cases, the outcome of its cases
is compared with the rest of the cases that have the attribute. Candidates are what is known
about a case apart from its flow: each case attribute, each event attribute recorded on the
case's first event (named `<attribute> (first event)`: what was known when the ticket was
opened, such as a fine's amount or an incident's impact), and the teams (optionally resources)
that handled the case (`teams involved`, several per case).

- the effect size is **Cliff's delta** (P(group > rest) - P(group < rest), from -1 to 1),
  computed from Mann-Whitney rank sums in SQL; for a yes/no outcome (rework, stalled) it equals
  the difference of the two rates; `z` is the Mann-Whitney normal approximation (ties
  corrected), so a big delta on few cases can be told from a solid one;
- the plain-language figures beside it: median lead time of the group and of the rest (and their
  difference and ratio), or the two rates and their ratio;
- rows are ranked by Cliff's delta, worst first, among the values whose effect is clear
  (`z >= min_z`); the other values follow, also by delta, with `clear` False.

Attributes whose values are mostly unique (identifiers such as ticket or customer ids: fewer
than half of the cases share their value with at least `min_cases` others) are skipped, learned
from the data rather than from names; numeric ones are cut into quartile bins instead.
Outcome flags come from the modules that define them: stalled cases from
`mining.breakpoints.find_breakpoints`; rework is a case doing an activity more than once (the
definition of `mining.rework`).

>>> import tempfile, pathlib
>>> from mining import store
>>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
>>> find_root_causes(con, 1, outcome="rework").causes
()
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

import duckdb

from mining import store
from mining.errors import InputError
from mining.filters import LogFilter, apply_filter, json_path

__all__ = [
    "FIRST_EVENT_SUFFIX",
    "OUTCOMES",
    "RESOURCE_FEATURE",
    "TEAM_FEATURE",
    "RootCause",
    "RootCauseReport",
    "SkippedAttribute",
    "find_root_causes",
    "find_root_causes_by_outcome",
]

Outcome = Literal["lead_time", "rework", "stalled"]
OUTCOMES: tuple[Outcome, ...] = ("lead_time", "rework", "stalled")

# Names of the derived, multi-valued candidates (a case can pass through several teams).
TEAM_FEATURE = "teams involved"
RESOURCE_FEATURE = "resources involved"
# Candidates a case can hold several values of; case and first-event attributes hold one.
MULTI_VALUED = (TEAM_FEATURE, RESOURCE_FEATURE)
# Event attributes recorded on a case's first event are candidates under their name + this.
FIRST_EVENT_SUFFIX = " (first event)"

# Less than this share of an attribute's cases in values shared by >= min_cases cases: the
# values are mostly unique (an identifier), not a category.
_COMMON_VALUE_SHARE = 0.5
# At least this share of an identifier-like attribute's values reading as numbers: bin it.
_NUMERIC_SHARE = 0.95
# Smallest bucket of places in lead-time order that medians are located by (the buckets hold
# about the square root of the cases each, and never fewer than this).
_MIN_BUCKET = 1024

_DEFINITIONS = {
    "lead_time": "lead time of the case in seconds (first to last event)",
    "rework": "the case does some activity more than once",
    "stalled": "the case stalled: it did not end at an end activity and has been idle longer "
    "than is normal after its last activity (mining.breakpoints)",
}


@dataclass(frozen=True, slots=True)
class RootCause:
    """One attribute value and how its cases differ from the rest.

    For `lead_time`: `group_value` / `rest_value` are median lead times (s), `difference` their
    difference (s), `ratio` group / rest. For flags: the rates of the outcome, their difference
    and ratio (None when the rest's rate is 0). `cliffs_delta` > 0: worse than the rest.
    `clear`: z >= min_z. `rank` starts at 1.
    """

    rank: int
    attribute: str
    value: str
    cases: int
    rest_cases: int
    group_value: float
    rest_value: float
    difference: float
    ratio: float | None
    cliffs_delta: float
    z: float | None
    clear: bool
    outcome_cases: int | None


@dataclass(frozen=True, slots=True)
class SkippedAttribute:
    """A candidate attribute left out, and why."""

    attribute: str
    reason: str
    cases: int
    distinct_values: int


@dataclass(frozen=True, slots=True)
class RootCauseReport:
    """Root causes of `outcome` in the selected cases, ranked (see the module docstring).

    `overall`: median lead time (s) or rate of the outcome over all selected cases;
    `outcome_cases`: cases with the outcome (flags only).
    """

    outcome: Outcome
    definition: str
    cases: int
    outcome_cases: int | None
    overall: float | None
    min_cases: int
    min_z: float
    attributes: tuple[str, ...]
    binned_attributes: tuple[str, ...]
    skipped: tuple[SkippedAttribute, ...]
    causes: tuple[RootCause, ...]


def find_root_causes(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    outcome: Outcome = "lead_time",
    min_cases: int | None = None,
    min_z: float = 3.0,
    top: int | None = None,
    include_resources: bool = False,
    as_of: datetime | None = None,
    end_activities: Sequence[str] | None = None,
) -> RootCauseReport:
    """Rank the attribute values that go with `outcome` ('lead_time', 'rework', 'stalled').

    `min_cases`: smallest group (and rest) compared; default: 1% of the selected cases, at
    least 20. `min_z`: the z a value needs to rank among the clear causes. `top`: keep the first
    rows. `include_resources`: also compare the individual resources that handled the cases
    (off by default: a case with more events meets more agents, so every agent looks a little
    tied to rework and long cases; teams are few and do not suffer from this as much).
    `as_of` / `end_activities`: passed to the break-point module for 'stalled'.

    >>> report = find_root_causes(con, log_id, outcome="lead_time", top=5)  # doctest: +SKIP
    >>> [(c.attribute, c.value, round(c.cliffs_delta, 2)) for c in report.causes]  # doctest: +SKIP
    [('channel', 'WeChat', 0.41), ...]
    """
    return find_root_causes_by_outcome(
        con,
        log_id,
        flt=flt,
        outcomes=(outcome,),
        min_cases=min_cases,
        min_z=min_z,
        top=top,
        include_resources=include_resources,
        as_of=as_of,
        end_activities=end_activities,
    )[outcome]


def find_root_causes_by_outcome(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    outcomes: Sequence[Outcome] = OUTCOMES,
    min_cases: int | None = None,
    min_z: float = 3.0,
    top: int | None = None,
    include_resources: bool = False,
    as_of: datetime | None = None,
    end_activities: Sequence[str] | None = None,
    stalled_case_ids: Sequence[str] | None = None,
) -> dict[Outcome, RootCauseReport]:
    """`find_root_causes` for several outcomes at once: the candidate causes of each case
    (attributes, first-event attributes, teams, numeric bins) are derived once and each outcome
    is compared over them. `stalled_case_ids`: the stalled cases when already known (from
    `find_breakpoints` with the same filter, as-of time and end activities), else found here.

    >>> reports = find_root_causes_by_outcome(con, log_id)  # doctest: +SKIP
    >>> sorted(reports)  # doctest: +SKIP
    ['lead_time', 'rework', 'stalled']
    """
    for outcome in outcomes:
        if outcome not in OUTCOMES:
            raise InputError(f"outcome must be one of {', '.join(OUTCOMES)} (got {outcome!r}).")
    if min_cases is not None and min_cases < 1:
        raise InputError(f"min_cases must be at least 1 (got {min_cases}).")
    if top is not None and top < 0:
        raise InputError(f"top must be 0 or more (got {top}); leave it unset for all rows.")

    if "stalled" in outcomes and stalled_case_ids is None:
        from mining.breakpoints import find_breakpoints

        report = find_breakpoints(con, log_id, flt=flt, as_of=as_of, end_activities=end_activities)
        stalled_case_ids = report.stalled_case_ids
    apply_filter(con, log_id, flt)
    keys = [str(r[0]) for r in con.execute(store.sql("rootcause_case_attribute_keys")).fetchall()]
    event_keys = [
        str(r[0])
        for r in con.execute(store.sql("rootcause_first_event_attribute_keys")).fetchall()
        if r[0] not in keys
    ]
    # candidates are numbered in the tables (names repeat on millions of rows); a name given
    # twice (a case attribute named like a derived one) is one candidate, as by name
    event_names = [k + FIRST_EVENT_SUFFIX for k in event_keys]
    derived = [TEAM_FEATURE, RESOURCE_FEATURE] if include_resources else [TEAM_FEATURE]
    codes: dict[str, int] = {}
    for name in (*keys, *event_names, *derived):
        codes.setdefault(name, len(codes))
    con.execute(
        store.sql("rootcause_case_features"),
        {
            "key_codes": [codes[k] for k in keys],
            "paths": [json_path(k) for k in keys],
            "event_codes": [codes[k] for k in event_names] or None,
            "event_paths": [json_path(k) for k in event_keys],
            "log_id": int(log_id),
            "team_code": codes[TEAM_FEATURE],
            "resource_code": codes[RESOURCE_FEATURE] if include_resources else None,
        },
    )
    # every outcome of every case at once: the candidate rows are joined with them once
    projected = flt is not None and flt.projects_activities
    con.execute(
        store.sql("rootcause_outcomes_projected" if projected else "rootcause_outcomes"),
        {
            "lead_time": "lead_time" in outcomes,
            "rework": "rework" in outcomes,
            "stalled": "stalled" in outcomes,
            "case_ids": list(stalled_case_ids or ()),
        },
    )
    summary = _outcome_summary(con)
    selected_cases = summary.pop("selected")
    thresholds: dict[Outcome, int] = {}
    for outcome in outcomes:
        cases = summary[outcome][0]
        thresholds[outcome] = (
            min_cases if min_cases is not None else max(20, math.ceil(0.01 * cases))
        )
    # medians are found by counting cases per bucket of this many places in lead-time order
    bucket = max(_MIN_BUCKET, math.isqrt(selected_cases))
    reports: dict[Outcome, RootCauseReport] = {}
    # the candidates depend on the threshold only, not on the outcome: usually one pass
    for threshold in dict.fromkeys(thresholds.values()):
        kept, binned, skipped, partial = _screen_attributes(con, threshold, selected_cases, codes)
        con.execute(
            store.sql("rootcause_numeric_bins"),
            {"numeric": _coded(binned, codes), "multi": _coded(MULTI_VALUED, codes)},
        )
        con.execute(store.sql("rootcause_partial_population"), {"partial": _coded(partial, codes)})
        con.execute(
            store.sql("rootcause_buckets"),
            {
                "kept": _coded(kept, codes),
                "partial": _coded(partial, codes),
                "bucket": bucket,
            },
        )
        con.execute(store.sql("rootcause_groups"))
        full = [a for a in (*kept, *binned) if a not in partial]
        con.execute(store.sql("rootcause_populations"), {"full": _coded(full, codes)})
        for outcome in outcomes:
            if thresholds[outcome] != threshold:
                continue
            rows = con.execute(
                store.sql("rootcause_effects"), {"min_cases": threshold, "outcome": outcome}
            ).fetchall()
            causes = _causes(
                con,
                rows,
                outcome,
                min_z,
                names=list(codes),
                partial=_coded(partial, codes),
                bucket=bucket,
            )
            cases, outcome_cases, overall = summary[outcome]
            reports[outcome] = RootCauseReport(
                outcome=outcome,
                definition=_DEFINITIONS[outcome],
                cases=cases,
                outcome_cases=None
                if outcome == "lead_time" or outcome_cases is None
                else int(outcome_cases),
                overall=None if overall is None else float(overall),
                min_cases=threshold,
                min_z=min_z,
                attributes=tuple(kept),
                binned_attributes=tuple(binned),
                skipped=tuple(skipped),
                causes=tuple(causes if top is None else causes[:top]),
            )
    con.execute(store.sql("rootcause_drop"))
    return {outcome: reports[outcome] for outcome in outcomes}


def _outcome_summary(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Per outcome: (cases it is known for, cases with it (flags), overall figure); and the
    number of selected cases under "selected"."""
    (
        lead,
        lead_overall,
        rework,
        reworked,
        rework_rate,
        stalled,
        stalled_n,
        stalled_rate,
        selected,
    ) = con.execute(store.sql("rootcause_outcome_summary")).fetchall()[0]
    return {
        "lead_time": (int(lead), None, lead_overall),
        "rework": (int(rework), reworked, rework_rate),
        "stalled": (int(stalled), stalled_n, stalled_rate),
        "selected": int(selected),
    }


def _coded(names: Sequence[str], codes: dict[str, int]) -> list[int]:
    return [codes[n] for n in names if n in codes]


def _screen_attributes(
    con: duckdb.DuckDBPyConnection, min_cases: int, selected_cases: int, codes: dict[str, int]
) -> tuple[list[str], list[str], list[SkippedAttribute], list[str]]:
    """Kept, binned and skipped attributes, and those of the compared ones that not every
    selected case has (their values are compared within the cases that have them, ranked
    apart; the others share one ranking of all cases)."""
    kept: list[str] = []
    binned: list[str] = []
    skipped: list[SkippedAttribute] = []
    partial: list[str] = []
    names = list(codes)
    profile = con.execute(
        store.sql("rootcause_attribute_profile"),
        {"min_cases": min_cases, "multi": _coded(MULTI_VALUED, codes)},
    ).fetchall()
    # by name, as the attributes are listed
    profile.sort(key=lambda row: names[row[0]])
    for code, cases, distinct, in_common, numeric, numeric_rows in profile:
        attribute = names[code]
        cases, distinct = int(cases), int(distinct)
        if distinct < 2:
            skipped.append(
                SkippedAttribute(attribute, "a single value: nothing to compare", cases, distinct)
            )
        elif cases < 2 * min_cases:
            skipped.append(
                SkippedAttribute(
                    attribute, f"fewer than {2 * min_cases} cases have it", cases, distinct
                )
            )
        elif int(in_common) < _COMMON_VALUE_SHARE * cases:
            if int(numeric) >= _NUMERIC_SHARE * distinct:
                binned.append(attribute)
                if int(numeric_rows) < selected_cases or attribute in MULTI_VALUED:
                    partial.append(attribute)
            else:
                skipped.append(
                    SkippedAttribute(
                        attribute,
                        f"values mostly unique (only {int(in_common)} of {cases} cases share "
                        f"their value with {min_cases} or more cases): an identifier",
                        cases,
                        distinct,
                    )
                )
        else:
            kept.append(attribute)
            if cases < selected_cases:
                partial.append(attribute)
    return kept, binned, skipped, partial


def _causes(
    con: duckdb.DuckDBPyConnection,
    rows: Sequence[tuple[Any, ...]],
    outcome: Outcome,
    min_z: float,
    *,
    names: Sequence[str],
    partial: Sequence[int],
    bucket: int,
) -> list[RootCause]:
    medians: dict[tuple[int, str], tuple[float, float]] = {}
    if outcome == "lead_time" and rows:
        found = con.execute(
            store.sql("rootcause_medians"),
            {
                "attributes": [r[0] for r in rows],
                "values": [r[1] for r in rows],
                "partial": list(partial),
                "bucket": bucket,
            },
        ).fetchall()
        medians = {(a, v): (float(g), float(r)) for a, v, g, r in found}
    unranked = []
    for code, value, n1, n2, y_sum, rest_y_sum, delta, z in rows:
        n1, n2 = int(n1), int(n2)
        attribute = names[code]
        if outcome == "lead_time":
            group_value, rest_value = medians[(code, value)]
            outcome_cases = None
        else:
            group_value = float(y_sum) / n1
            rest_value = float(rest_y_sum) / n2
            outcome_cases = round(float(y_sum))
        unranked.append(
            RootCause(
                rank=0,
                attribute=attribute,
                value=str(value),
                cases=n1,
                rest_cases=n2,
                group_value=group_value,
                rest_value=rest_value,
                difference=group_value - rest_value,
                ratio=group_value / rest_value if rest_value else None,
                cliffs_delta=float(delta),
                z=None if z is None else float(z),
                clear=z is not None and float(z) >= min_z,
                outcome_cases=outcome_cases,
            )
        )
    ordered = sorted(
        unranked, key=lambda c: (not c.clear, -c.cliffs_delta, -c.cases, c.attribute, c.value)
    )
    return [replace(c, rank=i) for i, c in enumerate(ordered, start=1)]
