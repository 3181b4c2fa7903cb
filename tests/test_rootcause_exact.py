"""Root causes computed in SQL equal a brute-force computation case by case, also where the
shortcuts do not apply: attributes only some cases have (ranked among those cases alone), a
multi-valued attribute some cases lack, tied lead times, and medians found across many small
buckets of the lead-time order."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from mining import rootcause, store
from mining.ingest import IngestOptions, ingest_file
from mining.rootcause import TEAM_FEATURE, find_root_causes_by_outcome

CASES = 240
MIN_CASES = 12


def _write_log(path: Path) -> dict[str, dict]:
    """A log whose attributes are partly missing; returns the facts of every case."""
    rng = np.random.default_rng(5)
    opened = datetime(2024, 3, 1)
    lines = ["case,activity,timestamp,team,region,tier,amount"]
    facts: dict[str, dict] = {}
    for case in range(CASES):
        case_id = f"c{case:03d}"
        tier = ("gold", "silver", "bronze")[case % 3]
        # about a third of the cases have no region: it is compared among the others only
        region = ("", "north", "south", "east")[int(rng.integers(0, 4))]
        amount = "" if case % 10 == 0 else f"{rng.uniform(1, 500):.2f}"
        # whole hours, few distinct values: many tied lead times
        hours = [int(rng.integers(1, 6)) * (3 if region == "north" else 1) for _ in range(3)]
        activities = ["open", "work", "close"]
        if tier == "gold" and rng.random() < 0.6:
            activities.insert(2, "work")  # rework
            hours.append(int(rng.integers(1, 4)))
        # some cases pass through no team at all: the teams are compared among the others
        teamless = case % 7 == 0
        teams: set[str] = set()
        ts = opened + timedelta(days=case)
        for step, activity in enumerate(activities):
            team = "" if teamless else ("desk", "field", "back")[int(rng.integers(0, 3))]
            if team:
                teams.add(team)
            lines.append(
                f"{case_id},{activity},{ts:%Y-%m-%d %H:%M:%S},{team},{region},{tier},{amount}"
            )
            ts += timedelta(hours=hours[step])
        facts[case_id] = {
            "region": region or None,
            "tier": tier,
            "teams": teams,
            "lead_time": float(sum(hours[: len(activities) - 1]) * 3600),
            "rework": float(len(set(activities)) < len(activities)),
        }
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return facts


@pytest.fixture(scope="module")
def partial_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    folder = tmp_path_factory.mktemp("partial")
    facts = _write_log(folder / "log.csv")
    db = folder / "db.duckdb"
    with store.connect(db) as con:
        ingest_file(con, folder / "log.csv", IngestOptions(log_name="p", team="team"))
    return db, facts


def _mann_whitney(group: np.ndarray, rest: np.ndarray) -> tuple[float, float]:
    """Cliff's delta and the tie-corrected normal approximation z of the group's U."""
    from scipy.stats import mannwhitneyu, rankdata

    n1, n2 = len(group), len(rest)
    both = np.concatenate([group, rest])
    u = float(rankdata(both)[:n1].sum() - n1 * (n1 + 1) / 2)
    assert u == pytest.approx(mannwhitneyu(group, rest).statistic)
    _, ties = np.unique(both, return_counts=True)
    n = n1 + n2
    variance = n1 * n2 / 12 * ((n + 1) - (ties**3 - ties).sum() / (n * (n - 1)))
    return 2 * u / (n1 * n2) - 1, float((u - n1 * n2 / 2) / np.sqrt(variance))


def _holds(facts: dict[str, dict], attribute: str, value: str) -> tuple[list[str], list[str]]:
    """The cases holding `value` and the other cases that have `attribute`."""
    if attribute == TEAM_FEATURE:
        having = [c for c, f in facts.items() if f["teams"]]
        return [c for c in having if value in facts[c]["teams"]], [
            c for c in having if value not in facts[c]["teams"]
        ]
    having = [c for c, f in facts.items() if f[attribute] is not None]
    return [c for c in having if facts[c][attribute] == value], [
        c for c in having if facts[c][attribute] != value
    ]


def test_effects_equal_a_brute_force_computation_with_partial_attributes(partial_log, monkeypatch):
    db, facts = partial_log
    with store.connect(db, read_only=True) as con:
        log_id = store.log_id_for(con, "p")
        wide = find_root_causes_by_outcome(
            con, log_id, outcomes=("lead_time", "rework"), min_cases=MIN_CASES
        )
        # buckets of a few places: each median is located across many of them
        monkeypatch.setattr(rootcause, "_MIN_BUCKET", 5)
        narrow = find_root_causes_by_outcome(
            con, log_id, outcomes=("lead_time", "rework"), min_cases=MIN_CASES
        )
    assert narrow == wide
    lead, rework = wide["lead_time"], wide["rework"]
    assert {"region", "tier", TEAM_FEATURE} <= set(lead.attributes)
    assert lead.binned_attributes == ("amount",)
    checked = set()
    for outcome, report in (("lead_time", lead), ("rework", rework)):
        for cause in report.causes:
            if cause.attribute == "amount":
                continue  # bins are labelled by SQL quantiles; covered by bucket invariance
            group_ids, rest_ids = _holds(facts, cause.attribute, cause.value)
            group = np.array([facts[c][outcome] for c in group_ids])
            rest = np.array([facts[c][outcome] for c in rest_ids])
            assert (cause.cases, cause.rest_cases) == (len(group), len(rest))
            if outcome == "lead_time":
                assert cause.group_value == float(np.median(group))
                assert cause.rest_value == float(np.median(rest))
            else:
                assert cause.group_value == pytest.approx(group.mean(), abs=1e-12)
                assert cause.rest_value == pytest.approx(rest.mean(), abs=1e-12)
                assert cause.outcome_cases == int(group.sum())
            delta, z = _mann_whitney(group, rest)
            assert cause.cliffs_delta == pytest.approx(delta, abs=1e-12)
            assert cause.z == pytest.approx(z, rel=1e-9)
            checked.add((outcome, cause.attribute))
    # the partial single- and multi-valued attributes and the full one were all compared
    for outcome in ("lead_time", "rework"):
        assert {(outcome, a) for a in ("region", "tier", TEAM_FEATURE)} <= checked
    assert any(c.clear for c in lead.causes if c.attribute == "region")
