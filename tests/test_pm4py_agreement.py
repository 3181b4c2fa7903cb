"""The flows servflow computes in SQL agree with pm4py's front layer on real logs.

Logs come from the shared log folder (env `SERVFLOW_SHARED_LOGS` overrides it); a test is
skipped, saying why, where a log is absent. Each log is loaded once with `ingest_file` and read
once with pm4py (`pm4py.read_xes`, or `pandas.read_csv` + `pm4py.format_dataframe`).
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from mining import store
from mining.filters import LogFilter
from mining.flows import (
    ActivityFrequency,
    Dfg,
    discover_dfg,
    get_activity_statistics,
    get_case_lead_times,
    get_variants,
    simplify_map,
    summarize_lead_times,
)
from mining.ingest import IngestOptions, ingest_file

SAMPLE_LOGS = Path(__file__).resolve().parents[1] / "sample_logs"
SHARED_LOGS = Path(
    os.environ.get("SERVFLOW_SHARED_LOGS")
    or Path(__file__).resolve().parents[1].parent / "shared" / "logs"
)


def _read_csv_helpdesk(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    df["Complete Timestamp"] = pd.to_datetime(
        df["Complete Timestamp"], format="%Y/%m/%d %H:%M:%S.%f"
    )
    return df


def _read_csv_fines(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    df["timestamp"] = pd.to_datetime(df["timestamp"], format="%Y-%m-%d")
    return df


@dataclass(frozen=True)
class RealLog:
    file: str
    read_csv: Callable[[Path], pd.DataFrame] | None = None
    case: str = ""
    activity: str = ""
    timestamp: str = ""


LOGS = {
    "helpdesk": RealLog(
        "helpdesk.csv", _read_csv_helpdesk, "Case ID", "Activity", "Complete Timestamp"
    ),
    "helpdesk_xes": RealLog("helpdesk.xes.gz"),
    "bpic2013_incidents": RealLog("bpic2013_incidents.xes.gz"),
    "road_traffic_fines": RealLog(
        "road_traffic_fines.csv.gz", _read_csv_fines, "case_id", "activity", "timestamp"
    ),
}
LOG_PARAMS = [
    "helpdesk",
    "helpdesk_xes",
    "bpic2013_incidents",
    pytest.param("road_traffic_fines", marks=pytest.mark.slow),
]


def _pm4py_frame(log: RealLog, path: Path) -> pd.DataFrame:
    import pm4py

    if log.read_csv is None:
        return pm4py.read_xes(str(path))
    return pm4py.format_dataframe(
        log.read_csv(path),
        case_id=log.case,
        activity_key=log.activity,
        timestamp_key=log.timestamp,
    )


# loaded once per session by the shared `real_db` fixture (tests/conftest.py)
SHARED_DB_LOGS = ("helpdesk", "bpic2013_incidents", "road_traffic_fines")


class Loaded:
    """Real logs and their pm4py frames, read on first use. The logs of the shared `real_db`
    are read from it (read-only); the others are ingested into a database of this module."""

    def __init__(self, request: pytest.FixtureRequest, own_db: Path) -> None:
        self.request = request
        self.own_db = own_db
        self.cons: dict[str, duckdb.DuckDBPyConnection] = {}
        self.frames: dict[str, pd.DataFrame] = {}

    def _connection(self, name: str, path: Path) -> duckdb.DuckDBPyConnection:
        shared_complete = all((SHARED_LOGS / LOGS[n].file).exists() for n in SHARED_DB_LOGS)
        if name in SHARED_DB_LOGS and shared_complete:
            if "shared" not in self.cons:
                real_db = self.request.getfixturevalue("real_db")
                self.cons["shared"] = store.connect(real_db, read_only=True)
            return self.cons["shared"]
        if "own" not in self.cons:
            self.cons["own"] = store.connect(self.own_db)
        con = self.cons["own"]
        if con.execute("SELECT count(*) FROM logs WHERE name = ?", [name]).fetchone() == (0,):
            ingest_file(con, path, IngestOptions(log_name=name))
        return con

    def get(self, name: str) -> tuple[duckdb.DuckDBPyConnection, int, pd.DataFrame]:
        log = LOGS[name]
        path = SHARED_LOGS / log.file
        if not path.exists() and (SAMPLE_LOGS / log.file).exists():
            path = SAMPLE_LOGS / log.file  # the bundled copy, on a clone without shared logs
        if not path.exists():
            pytest.skip(f"{path} is absent: set SERVFLOW_SHARED_LOGS to the shared log folder")
        con = self._connection(name, path)
        if name not in self.frames:
            self.frames[name] = _pm4py_frame(log, path)
        return con, store.log_id_for(con, name), self.frames[name]

    def close(self) -> None:
        for con in self.cons.values():
            con.close()


@pytest.fixture(scope="module")
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
    logs = Loaded(request, tmp_path_factory.mktemp("agreement") / "agreement.duckdb")
    yield logs
    logs.close()


def _assert_same_dfg(dfg: Dfg, df: pd.DataFrame) -> None:
    import pm4py

    counts, starts, ends = pm4py.discover_dfg(df)
    assert dfg.counts() == counts
    assert dfg.start_counts() == starts == pm4py.get_start_activities(df)
    assert dfg.end_counts() == ends == pm4py.get_end_activities(df)
    assert dfg.cases == df["case:concept:name"].nunique()
    assert dfg.events == len(df)


def _assert_same_performance(dfg: Dfg, df: pd.DataFrame) -> None:
    import pm4py

    perf, _, _ = pm4py.discover_performance_dfg(df)
    raw, _, _ = pm4py.discover_performance_dfg(df, perf_aggregation_key="raw_values")
    assert set(perf) == set(dfg.counts())
    for e in dfg.edges:
        expected = perf[(e.source, e.target)]
        values = np.asarray(raw[(e.source, e.target)], dtype=float)
        assert e.mean_s == pytest.approx(expected["mean"], rel=1e-9, abs=1e-6)
        assert e.median_s == pytest.approx(expected["median"], rel=1e-12, abs=1e-6)
        assert e.min_s == pytest.approx(expected["min"], abs=1e-6)
        assert e.max_s == pytest.approx(expected["max"], abs=1e-6)
        # P90: linear interpolation between order statistics, numpy's default method
        assert e.p90_s == pytest.approx(np.quantile(values, 0.9), rel=1e-12, abs=1e-6)
        assert e.total_s == pytest.approx(values.sum(), rel=1e-9, abs=1e-3)


@pytest.mark.parametrize("name", LOG_PARAMS)
def test_dfg_counts_start_and_end_activities_equal_pm4py(loaded: Loaded, name: str) -> None:
    con, log_id, df = loaded.get(name)
    _assert_same_dfg(discover_dfg(con, log_id), df)


@pytest.mark.parametrize("name", LOG_PARAMS)
def test_dfg_performance_equals_pm4py(loaded: Loaded, name: str) -> None:
    con, log_id, df = loaded.get(name)
    _assert_same_performance(discover_dfg(con, log_id), df)


@pytest.mark.parametrize("name", LOG_PARAMS)
def test_edge_case_counts_equal_cases_containing_the_pair(loaded: Loaded, name: str) -> None:
    import pm4py

    con, log_id, df = loaded.get(name)
    expected: Counter[tuple[str, str]] = Counter()
    for variant, n in pm4py.get_variants(df).items():
        for pair in set(itertools.pairwise(variant)):
            expected[pair] += n
    assert {(e.source, e.target): e.cases for e in discover_dfg(con, log_id).edges} == expected


@pytest.mark.parametrize("name", LOG_PARAMS)
def test_variant_counts_equal_pm4py(loaded: Loaded, name: str) -> None:
    import pm4py

    con, log_id, df = loaded.get(name)
    variants = get_variants(con, log_id)
    assert {v.activities: v.count for v in variants} == dict(pm4py.get_variants(df))
    counts = [v.count for v in variants]
    assert counts == sorted(counts, reverse=True)
    assert sum(v.share for v in variants) == pytest.approx(1.0)


@pytest.mark.parametrize("name", LOG_PARAMS)
def test_variant_median_lead_times_equal_pandas(loaded: Loaded, name: str) -> None:
    con, log_id, df = loaded.get(name)
    ordered = df.sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    leads: dict[tuple[str, ...], list[float]] = {}
    for _, events in ordered.groupby("case:concept:name", sort=False):
        ts = events["time:timestamp"]
        variant = tuple(events["concept:name"])
        leads.setdefault(variant, []).append((ts.max() - ts.min()).total_seconds())
    expected = {variant: float(np.median(values)) for variant, values in leads.items()}
    for v in get_variants(con, log_id, top=50):
        assert v.median_lead_time_s == pytest.approx(expected[v.activities], abs=1e-6)


@pytest.mark.parametrize("name", LOG_PARAMS)
def test_case_lead_times_equal_pm4py(loaded: Loaded, name: str) -> None:
    import pm4py

    con, log_id, df = loaded.get(name)
    ours = sorted(c.lead_time_s for c in get_case_lead_times(con, log_id))
    expected = pm4py.get_all_case_durations(df)
    assert ours == pytest.approx(expected, abs=1e-6)
    summary = summarize_lead_times(con, log_id)
    assert summary.cases == len(expected)
    assert summary.events == len(df)
    assert summary.median_s == pytest.approx(float(np.median(expected)), abs=1e-6)
    assert summary.p90_s == pytest.approx(float(np.quantile(expected, 0.9)), abs=1e-6)
    assert summary.mean_s == pytest.approx(float(np.mean(expected)), rel=1e-9)


@pytest.mark.parametrize("name", LOG_PARAMS)
def test_activity_counts_equal_pm4py(loaded: Loaded, name: str) -> None:
    import pm4py

    con, log_id, df = loaded.get(name)
    stats = get_activity_statistics(con, log_id)
    assert {a.activity: a.occurrences for a in stats} == pm4py.get_event_attribute_values(
        df, "concept:name"
    )
    assert {a.activity: a.cases for a in stats} == pm4py.get_event_attribute_values(
        df, "concept:name", count_once_per_case=True
    )
    # none of these logs has start timestamps: service and waiting time are not available
    assert all(a.service_median_s is None and a.waiting_median_s is None for a in stats)


def _arc_frequencies(counts: dict[tuple[str, str], int]) -> dict[str, int]:
    # the activity frequency pm4py's DFG filters derive from the arcs alone
    into: Counter[str] = Counter()
    out: Counter[str] = Counter()
    for (a, b), n in counts.items():
        into[a] += n
        out[b] += n
    return {a: max(into[a], out[a]) for a in set(into) | set(out)}


@pytest.mark.parametrize(
    "name", ["helpdesk", pytest.param("road_traffic_fines", marks=pytest.mark.slow)]
)
@pytest.mark.parametrize("share", [0.0, 0.1, 0.3, 0.5, 0.8])
def test_map_simplification_follows_pm4py_sliders(loaded: Loaded, name: str, share: float) -> None:
    import pm4py

    con, log_id, df = loaded.get(name)
    dfg = discover_dfg(con, log_id)
    counts, starts, ends = pm4py.discover_dfg(df)

    by_paths = simplify_map(dfg, path_share=share)
    assert (by_paths.counts(), by_paths.start_counts(), by_paths.end_counts()) == (
        pm4py.filter_dfg_paths_percentage(counts, starts, ends, share)
    )
    # pm4py ranks activities by a frequency derived from the arcs; given the same ranking,
    # the activity slider keeps the same map
    arc_ranked = replace(
        dfg,
        activities=tuple(
            ActivityFrequency(a, n, 0) for a, n in _arc_frequencies(dfg.counts()).items()
        ),
    )
    by_activities = simplify_map(arc_ranked, activity_share=share)
    assert (by_activities.counts(), by_activities.start_counts(), by_activities.end_counts()) == (
        pm4py.filter_dfg_activities_percentage(counts, starts, ends, share)
    )


# --- filters: a filtered map equals pm4py's map of the equally filtered log -------------------


def _pm4py() -> Any:
    import pm4py

    return pm4py


def _keep_case_attribute(df: pd.DataFrame, attribute: str, values: list[str]) -> pd.DataFrame:
    return _pm4py().filter_event_attribute_values(df, attribute, values, level="case", retain=True)


def _keep_activities(df: pd.DataFrame, names: list[str], retain: bool) -> pd.DataFrame:
    return _pm4py().filter_event_attribute_values(
        df, "concept:name", names, level="event", retain=retain
    )


def _top_variants(df: pd.DataFrame, k: int) -> pd.DataFrame:
    # pm4py's DataFrame path of filter_variants_top_k fails on pandas 3's arrow-backed variant
    # column; its event-log path is the same rule
    pm4py = _pm4py()
    log = pm4py.convert_to_event_log(df)
    return pm4py.convert_to_dataframe(pm4py.filter_variants_top_k(log, k))


WINDOW = (datetime(2011, 1, 1), datetime(2012, 6, 30, 23, 59, 59))
WINDOW_TEXT = tuple(t.strftime("%Y-%m-%d %H:%M:%S") for t in WINDOW)
SECTIONS = ["Value 2", "Value 4"]
SOME_ACTIVITIES = ["Assign seriousness", "Resolve ticket", "Closed", "Wait"]
SOME_RESOURCES = ["Value 9", "Value 13"]  # resources change within most helpdesk cases

FILTER_CASES: list[tuple[str, LogFilter, Callable[[pd.DataFrame], pd.DataFrame]]] = [
    (
        "case-attribute",
        LogFilter(case_attributes=(("responsible_section", tuple(SECTIONS)),)),
        lambda df: _keep_case_attribute(df, "responsible_section", SECTIONS),
    ),
    (
        # a case by any of its events (level="case"), all events kept
        "resources",
        LogFilter(resources=tuple(SOME_RESOURCES)),
        lambda df: _keep_case_attribute(df, "Resource", SOME_RESOURCES),
    ),
    (
        "team-and-resource",
        LogFilter(teams=("Value 2",), resources=tuple(SOME_RESOURCES)),
        lambda df: _keep_case_attribute(
            _keep_case_attribute(df, "workgroup", ["Value 2"]), "Resource", SOME_RESOURCES
        ),
    ),
    (
        "activities-kept",
        LogFilter(activities=tuple(SOME_ACTIVITIES)),
        lambda df: _keep_activities(df, SOME_ACTIVITIES, retain=True),
    ),
    (
        "activities-dropped",
        LogFilter(exclude_activities=("Take in charge ticket",)),
        lambda df: _keep_activities(df, ["Take in charge ticket"], retain=False),
    ),
    (
        "top-variants",
        LogFilter(variants_top_k=5),
        lambda df: _top_variants(df, 5),
    ),
    *(
        (
            f"time-window-{mode}",
            LogFilter(start=WINDOW[0], end=WINDOW[1], time_mode=mode),
            lambda df, m=pm4py_mode: _pm4py().filter_time_range(
                df, WINDOW_TEXT[0], WINDOW_TEXT[1], mode=m
            ),
        )
        for mode, pm4py_mode in (
            ("contained", "traces_contained"),
            ("intersecting", "traces_intersecting"),
            ("started", "traces_starting_in"),
            ("completed", "traces_completing_in"),
        )
    ),
    (
        "attribute-time-window-and-projection",
        LogFilter(
            case_attributes=(("responsible_section", ("Value 1",)),),
            start=WINDOW[0],
            end=WINDOW[1],
            time_mode="contained",
            exclude_activities=("Wait",),
        ),
        lambda df: _keep_activities(
            _pm4py().filter_time_range(
                _keep_case_attribute(df, "responsible_section", ["Value 1"]),
                WINDOW_TEXT[0],
                WINDOW_TEXT[1],
                mode="traces_contained",
            ),
            ["Wait"],
            retain=False,
        ),
    ),
]


def test_top_k_boundary_has_no_tie(loaded: Loaded) -> None:
    # filter_variants_top_k breaks ties among equally frequent variants its own way: the
    # comparison below is only meaningful where the k-th and (k+1)-th counts differ
    import pm4py

    _, _, df = loaded.get("helpdesk")
    counts = sorted(pm4py.get_variants(df).values(), reverse=True)
    assert counts[4] > counts[5]


@pytest.mark.parametrize(
    ("label", "flt", "pm4py_filter"), FILTER_CASES, ids=[c[0] for c in FILTER_CASES]
)
def test_filtered_map_equals_pm4py_on_filtered_log(
    loaded: Loaded,
    label: str,
    flt: LogFilter,
    pm4py_filter: Callable[[pd.DataFrame], pd.DataFrame],
) -> None:
    con, log_id, df = loaded.get("helpdesk")
    filtered = pm4py_filter(df)
    assert len(filtered) > 0, label
    dfg = discover_dfg(con, log_id, flt=flt)
    _assert_same_dfg(dfg, filtered)
    _assert_same_performance(dfg, filtered)

    assert {v.activities: v.count for v in get_variants(con, log_id, flt=flt)} == dict(
        _pm4py().get_variants(filtered)
    ), label
    ours = sorted(c.lead_time_s for c in get_case_lead_times(con, log_id, flt=flt))
    assert ours == pytest.approx(_pm4py().get_all_case_durations(filtered), abs=1e-6), label
