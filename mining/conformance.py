"""Conformance of a log to a process model: fitness per variant and case, and deviations.

Alignments (pm4py's, as `pm4py.conformance_diagnostics_alignments` computes them) are computed
once per variant, not per case: the variants and their case counts come from SQL, pm4py's
search aligns one trace per variant (called directly, without a DataFrame), and
every case inherits its variant's fitness. The log-level figures weight each variant by its case
count, so they equal what pm4py reports on the per-case log:

- `log_fitness` = 1 - sum(cost) / sum(best-worst cost) over the aligned cases (pm4py's
  `fitness_alignments(...)["log_fitness"]`);
- `average_case_fitness` = mean of the case fitnesses (`average_trace_fitness`);
- `fitting_case_share` = share of cases with fitness 1 (`percentage_of_fitting_traces` / 100).

Deviations are read off the alignments: a *skipped step* is a move on the model with a visible
activity (the model expects it, the case does not do it); an *inserted step* is a move on the
log (the case does something the model does not allow there). Each is counted in cases.

Only the most frequent variants are aligned when `max_variants` / `variant_coverage` say so; the
rest is reported as left out (`variants_left_out`, `cases_left_out`), never guessed.

The results are the same in every run and process. A trace often has several optimal alignments
(the same cost, different skipped steps), and which one pm4py's default A* search returns
depends on the iteration order of its sets of places and transitions, which hash by memory
address, and on the random (uuid4) names of discovered transitions. So the model is first
rewritten with its places and transitions in a canonical order (`_canonical_net`: colour
refinement of the net's graph from labels and markings), and aligned with pm4py's Dijkstra
search (`Variants.VERSION_DIJKSTRA_LESS_MEMORY`), whose choices follow that order only, with
pm4py's standard costs (10000 per log or model move, 1 per silent step): optimal costs, hence
fitness, are the ones A* gives. Alignments run in this process (no worker processes); only an
alignment that hits `max_seconds_per_variant` can vary with the machine's speed.

>>> import tempfile, pathlib
>>> from mining import store
>>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
>>> check_conformance(con, 1)   # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
mining.errors.InputError: no cases to check ...
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, MutableSet, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb

from mining import pm4py_modules, store
from mining.discovery import (
    LogVariant,
    ProcessModel,
    load_log_variants,
    model_from_variants,
    read_process_model,
)
from mining.errors import InputError
from mining.filters import LogFilter

__all__ = [
    "CaseFitness",
    "ConformanceResult",
    "Deviation",
    "VariantFitness",
    "check_conformance",
    "read_case_fitness",
    "start_conformance",
]

DeviationKind = Literal["skipped", "inserted"]

# pm4py marks the missing side of a move so.
_SKIP = ">>"
# pm4py's standard alignment costs (pm4py.objects.petri_net.utils.align_utils)
_MOVE_COST = 10000
_SILENT_COST = 1


@dataclass(frozen=True, slots=True)
class Deviation:
    """A step the cases skip (the model expects it) or insert (the model does not allow it).

    `cases`: aligned cases with this deviation at least once; `occurrences`: how often in all;
    `variants`: in how many aligned variants; `case_share`: cases / aligned cases.
    """

    activity: str
    kind: DeviationKind
    cases: int
    occurrences: int
    variants: int
    case_share: float


@dataclass(frozen=True, slots=True)
class VariantFitness:
    """Alignment of one variant. `fitness`/`cost` are None when the variant was not aligned
    (left out by the cap: `aligned` False, or over the time limit: `timed_out` True)."""

    variant_no: int
    activities: tuple[str, ...]
    cases: int
    aligned: bool
    timed_out: bool
    fitness: float | None
    cost: float | None
    skipped: tuple[str, ...]
    inserted: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CaseFitness:
    """One case's fitness, inherited from its variant (None: the variant was not aligned)."""

    case_id: str
    variant_no: int
    fitness: float | None


@dataclass(frozen=True, slots=True)
class ConformanceResult:
    """Conformance of the (filtered) log to `model_source`.

    Log-level figures cover the aligned cases (`cases_aligned`); what was left out is counted.
    Per-case fitness is in the temp table `sf_case_fitness (case_no, case_id, variant_no,
    fitness)` on the connection until the next call, readable with `read_case_fitness`.
    """

    model_source: str
    model_activities: tuple[str, ...]
    log_activities_not_in_model: tuple[str, ...]
    model_activities_not_in_log: tuple[str, ...]
    cases: int
    variants: int
    cases_aligned: int
    variants_aligned: int
    cases_left_out: int
    variants_left_out: int
    variants_timed_out: int
    cases_timed_out: int
    log_fitness: float | None
    average_case_fitness: float | None
    fitting_case_share: float | None
    deviations: tuple[Deviation, ...]
    variant_fitness: tuple[VariantFitness, ...]
    left_out_note: str | None


def check_conformance(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    model: ProcessModel | str | Path | None = None,
    discovery_noise_threshold: float = 0.2,
    max_variants: int | None = 1000,
    variant_coverage: float | None = None,
    max_seconds_per_variant: float | None = 30.0,
    top_deviations: int | None = 50,
) -> ConformanceResult:
    """Align the log under `flt` with `model` and summarize fitness and deviations.

    `model`: a `ProcessModel`, the path of a reference BPMN/PNML file, or None to discover one
    from the same (filtered) log with the Inductive Miner at `discovery_noise_threshold` (with
    0 the discovered model fits every case by construction).
    `max_variants` / `variant_coverage`: align at most this many of the most frequent variants,
    and only as many as needed to cover this share of the cases (None: no such limit).
    `max_seconds_per_variant`: pm4py's time limit for one alignment (None: no limit).

    >>> import tempfile, pathlib
    >>> from mining import store
    >>> con = store.connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
    >>> result = check_conformance(con, 1, model="standard.bpmn")  # doctest: +SKIP
    >>> [(d.activity, d.kind, d.cases) for d in result.deviations[:3]]  # doctest: +SKIP
    """
    return start_conformance(
        con,
        log_id,
        flt=flt,
        model=model,
        discovery_noise_threshold=discovery_noise_threshold,
        max_variants=max_variants,
        variant_coverage=variant_coverage,
        max_seconds_per_variant=max_seconds_per_variant,
        top_deviations=top_deviations,
    )()


def start_conformance(
    con: duckdb.DuckDBPyConnection,
    log_id: int,
    *,
    flt: LogFilter | None = None,
    model: ProcessModel | str | Path | None = None,
    discovery_noise_threshold: float = 0.2,
    max_variants: int | None = 1000,
    variant_coverage: float | None = None,
    max_seconds_per_variant: float | None = 30.0,
    top_deviations: int | None = 50,
) -> Callable[[], ConformanceResult]:
    """`check_conformance` in two halves: the variants are read now, the model is discovered
    and the variants aligned in a thread (pm4py, no SQL), and the returned function waits for
    it and finishes (per-case fitness stored on `con`, result returned; errors raised there).
    Meanwhile the caller may run other queries on `con`, provided it does not change the
    filter views before calling it.

    >>> finish = start_conformance(con, log_id)  # doctest: +SKIP
    >>> result = finish()  # doctest: +SKIP
    """
    if max_variants is not None and max_variants < 1:
        raise InputError(f"max_variants must be at least 1 (got {max_variants}), or None for all.")
    if variant_coverage is not None and not 0.0 < variant_coverage <= 1.0:
        raise InputError(
            f"variant_coverage must be in (0, 1] (got {variant_coverage}), or None for all."
        )
    if not 0.0 <= discovery_noise_threshold < 1.0:
        raise InputError(
            f"noise_threshold must be at least 0 and below 1 (got {discovery_noise_threshold}); "
            "0 keeps all behaviour, 0.2 is a common choice to hide rare paths."
        )
    if isinstance(model, str | Path):
        model = read_process_model(model)
    variants = load_log_variants(con, log_id, flt=flt)
    if not variants:
        raise InputError(
            f"no cases to check in log {log_id} under this filter; widen the filter "
            "or load the log first."
        )
    given = model

    def align() -> tuple[ProcessModel, dict[int, dict[str, Any] | None]]:
        # pm4py's package first, in this one thread: importing parts of it from two threads at
        # once can deadlock on its circular imports (a process that defers pm4py's imports,
        # `pm4py_modules`, runs only the modules used)
        import pm4py  # noqa: F401

        return pm4py_modules.run_deferred(discover_and_align)

    def discover_and_align() -> tuple[ProcessModel, dict[int, dict[str, Any] | None]]:
        found = (
            given if given is not None else model_from_variants(variants, discovery_noise_threshold)
        )
        log_labels = {a for v in variants for a in v.activities}
        model_labels = set(found.activities)
        if not log_labels & model_labels:
            raise InputError(
                f"none of the activities of the model from {found.source} occurs in the log "
                f"(model: {', '.join(sorted(model_labels)[:10])}; log: "
                f"{', '.join(sorted(log_labels)[:10])}). Conformance compares labels exactly: "
                "check spelling, spaces and language of the model's task names."
            )
        chosen = _variants_to_align(variants, max_variants, variant_coverage)
        return found, _align_variants(found, chosen, max_seconds_per_variant)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="servflow-conformance")
    future = pool.submit(align)
    pool.shutdown(wait=False)

    def finish() -> ConformanceResult:
        found, alignments = future.result()
        return _summarize(
            con, found, variants, alignments, max_variants, variant_coverage, top_deviations
        )

    return finish


def _summarize(
    con: duckdb.DuckDBPyConnection,
    model: ProcessModel,
    variants: Sequence[LogVariant],
    alignments: dict[int, dict[str, Any] | None],
    max_variants: int | None,
    variant_coverage: float | None,
    top_deviations: int | None,
) -> ConformanceResult:
    chosen = _variants_to_align(variants, max_variants, variant_coverage)
    log_labels = {a for v in variants for a in v.activities}
    model_labels = set(model.activities)
    fitness_rows: list[tuple[int, float]] = []
    per_variant: list[VariantFitness] = []
    dev_cases: Counter[tuple[str, DeviationKind]] = Counter()
    dev_occurrences: Counter[tuple[str, DeviationKind]] = Counter()
    dev_variants: Counter[tuple[str, DeviationKind]] = Counter()
    sum_cost = sum_bwc = sum_fitness = 0.0
    fitting = aligned_cases = timed_out_cases = timed_out_variants = 0
    for variant in variants:
        if variant.variant_no not in alignments:
            per_variant.append(
                VariantFitness(
                    variant.variant_no,
                    variant.activities,
                    variant.cases,
                    False,
                    False,
                    None,
                    None,
                    (),
                    (),
                )
            )
            continue
        alignment = alignments[variant.variant_no]
        if alignment is None:
            timed_out_variants += 1
            timed_out_cases += variant.cases
            per_variant.append(
                VariantFitness(
                    variant.variant_no,
                    variant.activities,
                    variant.cases,
                    True,
                    True,
                    None,
                    None,
                    (),
                    (),
                )
            )
            continue
        moves = _deviation_moves(alignment["alignment"])
        for key, count in moves.items():
            dev_cases[key] += variant.cases
            dev_occurrences[key] += variant.cases * count
            dev_variants[key] += 1
        fitness = float(alignment["fitness"])
        cost = float(alignment["cost"])
        aligned_cases += variant.cases
        sum_cost += variant.cases * cost
        sum_bwc += variant.cases * float(alignment.get("bwc", 0.0))
        sum_fitness += variant.cases * fitness
        fitting += variant.cases if fitness == 1.0 else 0
        fitness_rows.append((variant.variant_no, fitness))
        per_variant.append(
            VariantFitness(
                variant_no=variant.variant_no,
                activities=variant.activities,
                cases=variant.cases,
                aligned=True,
                timed_out=False,
                fitness=fitness,
                cost=cost,
                skipped=_activities_of(moves, "skipped"),
                inserted=_activities_of(moves, "inserted"),
            )
        )
    _store_case_fitness(con, fitness_rows)

    deviations = sorted(
        (
            Deviation(
                activity=activity,
                kind=kind,
                cases=dev_cases[(activity, kind)],
                occurrences=dev_occurrences[(activity, kind)],
                variants=dev_variants[(activity, kind)],
                case_share=dev_cases[(activity, kind)] / aligned_cases,
            )
            for activity, kind in dev_cases
        ),
        key=lambda d: (-d.cases, -d.occurrences, d.kind, d.activity),
    )
    if top_deviations is not None:
        deviations = deviations[:top_deviations]

    total_cases = sum(v.cases for v in variants)
    left_out_variants = len(variants) - len(chosen)
    left_out_cases = total_cases - sum(v.cases for v in chosen)
    return ConformanceResult(
        model_source=model.source,
        model_activities=model.activities,
        log_activities_not_in_model=tuple(sorted(log_labels - model_labels)),
        model_activities_not_in_log=tuple(sorted(model_labels - log_labels)),
        cases=total_cases,
        variants=len(variants),
        cases_aligned=aligned_cases,
        variants_aligned=len(fitness_rows),
        cases_left_out=left_out_cases,
        variants_left_out=left_out_variants,
        variants_timed_out=timed_out_variants,
        cases_timed_out=timed_out_cases,
        log_fitness=(1.0 - sum_cost / sum_bwc if sum_bwc > 0 else None) if aligned_cases else None,
        average_case_fitness=sum_fitness / aligned_cases if aligned_cases else None,
        fitting_case_share=fitting / aligned_cases if aligned_cases else None,
        deviations=tuple(deviations),
        variant_fitness=tuple(per_variant),
        left_out_note=_left_out_note(
            left_out_variants, left_out_cases, timed_out_variants, timed_out_cases, total_cases
        ),
    )


def read_case_fitness(
    con: duckdb.DuckDBPyConnection, *, limit: int | None = None
) -> tuple[CaseFitness, ...]:
    """Per-case fitness of the last `check_conformance` on this connection, least fitting first
    (cases of variants that were not aligned last, with fitness None).

    >>> read_case_fitness(con, limit=10)  # doctest: +SKIP
    """
    if limit is not None and limit < 0:
        raise InputError(f"limit must be 0 or more (got {limit}); leave it unset for all cases.")
    try:
        rows = con.execute(store.sql("conformance_case_fitness_rows"), {"limit": limit}).fetchall()
    except duckdb.CatalogException as exc:
        raise InputError(
            "no conformance result on this connection; run check_conformance first."
        ) from exc
    return tuple(
        CaseFitness(str(r[0]), int(r[1]), None if r[2] is None else float(r[2])) for r in rows
    )


def _variants_to_align(
    variants: Sequence[LogVariant], max_variants: int | None, coverage: float | None
) -> list[LogVariant]:
    total = sum(v.cases for v in variants)
    chosen: list[LogVariant] = []
    covered = 0
    for variant in variants:  # most frequent first
        if max_variants is not None and len(chosen) >= max_variants:
            break
        if coverage is not None and covered >= coverage * total:
            break
        chosen.append(variant)
        covered += variant.cases
    return chosen


def _align_variants(
    model: ProcessModel, variants: Sequence[LogVariant], max_seconds: float | None
) -> dict[int, dict[str, Any] | None]:
    """pm4py alignments of one trace per variant, by variant number (None: timed out).

    What `pm4py.conformance_diagnostics_alignments` does with the Dijkstra variant, one trace
    per variant: the net must be an easy sound workflow net; each trace is searched with its
    move costs and the model's; `fitness` and `bwc` are computed from the best worst cost (the
    cost of aligning the empty trace) as pm4py's `apply_trace` computes them. Called directly,
    the search needs no DataFrame, and a discovered model none of pm4py's LP solvers (scipy,
    cvxopt), which its alignment front module loads for the A* variants.
    """
    if not variants:
        return {}
    from pm4py.algo.conformance.alignments.petri_net.variants import dijkstra_less_memory
    from pm4py.objects.log.obj import Event, Trace
    from pm4py.objects.petri_net.utils.check_soundness import (
        check_easy_soundness_net_in_fin_marking,
    )

    net, initial, final = _canonical_net(model)
    unsound = InputError(
        f"the model from {model.source} is not a sound workflow net (its final "
        "marking cannot be reached from the initial one): alignments are not "
        "defined. Check the model's start and end events and gateways."
    )
    # A net converted from a process tree (a discovered model) is a sound workflow net by
    # construction; a model read from a file is checked as pm4py checks it (a search with its
    # LP solver's heuristic)
    if model.tree is None and not check_easy_soundness_net_in_fin_marking(net, initial, final):
        raise unsound
    model_costs = {
        t: (_MOVE_COST if t.label is not None else _SILENT_COST) for t in net.transitions
    }
    limit = float(max_seconds) if max_seconds is not None else float(sys.maxsize)
    parameters: dict[str, Any] = {"model_cost_function": model_costs, "max_align_time_trace": limit}
    best_worst = dijkstra_less_memory.get_best_worst_cost(net, initial, final, parameters)
    if best_worst is None and model.tree is not None:
        raise unsound  # (not expected of a tree's net: its empty run reaches the final marking)
    found: dict[int, dict[str, Any] | None] = {}
    for variant in variants:
        length = len(variant.activities)
        trace = Trace([Event({"concept:name": a}) for a in variant.activities])
        result = dijkstra_less_memory.apply(
            trace,
            net,
            initial,
            final,
            parameters=parameters | {"trace_cost_function": [_MOVE_COST] * length},
        )
        if result is not None and best_worst is not None:
            # pm4py's apply_trace: fitness from the costs in units of a log or model move
            bwc = _MOVE_COST * length + best_worst
            cost_moves, bwc_moves = result["cost"] // _MOVE_COST, bwc // _MOVE_COST
            result["fitness"] = 1 - cost_moves / bwc_moves if bwc_moves > 0 else 0
            result["bwc"] = bwc
        found[variant.variant_no] = result
    return found


class _OrderedSet(MutableSet[Any]):
    """A set that iterates in insertion order (pm4py's nets keep places and transitions in
    sets whose order follows memory addresses)."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._items = dict.fromkeys(items)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, value: Any) -> None:
        self._items[value] = None

    def discard(self, value: Any) -> None:
        self._items.pop(value, None)


def _canonical_net(model: ProcessModel) -> tuple[Any, Any, Any]:
    """A copy of the model's Petri net whose places and transitions iterate in an order fixed
    by the net's structure, not by memory addresses or generated names.

    Colour refinement: every node starts with its kind and label (transitions) or its tokens
    in the initial and final marking (places); each round a node's colour becomes the rank of
    (its colour, the colours before it, the colours after it), until no class splits. Nodes
    still sharing a colour are ordered by name, then as found (such nodes are, in practice,
    interchangeable, e.g. two silent steps between the same places).
    """
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils.petri_utils import add_arc_from_to

    net, initial, final = model.net, model.initial_marking, model.final_marking
    places = list(net.places)
    transitions = list(net.transitions)
    nodes: list[Any] = places + transitions
    start: dict[Any, tuple[Any, ...]] = {
        p: (0, int(initial.get(p, 0)), int(final.get(p, 0)), "") for p in places
    }
    start.update({t: (1, 0 if t.label is None else 1, 0, str(t.label or "")) for t in transitions})
    color = _ranks(start)
    classes = len(set(color.values()))
    for _ in range(len(nodes)):
        signature = {
            n: (
                color[n],
                tuple(sorted((color[a.source], a.weight) for a in n.in_arcs)),
                tuple(sorted((color[a.target], a.weight) for a in n.out_arcs)),
            )
            for n in nodes
        }
        refined = _ranks(signature)
        if len(set(refined.values())) == classes:
            break
        color, classes = refined, len(set(refined.values()))
    ordered_places = sorted(places, key=lambda p: (color[p], str(p.name)))
    ordered_transitions = sorted(transitions, key=lambda t: (color[t], str(t.name)))
    place_of = {p: PetriNet.Place(f"p{i}") for i, p in enumerate(ordered_places)}
    transition_of = {
        t: PetriNet.Transition(f"t{i}", t.label) for i, t in enumerate(ordered_transitions)
    }
    canonical = PetriNet(
        str(net.name),
        places=_OrderedSet(place_of.values()),
        transitions=_OrderedSet(transition_of.values()),
    )
    for t in ordered_transitions:
        for arc in sorted(t.in_arcs, key=lambda a: color[a.source]):
            add_arc_from_to(place_of[arc.source], transition_of[t], canonical, weight=arc.weight)
        for arc in sorted(t.out_arcs, key=lambda a: color[a.target]):
            add_arc_from_to(transition_of[t], place_of[arc.target], canonical, weight=arc.weight)

    def marking(of: Any) -> Any:
        return Marking({place_of[p]: of[p] for p in ordered_places if p in of})

    return canonical, marking(initial), marking(final)


def _ranks(keys: dict[Any, Any]) -> dict[Any, int]:
    """Each node's key replaced by the key's rank among the distinct keys."""
    rank = {key: i for i, key in enumerate(sorted(set(keys.values())))}
    return {node: rank[key] for node, key in keys.items()}


def _deviation_moves(alignment: Sequence[tuple[Any, Any]]) -> Counter[tuple[str, DeviationKind]]:
    moves: Counter[tuple[str, DeviationKind]] = Counter()
    for log_side, model_side in alignment:
        if log_side == _SKIP and model_side is not None and model_side != _SKIP:
            moves[(str(model_side), "skipped")] += 1
        elif model_side == _SKIP and log_side != _SKIP:
            moves[(str(log_side), "inserted")] += 1
    return moves


def _activities_of(
    moves: Counter[tuple[str, DeviationKind]], kind: DeviationKind
) -> tuple[str, ...]:
    return tuple(sorted(a for a, k in moves if k == kind))


def _store_case_fitness(con: duckdb.DuckDBPyConnection, rows: list[tuple[int, float]]) -> None:
    con.execute(
        store.sql("conformance_variant_fitness"),
        {"variant_nos": [r[0] for r in rows], "fitness": [r[1] for r in rows]},
    )
    con.execute(store.sql("conformance_case_fitness"))


def _left_out_note(
    variants: int, cases: int, timed_out_variants: int, timed_out_cases: int, total: int
) -> str | None:
    parts = []
    if variants:
        parts.append(
            f"{variants} least frequent variants ({cases} of {total} cases, "
            f"{cases / total:.1%}) were not aligned (max_variants / variant_coverage)"
        )
    if timed_out_variants:
        parts.append(
            f"{timed_out_variants} variants ({timed_out_cases} cases) hit the alignment time "
            "limit (max_seconds_per_variant)"
        )
    if not parts:
        return None
    return "; ".join(parts) + "; log-level figures cover the aligned cases only."
