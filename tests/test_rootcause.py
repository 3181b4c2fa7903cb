"""Root causes: the attribute values the generator ties to its injected problems rank first;
effect sizes recomputed by hand; identifiers skipped and numbers binned, learned from the data."""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from mining import store
from mining.errors import InputError
from mining.filters import LogFilter
from mining.ingest import IngestOptions, ingest_file
from mining.rootcause import (
    OUTCOMES,
    TEAM_FEATURE,
    find_root_causes,
    find_root_causes_by_outcome,
)

CASE_ATTRIBUTES = ("channel", "ticket_type", "priority", "customer_segment")
# A value is tied to an injected problem when at least half of the affected cases hold it and
# it is at least 1.5 times as common among them as among the other cases.
TIED_COVERAGE = 0.5
TIED_LIFT = 1.5

Generated = tuple[Path, Path, dict]


@pytest.fixture(scope="session")
def generated_log(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int, int], Generated]:
    """generated_log(tickets, seed) -> (log, database with it as 't', truth); built once each."""
    from servflow.samplegen import generate_log

    built: dict[tuple[int, int], Generated] = {}

    def make(tickets: int, seed: int) -> Generated:
        if (tickets, seed) not in built:
            folder = tmp_path_factory.mktemp(f"gen{tickets}_{seed}")
            result = generate_log(folder / "tickets.parquet", tickets=tickets, seed=seed)
            db = folder / "db.duckdb"
            with store.connect(db) as con:
                ingest_file(con, result.log_path, IngestOptions(log_name="t"))
            built[(tickets, seed)] = (result.log_path, db, result.truth)
        return built[(tickets, seed)]

    return make


@functools.cache
def _cases(log: Path):
    """Per ticket: its case attributes, the teams involved, its activity sequence, last time."""
    import pandas as pd

    frame = pd.read_parquet(log)
    frame["ts"] = pd.to_datetime(frame["timestamp"], utc=True)
    frame["row"] = np.arange(len(frame))
    frame = frame.sort_values(["ticket_id", "ts", "row"], kind="stable")
    grouped = frame.groupby("ticket_id", sort=False)
    cases = grouped[list(CASE_ATTRIBUTES)].first()
    cases["activities"] = grouped["activity"].agg(list)
    cases["teams"] = grouped["team"].agg(lambda s: set(s.dropna()))
    cases["first_ts"] = grouped["ts"].min()
    cases["last_ts"] = grouped["ts"].max()
    cases["lead_time_s"] = (cases["last_ts"] - cases["first_ts"]).dt.total_seconds()
    return cases


def _affected(cases, truth: dict, outcome: str):
    """The cases the injected problem behind `outcome` touched, read off the log and truth."""
    import pandas as pd

    if outcome == "lead_time":
        edges = {(e["source"], e["target"]) for e in truth["bottleneck_edges"]}
        return cases["activities"].map(lambda a: any(p in edges for p in itertools.pairwise(a)))
    if outcome == "rework":
        return cases["activities"].map(lambda a: len(set(a)) < len(a))
    as_of = pd.Timestamp(truth["as_of"])
    min_idle = min(b["min_idle_s"] for b in truth["breakpoints"])
    ends = set(truth["end_activities"])
    idle = (as_of - cases["last_ts"]).dt.total_seconds()
    return cases["activities"].map(lambda a: a[-1] not in ends) & (idle >= min_idle)


def _tied_values(cases, affected) -> set[tuple[str, str]]:
    candidates: dict[tuple[str, str], object] = {}
    for attribute in CASE_ATTRIBUTES:
        for value in cases[attribute].dropna().unique():
            candidates[(attribute, str(value))] = cases[attribute] == value
    for team in set().union(*cases["teams"]):
        candidates[(TEAM_FEATURE, team)] = cases["teams"].map(lambda s, t=team: t in s)
    tied = set()
    for key, holds in candidates.items():
        coverage = float(holds[affected].mean())
        rest = float(holds[~affected].mean())
        if coverage >= TIED_COVERAGE and coverage >= TIED_LIFT * rest:
            tied.add(key)
    return tied


def _check_known_truth(generated: Generated, outcome: str) -> None:
    log, db, truth = generated
    cases = _cases(log)
    affected = _affected(cases, truth, outcome)
    tied = _tied_values(cases, affected)
    assert tied, "the generator ties no attribute value to this problem: nothing to find"
    with store.connect(db, read_only=True) as con:
        report = find_root_causes(con, store.log_id_for(con, "t"), outcome=outcome)
    clear = [(c.attribute, c.value) for c in report.causes if c.clear]
    # every tied value is found, and they hold the top ranks: nothing else ranks above them
    assert set(clear[: len(tied)]) == tied, (clear[:8], tied)
    assert (report.causes[0].attribute, report.causes[0].value) in tied
    assert report.causes[0].cliffs_delta > 0 and report.causes[0].rank == 1


@pytest.mark.parametrize("seed", [7, 13])
@pytest.mark.parametrize("outcome", ["lead_time", "rework", "stalled"])
def test_known_truth_ranks_first_small(generated_log, seed, outcome):
    _check_known_truth(generated_log(2000, seed), outcome)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [7, 13])
@pytest.mark.parametrize("outcome", ["lead_time", "rework", "stalled"])
def test_known_truth_ranks_first_large(generated_log, seed, outcome):
    _check_known_truth(generated_log(20000, seed), outcome)


def _cliffs_delta(group: np.ndarray, rest: np.ndarray) -> float:
    greater = (group[:, None] > rest[None, :]).sum()
    smaller = (group[:, None] < rest[None, :]).sum()
    return float(greater - smaller) / (len(group) * len(rest))


def test_lead_time_effects_equal_a_hand_computation(generated_log):
    from scipy.stats import mannwhitneyu

    log, db, _ = generated_log(2000, 7)
    cases = _cases(log)
    with store.connect(db, read_only=True) as con:
        report = find_root_causes(con, store.log_id_for(con, "t"), outcome="lead_time")
    by_key = {(c.attribute, c.value): c for c in report.causes}
    assert report.cases == len(cases)
    assert report.overall == pytest.approx(float(np.median(cases["lead_time_s"])))
    checks = [
        ("ticket_type", "报障", cases["ticket_type"] == "报障"),
        ("channel", "APP", cases["channel"] == "APP"),
        (TEAM_FEATURE, "现场装维", cases["teams"].map(lambda s: "现场装维" in s)),
    ]
    for attribute, value, holds in checks:
        cause = by_key[(attribute, value)]
        group = cases.loc[holds, "lead_time_s"].to_numpy()
        rest = cases.loc[~holds, "lead_time_s"].to_numpy()
        assert (cause.cases, cause.rest_cases) == (len(group), len(rest))
        assert cause.group_value == pytest.approx(float(np.median(group)))
        assert cause.rest_value == pytest.approx(float(np.median(rest)))
        assert cause.difference == pytest.approx(float(np.median(group) - np.median(rest)))
        assert cause.cliffs_delta == pytest.approx(_cliffs_delta(group, rest), abs=1e-12)
        u = mannwhitneyu(group, rest).statistic
        assert (cause.cliffs_delta + 1) * len(group) * len(rest) / 2 == pytest.approx(u)
        assert cause.z == pytest.approx(_mann_whitney_z(group, rest), rel=1e-9)


def _mann_whitney_z(group: np.ndarray, rest: np.ndarray) -> float:
    """Normal approximation of the Mann-Whitney U of `group`, ties corrected, no continuity."""
    from scipy.stats import rankdata

    n1, n2 = len(group), len(rest)
    n = n1 + n2
    both = np.concatenate([group, rest])
    u = rankdata(both)[:n1].sum() - n1 * (n1 + 1) / 2
    _, ties = np.unique(both, return_counts=True)
    variance = n1 * n2 / 12 * ((n + 1) - (ties**3 - ties).sum() / (n * (n - 1)))
    return float((u - n1 * n2 / 2) / np.sqrt(variance))


def test_flag_outcomes_agree_with_the_rework_and_breakpoint_modules(generated_log):
    from mining.breakpoints import find_breakpoints
    from mining.rework import find_rework

    log, db, _ = generated_log(2000, 7)
    cases = _cases(log)
    with store.connect(db, read_only=True) as con:
        log_id = store.log_id_for(con, "t")
        rework = find_root_causes(con, log_id, outcome="rework")
        stalled = find_root_causes(con, log_id, outcome="stalled")
        assert rework.outcome_cases == find_rework(con, log_id).cases_with_rework
        assert stalled.outcome_cases == find_breakpoints(con, log_id).stalled_cases
        # under an activity projection the variants are rebuilt from the kept events
        repeated = ("故障诊断",)
        projected = LogFilter(exclude_activities=repeated)
        assert (
            find_root_causes(con, log_id, flt=projected, outcome="rework").outcome_cases
            == find_rework(con, log_id, flt=projected).cases_with_rework
            < rework.outcome_cases
        )
    cause = next(c for c in rework.causes if (c.attribute, c.value) == ("ticket_type", "报障"))
    reworked = cases["activities"].map(lambda a: len(set(a)) < len(a))
    holds = cases["ticket_type"] == "报障"
    assert cause.group_value == pytest.approx(float(reworked[holds].mean()))
    assert cause.rest_value == pytest.approx(float(reworked[~holds].mean()))
    # for a yes/no outcome Cliff's delta is the difference of the two rates
    assert cause.cliffs_delta == pytest.approx(cause.difference, abs=1e-12)
    assert cause.outcome_cases == int(reworked[holds].sum())


def test_outcomes_together_equal_each_alone(generated_log):
    from mining.breakpoints import find_breakpoints

    _, db, _ = generated_log(2000, 13)
    flt = LogFilter(case_attributes=(("channel", ("APP", "热线")),))
    with store.connect(db, read_only=True) as con:
        log_id = store.log_id_for(con, "t")
        alone = {o: find_root_causes(con, log_id, flt=flt, outcome=o) for o in OUTCOMES}
        stalled = find_breakpoints(con, log_id, flt=flt).stalled_case_ids
        together = find_root_causes_by_outcome(con, log_id, flt=flt, stalled_case_ids=stalled)
    assert together == alone
    assert all(report.causes for report in together.values())


def test_identifiers_are_skipped_and_numbers_binned_from_the_data(tmp_path):
    from datetime import datetime, timedelta

    rng = np.random.default_rng(1)
    opened = datetime(2024, 1, 1)
    lines = ["case,activity,timestamp,amount,clerk_note,region"]
    for case in range(400):
        amount = float(rng.uniform(10, 1000))
        region = ("north", "south")[case % 2]
        # high amounts wait long; everything else is noise
        hours = 1 + rng.exponential(2) + (30 if amount > 750 else 0)
        closed = opened + timedelta(hours=hours)
        for activity, ts in (("open", opened), ("close", closed)):
            lines.append(
                f"{case},{activity},{ts:%Y-%m-%d %H:%M:%S},{amount:.2f},note {case},{region}"
            )
    path = tmp_path / "amounts.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with store.connect(tmp_path / "db.duckdb") as con:
        ingest_file(con, path, IngestOptions(log_name="a"))
        report = find_root_causes(con, store.log_id_for(con, "a"), outcome="lead_time")
    assert report.binned_attributes == ("amount",)
    skipped = {s.attribute: s.reason for s in report.skipped}
    assert "identifier" in skipped["clerk_note"]
    assert "region" in report.attributes
    top = report.causes[0]
    assert (top.attribute, top.value[:2]) == ("amount", "> ")
    assert top.clear and top.cliffs_delta > 0.5
    assert not any(c.clear for c in report.causes if c.attribute == "region")


def test_bad_options_are_refused(generated_log):
    _, db, _ = generated_log(2000, 7)
    with store.connect(db, read_only=True) as con:
        log_id = store.log_id_for(con, "t")
        with pytest.raises(InputError, match="outcome"):
            find_root_causes(con, log_id, outcome="happiness")  # type: ignore[arg-type]
        with pytest.raises(InputError, match="min_cases"):
            find_root_causes(con, log_id, min_cases=0)
        assert len(find_root_causes(con, log_id, top=2).causes) == 2


def test_truth_file_is_beside_the_log(generated_log):
    log, _, truth = generated_log(2000, 7)
    assert json.loads(log.with_name("tickets.truth.json").read_text(encoding="utf-8")) == truth
