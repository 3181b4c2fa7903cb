"""Seeded, deterministic generator of a telecom customer-service ticket log with known problems.

The log looks like the export of a 10000-style contact centre's ticketing system: consultations
(咨询), fault reports (报障) and complaints (投诉) arrive through the hotline, the app, WeChat or a
business hall and move through intake, classification, diagnosis, dispatch to the back office or
to field technicians, repair, resolution, closing, a satisfaction callback (回访) and archiving,
with customer chasing (催单) and escalation (升级) events. Teams and agents are the resources.

On top of a deliberately clean baseline (no repeated activity, no team returning to a case, every
ticket ends at archiving, every hand-over short) it injects known problems, each switchable:

- ``bottleneck``: two hand-overs (dispatch to back office -> diagnosis, dispatch to field ->
  field repair) get a large extra waiting time on every traversal;
- ``rework``: re-diagnosis and re-dispatch to the field (self-loops) in some fault tickets;
- ``pingpong``: front line <-> back office bouncing (dispatch, return, dispatch: A-B-A between
  activities and between the two teams);
- ``breakpoint``: fault tickets that stall after the dispatch to the back office, and closed
  tickets that are never called back (no further events up to the end of the log);
- ``automation``: classification, SMS notification and archiving are quick, uniform steps of a
  small resource pool (automation-friendly);
- ``judgement``: diagnosis, complaint handling and field repair are long, highly variable steps
  of large pools, followed by chases and escalations (judgement-heavy).

The ground truth goes beside the log as ``<out>.truth.json``. Every random draw comes from a
stream keyed by (seed, block of 4096 tickets, purpose), and every purpose draws the same amount
whether its problem is on or off, so switching one problem off (``switch_off``) changes only the
tickets that problem touches, and only by its effect.

Example:
    >>> from servflow.samplegen import generate_log
    >>> result = generate_log("/tmp/tickets.csv", tickets=200, seed=7)  # doctest: +SKIP
    >>> result.truth["end_activities"]  # doctest: +SKIP
    ['归档']
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from mining.errors import InputError, ServflowError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "COLUMNS",
    "LABEL_LANGUAGES",
    "PROBLEMS",
    "GenerationResult",
    "generate_log",
    "main",
    "tickets_for_events",
    "truth_path_for",
]

PROBLEMS: tuple[str, ...] = (
    "bottleneck",
    "rework",
    "pingpong",
    "breakpoint",
    "automation",
    "judgement",
)
LABEL_LANGUAGES: tuple[str, ...] = ("zh", "en")
COLUMNS: tuple[str, ...] = (
    "ticket_id",
    "activity",
    "timestamp",
    "start_timestamp",
    "resource",
    "team",
    "channel",
    "ticket_type",
    "priority",
    "customer_segment",
    "customer_id",
    "satisfaction",
)

Labels = Literal["zh", "en"]
Format = Literal["csv", "parquet"]

# --------------------------------------------------------------------------------------------
# Labels. Keys are internal; the log shows the Chinese or the English label.

_ACTIVITY_LABELS: dict[str, tuple[str, str]] = {
    "intake": ("受理", "Intake"),
    "classify": ("工单分类", "Classify ticket"),
    "sms": ("短信通知", "Send SMS notification"),
    "answer": ("咨询解答", "Answer consultation"),
    "to_complaint": ("转派投诉组", "Transfer to complaint desk"),
    "chase": ("催单", "Customer chase"),
    "escalate": ("升级", "Escalate"),
    "complaint": ("投诉处理", "Handle complaint"),
    "dispatch_bo": ("派单至后台", "Dispatch to back office"),
    "return_fl": ("退回一线", "Return to front line"),
    "diagnose": ("故障诊断", "Diagnose fault"),
    "remote_fix": ("远程处理", "Remote fix"),
    "dispatch_ft": ("派单至现场", "Dispatch to field"),
    "field_repair": ("上门维修", "Field repair"),
    "resolve": ("问题解决", "Resolve"),
    "close": ("结单", "Close ticket"),
    "callback": ("满意度回访", "Satisfaction callback"),
    "archive": ("归档", "Archive"),
}
_TEAM_LABELS: dict[str, tuple[str, str]] = {
    "fl": ("一线客服", "Front line"),
    "bo": ("后台支撑", "Back office"),
    "ft": ("现场装维", "Field technicians"),
    "cd": ("投诉处理组", "Complaint desk"),
    "qc": ("质检回访组", "Quality & callback"),
}
_CHANNEL_LABELS: tuple[tuple[str, str], ...] = (
    ("10000热线", "Hotline 10000"),
    ("APP", "App"),
    ("微信", "WeChat"),
    ("营业厅", "Business hall"),
)
_TYPE_LABELS: tuple[tuple[str, str], ...] = (
    ("咨询", "Consultation"),
    ("报障", "Fault report"),
    ("投诉", "Complaint"),
)
_PRIORITY_LABELS: tuple[tuple[str, str], ...] = (
    ("一般", "Normal"),
    ("紧急", "Urgent"),
    ("特急", "Critical"),
)
_SEGMENT_LABELS: tuple[tuple[str, str], ...] = (
    ("公众", "Consumer"),
    ("家庭", "Household"),
    ("政企", "Enterprise"),
    ("高端", "Premium"),
)

# Resource pools: (key, team, zh prefix, en prefix, digits). Agent pools grow with the volume.
_POOLS: tuple[tuple[str, str, str, str, int], ...] = (
    ("fl", "fl", "一线-", "FL-", 4),
    ("desk", "fl", "调度台-", "Desk-", 2),
    ("bo", "bo", "后台-", "BO-", 4),
    ("ft", "ft", "装维-", "FT-", 4),
    ("cd", "cd", "投诉-", "CD-", 4),
    ("qc", "qc", "质检-", "QC-", 4),
    ("clerk", "qc", "归档岗-", "Archivist-", 2),
)
# tickets per agent, minimum and maximum pool size; the two automation pools stay small.
_POOL_SIZING: dict[str, tuple[int, int, int]] = {
    "fl": (40, 8, 1500),
    "desk": (15000, 3, 12),
    "bo": (60, 6, 800),
    "ft": (70, 6, 1200),
    "cd": (120, 4, 300),
    "qc": (200, 4, 200),
    "clerk": (30000, 2, 8),
}

# --------------------------------------------------------------------------------------------
# The ticket as a fixed layout of slots in time order; a ticket uses a subset of them.
# (key, activity, team or "handler", has start timestamp, wait median s, wait sigma)

_HANDLER = "handler"
_SLOTS: tuple[tuple[str, str, str, bool, float, float], ...] = (
    ("intake", "intake", "fl", True, 0, 0),
    ("classify", "classify", "fl", True, 20, 0.3),
    ("sms", "sms", "fl", True, 10, 0.3),
    ("answer", "answer", "fl", True, 30, 0.5),
    ("to_complaint", "to_complaint", "fl", False, 60, 0.5),
    ("chase_c", "chase", "cd", False, 3600, 0.6),
    ("escalate_c", "escalate", "cd", False, 1200, 0.6),
    ("complaint", "complaint", "cd", True, 1800, 0.7),
    ("dispatch_bo", "dispatch_bo", "fl", False, 60, 0.5),
    ("return_fl_1", "return_fl", "bo", False, 3600, 0.6),
    ("dispatch_bo_2", "dispatch_bo", "fl", False, 2400, 0.6),
    ("return_fl_2", "return_fl", "bo", False, 3600, 0.6),
    ("dispatch_bo_3", "dispatch_bo", "fl", False, 2400, 0.6),
    ("diagnose", "diagnose", "bo", True, 1200, 0.7),
    ("diagnose_2", "diagnose", "bo", True, 1800, 0.6),
    ("chase_f", "chase", "bo", False, 1800, 0.6),
    ("escalate_f", "escalate", "bo", False, 900, 0.6),
    ("remote_fix", "remote_fix", "bo", True, 600, 0.6),
    ("dispatch_ft", "dispatch_ft", "bo", False, 600, 0.6),
    ("dispatch_ft_2", "dispatch_ft", "bo", False, 2400, 0.6),
    ("field_repair", "field_repair", "ft", True, 5400, 0.6),
    ("resolve", "resolve", _HANDLER, False, 120, 0.5),
    ("close", "close", _HANDLER, True, 600, 0.6),
    ("callback", "callback", "qc", True, 4800, 0.6),
    ("archive", "archive", "qc", True, 600, 0.4),
)
_SLOT = {key: i for i, (key, *_rest) in enumerate(_SLOTS)}
_NSLOTS = len(_SLOTS)
_ACTIVITY_KEYS = tuple(_ACTIVITY_LABELS)
_TEAM_KEYS = tuple(_TEAM_LABELS)
_SLOT_ACTIVITY = np.array([_ACTIVITY_KEYS.index(s[1]) for s in _SLOTS], dtype=np.int8)
_SLOT_HAS_START = np.array([s[3] for s in _SLOTS], dtype=bool)
_SLOT_WAIT_MEDIAN = np.array([s[4] for s in _SLOTS], dtype=np.float64)
_SLOT_WAIT_SIGMA = np.array([s[5] for s in _SLOTS], dtype=np.float64)

# Service-time profiles (median s, sigma of the log-normal).
_INTAKE_MEDIAN_BY_CHANNEL = np.array([300.0, 180.0, 200.0, 480.0])
_DURATIONS: dict[str, tuple[float, float]] = {
    "intake": (0.0, 0.35),  # median by channel
    "answer": (420.0, 0.5),
    "remote_fix": (1500.0, 0.45),
    "close": (90.0, 0.4),
    "callback": (180.0, 0.35),
}
# automation-friendly steps: (on: quick, uniform) / (off: an ordinary manual step)
_AUTOMATION_DURATIONS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "classify": ((45.0, 0.08), (240.0, 0.6)),
    "sms": ((20.0, 0.08), (150.0, 0.6)),
    "archive": ((15.0, 0.08), (120.0, 0.6)),
}
# judgement-heavy steps: (on: long, highly variable) / (off: an ordinary, steady step)
_JUDGEMENT_DURATIONS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "complaint": ((7200.0, 1.1), (2400.0, 0.4)),
    "diagnose": ((2400.0, 1.0), (1200.0, 0.4)),
    "diagnose_2": ((2400.0, 1.0), (1200.0, 0.4)),
    "field_repair": ((5400.0, 0.9), (3600.0, 0.35)),
}
_AUTOMATION_ACTIVITIES = ("classify", "sms", "archive")
_JUDGEMENT_ACTIVITIES = ("diagnose", "complaint", "field_repair")

# Bottleneck edges: (source activity, target activity, target slot, extra median s, sigma).
_BOTTLENECKS: tuple[tuple[str, str, str, float, float], ...] = (
    ("dispatch_ft", "field_repair", "field_repair", 30 * 3600.0, 0.45),
    ("dispatch_bo", "diagnose", "diagnose", 20 * 3600.0, 0.5),
)

_RATES: dict[str, float] = {
    "field_share_of_faults": 0.6,
    "field_share_of_household_faults": 0.75,
    "chase_fault": 0.10,
    "chase_complaint": 0.18,
    "escalate_fault": 0.05,
    "escalate_complaint": 0.12,
    "escalate_factor_enterprise_premium": 1.5,
    "pingpong_of_faults": 0.15,
    "pingpong_second_bounce": 0.3,
    "rework_rediagnosis_of_faults": 0.14,
    "rework_redispatch_of_field_faults": 0.20,
    "stall_after_dispatch_of_eligible_faults": 0.08,
    "never_called_back_of_eligible_tickets": 0.05,
}
# Ticket type by channel (consultation, fault, complaint).
_TYPE_BY_CHANNEL = np.array(
    [[0.42, 0.42, 0.16], [0.50, 0.35, 0.15], [0.48, 0.32, 0.20], [0.55, 0.25, 0.20]]
)
_CHANNEL_P = np.array([0.45, 0.22, 0.20, 0.13])
_SEGMENT_P = np.array([0.55, 0.25, 0.12, 0.08])
# Priority by ticket type, for consumer/household and for enterprise/premium customers.
_PRIORITY_BY_TYPE = np.array(
    [
        [[0.85, 0.13, 0.02], [0.60, 0.30, 0.10], [0.50, 0.35, 0.15]],
        [[0.70, 0.25, 0.05], [0.35, 0.45, 0.20], [0.30, 0.45, 0.25]],
    ]
)
_WAIT_FACTOR_BY_PRIORITY = np.array([1.0, 0.6, 0.35])
_SATISFACTION_P = np.array([0.04, 0.06, 0.12, 0.28, 0.50])  # scores 1..5 before penalties
_SLOW_RESOLUTION_S = 48 * 3600

_WINDOW_START = np.datetime64("2024-04-01T00:00:00")  # local time, UTC+08:00
_WINDOW_DAYS = 91
_STALL_MIN_AGE_DAYS = 21  # stalled tickets arrived at least this long before the window's end
_TZ_OFFSET_S = 8 * 3600
# relative arrivals by hour of day (a contact centre's day: quiet nights, morning peak)
_HOURLY_ARRIVALS = np.array(
    [0.2, 0.12, 0.08, 0.06, 0.06, 0.1, 0.25, 0.6, 1.2, 1.6, 1.7, 1.6,
     1.3, 1.3, 1.5, 1.6, 1.5, 1.3, 1.1, 1.0, 0.9, 0.7, 0.5, 0.3]
)  # fmt: skip
_Z_CLIP = 3.5
_BLOCK = 4096  # tickets per random-stream block: fixed, so output never depends on batching
_BATCH_ROWS = 400_000  # rows per write
_IDS_LIMIT = 10_000  # truth lists ticket ids only for logs of up to this many tickets
_MAX_TICKETS = 99_999_999

# Random-stream purposes. Each draws a fixed shape per block, whatever is switched on.
(
    _S_ATTR,
    _S_ARRIVAL,
    _S_FLOW,
    _S_WAIT,
    _S_DURATION,
    _S_RESOURCE,
    _S_SATISFACTION,
    _S_BOTTLENECK,
    _S_REWORK,
    _S_PINGPONG,
    _S_BREAKPOINT,
) = range(11)


# --------------------------------------------------------------------------------------------
# Public API


@dataclass(frozen=True)
class GenerationResult:
    """What `generate_log` wrote: the log, its ground truth, and the counts."""

    log_path: Path
    truth_path: Path
    tickets: int
    events: int
    truth: dict[str, Any] = field(repr=False)


def truth_path_for(out: str | Path) -> Path:
    """The ground-truth file written beside a log.

    >>> truth_path_for("sample_logs/telecom_tickets.csv").name
    'telecom_tickets.truth.json'
    """
    out = Path(out)
    return out.with_name(out.stem + ".truth.json")


def tickets_for_events(events: int, seed: int = 7) -> int:
    """How many tickets make about `events` events (with every problem injected).

    Estimated from a pilot block of the same seed, so the factual log and any counterfactual
    of one seed and event count have the same tickets.

    >>> 900 < tickets_for_events(10_000, seed=7) < 1100
    True
    """
    if events < 1:
        raise InputError(f"--events must be a positive number of events, not {events}.")
    pilot = _Plan.create(tickets=_BLOCK, seed=seed, problems=frozenset(PROBLEMS))
    per_ticket = len(_simulate_block(pilot, 0).act) / _BLOCK
    return max(1, round(events / per_ticket))


def generate_log(
    out: str | Path,
    *,
    events: int | None = None,
    tickets: int | None = None,
    seed: int = 7,
    fmt: Format | None = None,
    switch_off: str | Iterable[str] | None = None,
    labels: Labels = "zh",
    progress: Callable[[int, int], None] | None = None,
) -> GenerationResult:
    """Write a generated ticket log to `out` (CSV or Parquet) and its truth beside it.

    Give either `events` (approximate) or `tickets`. `fmt` defaults to the suffix of `out`
    (``.parquet`` -> Parquet, anything else CSV). `switch_off` names problems (see `PROBLEMS`)
    to leave out; everything else stays identical to the log of the same seed. `progress` is
    called with (tickets done, tickets) after each write.

    >>> r = generate_log("/tmp/t.csv", tickets=100, seed=1)  # doctest: +SKIP
    >>> (r.tickets, r.truth_path.name)  # doctest: +SKIP
    (100, 't.truth.json')
    """
    out = Path(out)
    if (events is None) == (tickets is None):
        raise InputError("Give either a number of events or a number of tickets (not both).")
    if tickets is not None and not 1 <= tickets <= _MAX_TICKETS:
        raise InputError(f"--tickets must be between 1 and {_MAX_TICKETS:,}, not {tickets}.")
    if seed < 0:
        raise InputError(f"--seed must be a non-negative integer, not {seed}.")
    if labels not in LABEL_LANGUAGES:
        raise InputError(f"--labels must be one of {', '.join(LABEL_LANGUAGES)}, not {labels!r}.")
    if fmt is None:
        fmt = "parquet" if out.suffix.lower() in (".parquet", ".pq") else "csv"
    if fmt not in ("csv", "parquet"):
        raise InputError(f"--format must be csv or parquet, not {fmt!r}.")
    off = _parse_switch_off(switch_off)
    if not out.parent.is_dir():
        raise InputError(f"Cannot write {out}: the folder {out.parent} does not exist.")
    n_tickets = tickets if tickets is not None else tickets_for_events(int(events or 0), seed)
    if n_tickets > _MAX_TICKETS:
        raise InputError(f"{events:,} events need more than {_MAX_TICKETS:,} tickets.")

    plan = _Plan.create(tickets=n_tickets, seed=seed, problems=frozenset(PROBLEMS) - off)
    truth_acc = _TruthAccumulator(plan, labels)
    batches = _batches(plan, truth_acc, progress)
    lang = LABEL_LANGUAGES.index(labels)
    resources = _resource_labels(plan, lang)
    if fmt == "csv":
        _write_csv(out, batches, lang, resources)
    else:
        _write_parquet(out, batches, lang, resources)
    truth = truth_acc.finish(
        log_name=out.name,
        fmt=fmt,
        events_requested=events,
        tickets_requested=tickets,
        switched_off=off,
    )
    truth_path = truth_path_for(out)
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return GenerationResult(
        log_path=out,
        truth_path=truth_path,
        tickets=truth["counts"]["tickets"],
        events=truth["counts"]["events"],
        truth=truth,
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m servflow.samplegen --tickets 3000 --seed 7 --out x.csv``."""
    parser = argparse.ArgumentParser(
        prog="servflow generate",
        description="Generate a telecom customer-service ticket log with known, injected "
        "problems, and its ground truth (<out>.truth.json).",
    )
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--events", type=int, help="about this many events")
    size.add_argument("--tickets", type=int, help="exactly this many tickets")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--format", choices=("csv", "parquet"), help="default: from --out")
    parser.add_argument("--out", required=True, help="log file to write")
    parser.add_argument(
        "--switch-off",
        choices=PROBLEMS,
        help="leave this injected problem out (counterfactual of the same seed)",
    )
    parser.add_argument("--labels", choices=LABEL_LANGUAGES, default="zh", help="label language")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)

    def show(done: int, total: int) -> None:
        print(f"\r{done:,}/{total:,} tickets", end="", file=sys.stderr, flush=True)

    big = (args.events or 0) >= 1_000_000 or (args.tickets or 0) >= 100_000
    try:
        result = generate_log(
            args.out,
            events=args.events,
            tickets=args.tickets,
            seed=args.seed,
            fmt=args.format,
            switch_off=args.switch_off,
            labels=args.labels,
            progress=show if big and not args.quiet else None,
        )
    except ServflowError as error:
        print(f"servflow generate: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"servflow generate: cannot write {args.out}: {error.strerror or error}. "
            "Choose a writable path with --out.",
            file=sys.stderr,
        )
        return 2
    if big and not args.quiet:
        print(file=sys.stderr)
    print(
        f"wrote {result.events:,} events of {result.tickets:,} tickets to {result.log_path} "
        f"(ground truth: {result.truth_path})"
    )
    return 0


# --------------------------------------------------------------------------------------------
# Simulation


def _parse_switch_off(switch_off: str | Iterable[str] | None) -> frozenset[str]:
    if switch_off is None:
        return frozenset()
    names = [switch_off] if isinstance(switch_off, str) else list(switch_off)
    unknown = [name for name in names if name not in PROBLEMS]
    if unknown:
        raise InputError(
            f"Unknown problem {unknown[0]!r} for --switch-off; choose one of {', '.join(PROBLEMS)}."
        )
    return frozenset(names)


@dataclass(frozen=True)
class _Plan:
    """Everything fixed for a run: size, seed, switched-on problems, pools, arrival curve."""

    tickets: int
    seed: int
    problems: frozenset[str]
    pool_sizes: dict[str, int]
    pool_offsets: dict[str, int]
    customers: int
    arrival_cdf: np.ndarray  # cumulative share of arrivals at the end of each minute
    window_start_s: int  # local seconds since the epoch
    window_s: int

    @staticmethod
    def create(tickets: int, seed: int, problems: frozenset[str]) -> _Plan:
        sizes: dict[str, int] = {}
        offsets: dict[str, int] = {}
        total = 0
        for key, *_rest in _POOLS:
            per, low, high = _POOL_SIZING[key]
            size = min(high, max(low, round(tickets / per)))
            sizes[key], offsets[key] = size, total
            total += size
        minutes = _WINDOW_DAYS * 24 * 60
        minute = np.arange(minutes)
        weekday = (minute // 1440 + _weekday(_WINDOW_START)) % 7
        weights = _HOURLY_ARRIVALS[(minute // 60) % 24] * np.where(weekday >= 5, 0.8, 1.0)
        cdf = np.cumsum(weights)
        return _Plan(
            tickets=tickets,
            seed=seed,
            problems=problems,
            pool_sizes=sizes,
            pool_offsets=offsets,
            customers=max(1, round(tickets * 0.8)),
            arrival_cdf=cdf / cdf[-1],
            window_start_s=int(_WINDOW_START.astype("datetime64[s]").astype(np.int64)),
            window_s=minutes * 60,
        )

    def on(self, problem: str) -> bool:
        return problem in self.problems

    def stream(self, block: int, purpose: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(block, purpose)))

    def arrivals(self, q: np.ndarray) -> np.ndarray:
        """Local arrival seconds at cumulative share q (piecewise linear within a minute)."""
        cdf = self.arrival_cdf
        minute = np.minimum(np.searchsorted(cdf, q, side="right"), len(cdf) - 1)
        before = np.where(minute > 0, cdf[np.maximum(minute - 1, 0)], 0.0)
        within = np.clip((q - before) / (cdf[minute] - before), 0.0, 0.999999)
        return self.window_start_s + minute * 60 + (within * 60).astype(np.int64)


def _weekday(day: np.datetime64) -> int:
    # 1970-01-01 was a Thursday (weekday 3, Monday = 0)
    return int((day.astype("datetime64[D]").astype(np.int64) + 3) % 7)


def _pick(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Categorical draw per row: probs is (k,) or (n, k)."""
    cum = np.cumsum(probs, axis=-1)
    cum[..., -1] = 1.0
    if cum.ndim == 1:
        return np.searchsorted(cum, u, side="right").astype(np.int8)
    return (u[:, None] >= cum).sum(axis=1).astype(np.int8)


def _lognormal_s(
    median: np.ndarray | float, sigma: np.ndarray | float, z: np.ndarray
) -> np.ndarray:
    """Whole seconds, at least 1, of a log-normal with the given median."""
    value = np.asarray(median) * np.exp(np.asarray(sigma) * np.clip(z, -_Z_CLIP, _Z_CLIP))
    return np.maximum(1, np.rint(value)).astype(np.int64)


def _hash_unit(seed: int, values: np.ndarray) -> np.ndarray:
    """A uniform in [0, 1) per value (splitmix64), so a customer keeps one segment."""
    with np.errstate(over="ignore"):
        x = values.astype(np.uint64) + np.uint64((seed * 0x9E3779B97F4A7C15) % 2**64)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


@dataclass
class _Block:
    """One block of tickets: per-ticket facts and their events in log order."""

    first: int  # global index of the block's first ticket
    channel: np.ndarray
    ticket_type: np.ndarray
    priority: np.ndarray
    segment: np.ndarray
    customer: np.ndarray
    # events, sorted by ticket then time
    ticket: np.ndarray  # block-local ticket index
    act: np.ndarray
    team: np.ndarray
    resource: np.ndarray
    start: np.ndarray  # local seconds, -1 where the step has no service time
    complete: np.ndarray
    satisfaction: np.ndarray  # 0 where none
    # truth facts per ticket
    present: np.ndarray  # (tickets, slots)
    facts: dict[str, np.ndarray]


def _simulate_block(plan: _Plan, block: int) -> _Block:
    first = block * _BLOCK
    n = min(_BLOCK, plan.tickets - first)
    S = _SLOT

    attr = plan.stream(block, _S_ATTR).random((n, 5))
    u_arrival = plan.stream(block, _S_ARRIVAL).random(n)
    flow = plan.stream(block, _S_FLOW).random((n, 2))
    z_wait = plan.stream(block, _S_WAIT).standard_normal((n, _NSLOTS))
    z_dur = plan.stream(block, _S_DURATION).standard_normal((n, _NSLOTS))
    u_res = plan.stream(block, _S_RESOURCE).random((n, 9))
    u_sat = plan.stream(block, _S_SATISFACTION).random(n)
    z_bottleneck = plan.stream(block, _S_BOTTLENECK).standard_normal((n, len(_BOTTLENECKS)))
    u_rework = plan.stream(block, _S_REWORK).random((n, 2))
    u_pingpong = plan.stream(block, _S_PINGPONG).random((n, 2))
    u_breakpoint = plan.stream(block, _S_BREAKPOINT).random((n, 2))

    # Case attributes.
    channel = _pick(attr[:, 0], _CHANNEL_P)
    ticket_type = _pick(attr[:, 1], _TYPE_BY_CHANNEL[channel])
    customer = np.minimum((attr[:, 3] * plan.customers).astype(np.int64), plan.customers - 1)
    segment = _pick(_hash_unit(plan.seed, customer), _SEGMENT_P)
    big_customer = segment >= 2
    priority = _pick(attr[:, 2], _PRIORITY_BY_TYPE[big_customer.astype(np.int8), ticket_type])
    arrival = plan.arrivals((first + np.arange(n) + u_arrival) / plan.tickets)

    consult, fault, complaint = ticket_type == 0, ticket_type == 1, ticket_type == 2
    field_share = np.where(
        segment == 1, _RATES["field_share_of_household_faults"], _RATES["field_share_of_faults"]
    )
    field_path = fault & (attr[:, 4] < field_share)
    remote_path = fault & ~field_path
    escalate_factor = np.where(big_customer, _RATES["escalate_factor_enterprise_premium"], 1.0)
    chase_c = complaint & (flow[:, 0] < _RATES["chase_complaint"])
    chase_f = fault & (flow[:, 0] < _RATES["chase_fault"])
    escalate_c = complaint & (flow[:, 1] < _RATES["escalate_complaint"] * escalate_factor)
    escalate_f = fault & (flow[:, 1] < _RATES["escalate_fault"] * escalate_factor)

    # Problem selections ("would be affected"), drawn whether or not the problem is on.
    eligible = arrival <= plan.window_start_s + plan.window_s - _STALL_MIN_AGE_DAYS * 86400
    stall_would = (
        fault & eligible & (u_breakpoint[:, 0] < _RATES["stall_after_dispatch_of_eligible_faults"])
    )
    no_callback_would = (
        eligible
        & ~stall_would
        & (u_breakpoint[:, 1] < _RATES["never_called_back_of_eligible_tickets"])
    )
    pingpong_would = fault & (u_pingpong[:, 0] < _RATES["pingpong_of_faults"])
    bounce_twice_would = pingpong_would & (u_pingpong[:, 1] < _RATES["pingpong_second_bounce"])
    # Rework never goes to tickets that may stall before it, so its case set does not depend
    # on whether break points are switched on.
    rediagnose_would = (
        fault & ~stall_would & (u_rework[:, 0] < _RATES["rework_rediagnosis_of_faults"])
    )
    redispatch_would = (
        field_path & ~stall_would & (u_rework[:, 1] < _RATES["rework_redispatch_of_field_faults"])
    )
    pingpong = pingpong_would & plan.on("pingpong")
    bounce_twice = bounce_twice_would & plan.on("pingpong")
    rediagnose = rediagnose_would & plan.on("rework")
    redispatch = redispatch_would & plan.on("rework")

    present = np.zeros((n, _NSLOTS), dtype=bool)
    for key in ("intake", "classify", "sms", "resolve", "close", "callback", "archive"):
        present[:, S[key]] = True
    present[:, S["answer"]] = consult
    present[:, S["to_complaint"]] = complaint
    present[:, S["chase_c"]] = chase_c
    present[:, S["escalate_c"]] = escalate_c
    present[:, S["complaint"]] = complaint
    present[:, S["dispatch_bo"]] = fault
    present[:, S["return_fl_1"]] = pingpong
    present[:, S["dispatch_bo_2"]] = pingpong
    present[:, S["return_fl_2"]] = bounce_twice
    present[:, S["dispatch_bo_3"]] = bounce_twice
    present[:, S["diagnose"]] = fault
    present[:, S["diagnose_2"]] = rediagnose
    present[:, S["chase_f"]] = chase_f
    present[:, S["escalate_f"]] = escalate_f
    present[:, S["remote_fix"]] = remote_path
    present[:, S["dispatch_ft"]] = field_path
    present[:, S["dispatch_ft_2"]] = redispatch
    present[:, S["field_repair"]] = field_path
    if plan.on("breakpoint"):
        present[stall_would, S["diagnose"] :] = False
        present[no_callback_would, S["callback"] :] = False

    # Teams: fixed per slot, except resolution and closing by whoever handled the ticket.
    handler_team = np.select(
        [consult, complaint, remote_path, field_path],
        [_TEAM_KEYS.index(t) for t in ("fl", "cd", "bo", "ft")],
        default=_TEAM_KEYS.index("fl"),
    ).astype(np.int8)
    team = np.empty((n, _NSLOTS), dtype=np.int8)
    for i, (_key, _act, team_key, *_rest) in enumerate(_SLOTS):
        team[:, i] = handler_team if team_key == _HANDLER else _TEAM_KEYS.index(team_key)

    # Resources: agents drawn from their team's pool; a ticket keeps its agent within a phase.
    def agent(pool: str, u: np.ndarray) -> np.ndarray:
        size = plan.pool_sizes[pool]
        return plan.pool_offsets[pool] + np.minimum((u * size).astype(np.int64), size - 1)

    fl_agent = agent("fl", u_res[:, 0])
    cd_agent = agent("cd", u_res[:, 2])
    bo_return_agent = agent("bo", u_res[:, 3])
    bo_agent = agent("bo", u_res[:, 4])
    bo_size = plan.pool_sizes["bo"]
    other_bo = (
        bo_agent - plan.pool_offsets["bo"] + 1 + (u_res[:, 5] * (bo_size - 1)).astype(int)
    ) % bo_size
    bo_second_agent = np.where(bo_size > 1, plan.pool_offsets["bo"] + other_bo, bo_agent)
    bo_final_agent = np.where(rediagnose, bo_second_agent, bo_agent)
    ft_agent = agent("ft", u_res[:, 6])
    qc_agent = agent("qc", u_res[:, 7])
    automation = plan.on("automation")
    desk_agent = agent("desk", u_res[:, 1]) if automation else fl_agent
    clerk_agent = agent("clerk", u_res[:, 8]) if automation else qc_agent
    handler_agent = np.select(
        [consult, complaint, remote_path, field_path],
        [fl_agent, cd_agent, bo_final_agent, ft_agent],
        default=fl_agent,
    )
    resource = np.empty((n, _NSLOTS), dtype=np.int32)
    resource_of_slot = {
        "intake": fl_agent,
        "classify": desk_agent,
        "sms": desk_agent,
        "answer": fl_agent,
        "to_complaint": fl_agent,
        "chase_c": cd_agent,
        "escalate_c": cd_agent,
        "complaint": cd_agent,
        "dispatch_bo": fl_agent,
        "return_fl_1": bo_return_agent,
        "dispatch_bo_2": fl_agent,
        "return_fl_2": bo_return_agent,
        "dispatch_bo_3": fl_agent,
        "diagnose": bo_agent,
        "diagnose_2": bo_second_agent,
        "chase_f": bo_final_agent,
        "escalate_f": bo_final_agent,
        "remote_fix": bo_final_agent,
        "dispatch_ft": bo_final_agent,
        "dispatch_ft_2": bo_final_agent,
        "field_repair": ft_agent,
        "resolve": handler_agent,
        "close": handler_agent,
        "callback": qc_agent,
        "archive": clerk_agent,
    }
    for key, agents in resource_of_slot.items():
        resource[:, S[key]] = agents

    # Waiting and service times.
    wait = _lognormal_s(
        _SLOT_WAIT_MEDIAN[None, :] * _WAIT_FACTOR_BY_PRIORITY[priority][:, None],
        _SLOT_WAIT_SIGMA[None, :],
        z_wait,
    )
    wait[:, 0] = 0
    extra = np.zeros((n, len(_BOTTLENECKS)), dtype=np.int64)
    for j, (_source, _target, slot, median, sigma) in enumerate(_BOTTLENECKS):
        extra[:, j] = _lognormal_s(median, sigma, z_bottleneck[:, j])
        if plan.on("bottleneck"):
            wait[:, S[slot]] += extra[:, j]
    duration = np.zeros((n, _NSLOTS), dtype=np.int64)
    duration[:, S["intake"]] = _lognormal_s(
        _INTAKE_MEDIAN_BY_CHANNEL[channel], _DURATIONS["intake"][1], z_dur[:, S["intake"]]
    )
    for key in ("answer", "remote_fix", "close", "callback"):
        median, sigma = _DURATIONS[key]
        duration[:, S[key]] = _lognormal_s(median, sigma, z_dur[:, S[key]])
    for key, (on_profile, off_profile) in _AUTOMATION_DURATIONS.items():
        median, sigma = on_profile if automation else off_profile
        duration[:, S[key]] = _lognormal_s(median, sigma, z_dur[:, S[key]])
    for key, (on_profile, off_profile) in _JUDGEMENT_DURATIONS.items():
        median, sigma = on_profile if plan.on("judgement") else off_profile
        duration[:, S[key]] = _lognormal_s(median, sigma, z_dur[:, S[key]])

    start = np.full((n, _NSLOTS), -1, dtype=np.int64)
    complete = np.zeros((n, _NSLOTS), dtype=np.int64)
    previous_complete = np.zeros((n, _NSLOTS), dtype=np.int64)
    now = arrival.astype(np.int64)
    for s in range(_NSLOTS):
        begin = now + wait[:, s]
        done = begin + duration[:, s] if _SLOT_HAS_START[s] else begin
        previous_complete[:, s] = now
        if _SLOT_HAS_START[s]:
            start[:, s] = begin
        complete[:, s] = done
        now = np.where(present[:, s], done, now)

    # Satisfaction at the callback: a base score, one point off per thing that went wrong.
    slow = (complete[:, S["resolve"]] - arrival) > _SLOW_RESOLUTION_S
    penalty = (
        (pingpong | rediagnose | redispatch).astype(np.int8)
        + (chase_c | chase_f)
        + (escalate_c | escalate_f)
        + slow
    )
    score = np.maximum(1, _pick(u_sat, _SATISFACTION_P) + 1 - penalty).astype(np.int8)

    ticket, slot_of_row = np.nonzero(present)
    return _Block(
        first=first,
        channel=channel,
        ticket_type=ticket_type,
        priority=priority,
        segment=segment,
        customer=customer,
        ticket=ticket.astype(np.int32),
        act=_SLOT_ACTIVITY[slot_of_row],
        team=team[ticket, slot_of_row],
        resource=resource[ticket, slot_of_row],
        start=np.where(_SLOT_HAS_START[slot_of_row], start[ticket, slot_of_row], -1),
        complete=complete[ticket, slot_of_row],
        satisfaction=np.where(slot_of_row == S["callback"], score[ticket], 0).astype(np.int8),
        present=present,
        facts={
            "stall_would": stall_would,
            "no_callback_would": no_callback_would,
            "pingpong_would": pingpong_would,
            "bounce_twice_would": bounce_twice_would,
            "rediagnose_would": rediagnose_would,
            "redispatch_would": redispatch_would,
            "extra": extra,
            "previous_complete": previous_complete,
            "start": start,
            "complete": complete,
        },
    )


def _batches(
    plan: _Plan, truth: _TruthAccumulator, progress: Callable[[int, int], None] | None
) -> Iterator[list[_Block]]:
    """Blocks in ticket order, grouped into write batches of about `_BATCH_ROWS` rows."""
    pending: list[_Block] = []
    rows = 0
    blocks = -(-plan.tickets // _BLOCK)
    for b in range(blocks):
        block = _simulate_block(plan, b)
        truth.add(block)
        pending.append(block)
        rows += len(block.act)
        if rows >= _BATCH_ROWS or b == blocks - 1:
            yield pending
            if progress is not None:
                progress(min(plan.tickets, (b + 1) * _BLOCK), plan.tickets)
            pending, rows = [], 0


# --------------------------------------------------------------------------------------------
# Ground truth


class _TruthAccumulator:
    """Collects the ground truth block by block, exactly as the rows are written."""

    def __init__(self, plan: _Plan, labels: Labels) -> None:
        self.plan = plan
        self.lang = LABEL_LANGUAGES.index(labels)
        self.labels = labels
        self.tickets = 0
        self.events = 0
        self.last_event = -(2**62)
        self.by_type = np.zeros(3, dtype=np.int64)
        self.items: dict[str, _Item] = {}

    def item(self, name: str) -> _Item:
        return self.items.setdefault(name, _Item())

    def add(self, block: _Block) -> None:
        S = _SLOT
        n = len(block.channel)
        ids = block.first + np.arange(n)
        present = block.present
        facts = block.facts
        self.tickets += n
        self.events += len(block.act)
        self.last_event = max(self.last_event, int(block.complete.max()))
        self.by_type += np.bincount(block.ticket_type, minlength=3)

        for j, (_source, _target, slot, _median, _sigma) in enumerate(_BOTTLENECKS):
            s = S[slot]
            hit = present[:, s]
            item = self.item(f"bottleneck:{j}")
            item.add_cases(ids[hit])
            observed = facts["start"][hit, s] - facts["previous_complete"][hit, s]
            item.sum_a += float(observed.sum())
            if self.plan.on("bottleneck"):
                item.sum_b += float(facts["extra"][hit, j].sum())
        self.item("affected:bottleneck").add_cases(
            ids[present[:, S["diagnose"]] | present[:, S["field_repair"]]]
        )

        self.item("rework:diagnose").add_cases(ids[present[:, S["diagnose_2"]]])
        self.item("rework:dispatch_ft").add_cases(ids[present[:, S["dispatch_ft_2"]]])
        self.item("affected:rework").add_cases(
            ids[facts["rediagnose_would"] | facts["redispatch_would"]]
        )

        pingpong = present[:, S["return_fl_1"]]
        self.item("pingpong").add_cases(ids[pingpong])
        self.item("pingpong:twice").add_cases(ids[present[:, S["return_fl_2"]]])
        self.item("affected:pingpong").add_cases(ids[facts["pingpong_would"]])

        last_slot = _NSLOTS - 1 - np.argmax(present[:, ::-1], axis=1)
        last_complete = facts["complete"][np.arange(n), last_slot]
        dispatch_slots = [S["dispatch_bo"], S["dispatch_bo_2"], S["dispatch_bo_3"]]
        for key, last_slots in (("dispatch_bo", dispatch_slots), ("close", [S["close"]])):
            stalled = np.isin(last_slot, last_slots)
            item = self.item(f"breakpoint:{key}")
            item.add_cases(ids[stalled])
            if stalled.any():
                item.max_last = max(item.max_last, int(last_complete[stalled].max()))
        self.item("affected:breakpoint").add_cases(
            ids[facts["stall_would"] | facts["no_callback_would"]]
        )

        automation_slots = [S[k] for k in _AUTOMATION_ACTIVITIES]
        judgement_slots = [S[k] for k in ("diagnose", "diagnose_2", "complaint", "field_repair")]
        self.item("affected:automation").add_cases(ids[present[:, automation_slots].any(axis=1)])
        self.item("affected:judgement").add_cases(ids[present[:, judgement_slots].any(axis=1)])

    def finish(
        self,
        *,
        log_name: str,
        fmt: str,
        events_requested: int | None,
        tickets_requested: int | None,
        switched_off: frozenset[str],
    ) -> dict[str, Any]:
        plan = self.plan
        act = self._activity
        team = self._team
        as_of = self.last_event

        bottleneck_edges = []
        if plan.on("bottleneck"):
            for j, (source, target, _slot, median, sigma) in enumerate(_BOTTLENECKS):
                item = self.item(f"bottleneck:{j}")
                if not item.count:
                    continue
                bottleneck_edges.append(
                    {
                        "source": act(source),
                        "target": act(target),
                        "extra_wait_s": _mean(item.sum_b, item.count),
                        "mean_wait_s": _mean(item.sum_a, item.count),
                        "baseline_mean_wait_s": _mean(item.sum_a - item.sum_b, item.count),
                        "extra_wait_median_s": median,
                        "extra_wait_sigma": sigma,
                        "traversals": item.count,
                        "cases": item.count,
                        "case_ids": item.id_list(self.tickets),
                    }
                )
        rework_activities = []
        if plan.on("rework"):
            for key, what in (
                ("diagnose", "re-diagnosis: the fault is diagnosed a second time (self-loop)"),
                ("dispatch_ft", "re-dispatch: the field job is dispatched again (self-loop)"),
            ):
                item = self.item(f"rework:{key}")
                if not item.count:
                    continue
                rework_activities.append(
                    {
                        "activity": act(key),
                        "cases": item.count,
                        "repetitions": item.count,
                        "self_loops": item.count,
                        "what": what,
                        "case_ids": item.id_list(self.tickets),
                    }
                )
        pingpong = self.item("pingpong")
        twice = self.item("pingpong:twice")
        pingpong_pairs, pingpong_teams = [], []
        if plan.on("pingpong") and pingpong.count:
            pingpong_pairs.append(
                {
                    "activities": [act("dispatch_bo"), act("return_fl")],
                    "cases": pingpong.count,
                    "cases_bouncing_twice": twice.count,
                    "case_ids": pingpong.id_list(self.tickets),
                }
            )
            pingpong_teams.append(
                {
                    "teams": [team("fl"), team("bo")],
                    "cases": pingpong.count,
                    "cases_bouncing_twice": twice.count,
                    "case_ids": pingpong.id_list(self.tickets),
                }
            )
        breakpoints = []
        if plan.on("breakpoint"):
            for key, what in (
                ("dispatch_bo", "stalled after the dispatch to the back office"),
                ("close", "closed but never called back (no callback, not archived)"),
            ):
                item = self.item(f"breakpoint:{key}")
                if not item.count:
                    continue
                breakpoints.append(
                    {
                        "activity": act(key),
                        "stalled_cases": item.count,
                        "what": what,
                        "min_idle_s": as_of - item.max_last,
                        "case_ids": item.id_list(self.tickets),
                    }
                )

        repeated = []
        if plan.on("pingpong") and pingpong.count:
            repeated.append(
                {
                    "activity": act("dispatch_bo"),
                    "cases": pingpong.count,
                    "cause": "pingpong",
                    "pattern": "A-B-A (dispatch, return, dispatch)",
                }
            )
        if plan.on("pingpong") and twice.count:
            repeated.append(
                {
                    "activity": act("return_fl"),
                    "cases": twice.count,
                    "cause": "pingpong",
                    "pattern": "A-B-A-B-A (bouncing twice repeats the return as well)",
                }
            )
        for entry in rework_activities:
            repeated.append(
                {
                    "activity": entry["activity"],
                    "cases": entry["cases"],
                    "cause": "rework",
                    "pattern": "A-A (self-loop)",
                }
            )

        how_to_tell = {
            "bottleneck": "tickets traversing a bottleneck edge (every traversal is delayed)",
            "rework": "fault tickets selected for re-diagnosis or re-dispatch (with rework on, "
            "exactly the tickets repeating those activities)",
            "pingpong": "fault tickets selected for ping-pong (with it on, exactly the tickets "
            "with the A-B-A pattern)",
            "breakpoint": "tickets selected to stall (with it on, exactly the tickets whose last "
            "activity is not the end activity)",
            "automation": "every ticket with an automation-friendly activity (timing and "
            "resources of those steps change)",
            "judgement": "every ticket with a judgement-heavy activity (timing of those steps "
            "changes)",
        }
        affected = {}
        for problem in PROBLEMS:
            item = self.item(f"affected:{problem}")
            bulky = problem in ("automation", "judgement")
            affected[problem] = {
                "injected": plan.on(problem),
                "count": item.count,
                "case_ids": None if bulky else item.id_list(self.tickets),
                "how_to_tell": how_to_tell[problem],
            }

        off = sorted(switched_off)
        return {
            "generator": "servflow.samplegen",
            "truth_version": 1,
            "seed": plan.seed,
            "labels": self.labels,
            "log": {"file": log_name, "format": fmt, "columns": list(COLUMNS)},
            "timezone": "+08:00",
            "as_of": _iso(as_of),
            "as_of_is": "the log's last event (completion timestamp)",
            "counts": {
                "tickets": self.tickets,
                "events": self.events,
                "tickets_by_type": {
                    _TYPE_LABELS[i][self.lang]: int(self.by_type[i]) for i in range(3)
                },
            },
            "start_activities": [act("intake")],
            "end_activities": [act("archive")],
            "problems_injected": [p for p in PROBLEMS if plan.on(p)],
            "switched_off": None if not off else off[0] if len(off) == 1 else off,
            "bottleneck_edges": bottleneck_edges,
            "rework_activities": rework_activities,
            "pingpong_pairs": pingpong_pairs,
            "pingpong_teams": pingpong_teams,
            "breakpoints": breakpoints,
            "automation_friendly": [act(k) for k in _AUTOMATION_ACTIVITIES]
            if plan.on("automation")
            else [],
            "judgement_heavy": [act(k) for k in _JUDGEMENT_ACTIVITIES]
            if plan.on("judgement")
            else [],
            "repeated_activities": repeated,
            "affected_tickets": affected,
            "parameters": self._parameters(events_requested, tickets_requested),
            "notes": _TRUTH_NOTES,
        }

    def _activity(self, key: str) -> str:
        return _ACTIVITY_LABELS[key][self.lang]

    def _team(self, key: str) -> str:
        return _TEAM_LABELS[key][self.lang]

    def _parameters(
        self, events_requested: int | None, tickets_requested: int | None
    ) -> dict[str, Any]:
        plan = self.plan
        return {
            "events_requested": events_requested,
            "tickets_requested": tickets_requested,
            "tickets": plan.tickets,
            "window_start": _iso(plan.window_start_s),
            "window_days": _WINDOW_DAYS,
            "stall_min_age_days": _STALL_MIN_AGE_DAYS,
            "slow_resolution_s": _SLOW_RESOLUTION_S,
            "rates": dict(_RATES),
            "pool_sizes": dict(plan.pool_sizes),
            "customers": plan.customers,
            "random_block_tickets": _BLOCK,
        }


_TRUTH_NOTES = {
    "waiting_time": "wait of an edge a->b = b's start_timestamp (or its timestamp where b has "
    "no start) minus a's timestamp",
    "automation_and_judgement": "classify work steps only (rows with a start_timestamp); "
    "instant events (dispatch, return, chase, escalation, resolution) have no service time",
    "repeats": "ping-pong cases repeat the dispatch to the back office as A-B-A (a longer "
    "loop); injected rework is self-loops only; repeated_activities lists every activity "
    "that occurs more than once in a case, with its cause",
    "affected_tickets": "tickets whose rows change when that problem is switched off with the "
    "same seed",
    "case_ids": "listed for logs of up to 10,000 tickets, null above (use counts and the "
    "how_to_tell rules)",
}


@dataclass
class _Item:
    count: int = 0
    ids: list[int] = field(default_factory=list)
    sum_a: float = 0.0
    sum_b: float = 0.0
    max_last: int = -(2**62)

    def add_cases(self, ticket_numbers: np.ndarray) -> None:
        self.count += len(ticket_numbers)
        if len(self.ids) <= _IDS_LIMIT:
            self.ids.extend(int(t) for t in ticket_numbers[: _IDS_LIMIT + 1 - len(self.ids)])

    def id_list(self, tickets: int) -> list[str] | None:
        if tickets > _IDS_LIMIT:
            return None
        return [_ticket_id(t) for t in self.ids]


def _mean(total: float, count: int) -> float | None:
    return round(total / count, 1) if count else None


def _ticket_id(number: int) -> str:
    return f"GD{number + 1:08d}"


def _iso(local_seconds: int) -> str:
    return str(np.datetime64(local_seconds, "s")) + "+08:00"


# --------------------------------------------------------------------------------------------
# Writing


def _label_array(codes: np.ndarray, labels: Sequence[str]) -> pa.Array:
    import pyarrow as pa

    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32)), pa.array(list(labels), pa.string())
    )


def _ascii_array(buffer: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A string array from an (n, width) uint8 matrix of ASCII characters."""
    import pyarrow as pa

    n, width = buffer.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    validity = None
    null_count = 0
    if valid is not None:
        validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
        null_count = int(n - valid.sum())
    return pa.Array.from_buffers(
        pa.string(),
        n,
        [validity, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(buffer))],
        null_count=null_count,
    )


def _put_digits(buffer: np.ndarray, column: int, values: np.ndarray, width: int) -> None:
    v = values.astype(np.int64)
    for k in range(width - 1, -1, -1):
        buffer[:, column + k] = 48 + v % 10
        v = v // 10


def _prefixed_numbers(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    head = prefix.encode("ascii")
    buffer = np.empty((len(numbers), len(head) + width), dtype=np.uint8)
    buffer[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    _put_digits(buffer, len(head), numbers, width)
    return _ascii_array(buffer)


def _iso_strings(local_seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """ISO 8601 with +08:00 for local seconds since the epoch, written digit by digit."""
    secs = np.where(local_seconds < 0, 0, local_seconds)
    day = (secs // 86400).astype("datetime64[D]")
    month_start = day.astype("datetime64[M]")
    year = day.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    mday = (day - month_start).astype(np.int64) + 1
    sod = secs % 86400
    buffer = np.empty((len(secs), 25), dtype=np.uint8)
    buffer[:] = np.frombuffer(b"0000-00-00T00:00:00+08:00", dtype=np.uint8)
    _put_digits(buffer, 0, year, 4)
    _put_digits(buffer, 5, month, 2)
    _put_digits(buffer, 8, mday, 2)
    _put_digits(buffer, 11, sod // 3600, 2)
    _put_digits(buffer, 14, sod // 60 % 60, 2)
    _put_digits(buffer, 17, sod % 60, 2)
    return _ascii_array(buffer, valid)


def _resource_labels(plan: _Plan, lang: int) -> list[str]:
    labels: list[str] = []
    for key, _team, zh, en, digits in _POOLS:
        prefix = (zh, en)[lang]
        labels.extend(f"{prefix}{k + 1:0{digits}d}" for k in range(plan.pool_sizes[key]))
    return labels


def _batch_columns(blocks: list[_Block], lang: int, resources: list[str], csv: bool) -> dict:
    import pyarrow as pa

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(b, name) for b in blocks])

    ticket_local = [b.ticket for b in blocks]
    row_ticket = np.concatenate([b.first + t for b, t in zip(blocks, ticket_local, strict=True)])

    def per_row(name: str) -> np.ndarray:
        return np.concatenate(
            [getattr(b, name)[t] for b, t in zip(blocks, ticket_local, strict=True)]
        )

    start = cat("start")
    complete = cat("complete")
    has_start = start >= 0
    satisfaction = cat("satisfaction")
    if csv:
        timestamp: pa.Array = _iso_strings(complete)
        start_timestamp: pa.Array = _iso_strings(start, has_start)
    else:
        tz_type = pa.timestamp("ms", tz="+08:00")
        timestamp = pa.array((complete - _TZ_OFFSET_S) * 1000, tz_type)
        start_timestamp = pa.array((start - _TZ_OFFSET_S) * 1000, tz_type, mask=~has_start)
    customer_number = (per_row("customer") * 48271 + 20240401) % 100_000_000
    columns = {
        "ticket_id": _prefixed_numbers("GD", row_ticket + 1, 8),
        "activity": _label_array(cat("act"), [v[lang] for v in _ACTIVITY_LABELS.values()]),
        "timestamp": timestamp,
        "start_timestamp": start_timestamp,
        "resource": _label_array(cat("resource"), resources),
        "team": _label_array(cat("team"), [v[lang] for v in _TEAM_LABELS.values()]),
        "channel": _label_array(per_row("channel"), [v[lang] for v in _CHANNEL_LABELS]),
        "ticket_type": _label_array(per_row("ticket_type"), [v[lang] for v in _TYPE_LABELS]),
        "priority": _label_array(per_row("priority"), [v[lang] for v in _PRIORITY_LABELS]),
        "customer_segment": _label_array(per_row("segment"), [v[lang] for v in _SEGMENT_LABELS]),
        "customer_id": _prefixed_numbers("C", customer_number, 8),
        "satisfaction": pa.array(satisfaction, pa.int8(), mask=satisfaction == 0),
    }
    if not csv:
        columns = {
            k: v.dictionary_decode() if isinstance(v, pa.DictionaryArray) else v
            for k, v in columns.items()
        }
    return columns


def _write_csv(out: Path, batches: Iterator[list[_Block]], lang: int, resources: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    writer = None
    with out.open("wb") as sink:
        # pyarrow quotes header names; write a plain header and unquoted values (labels are
        # checked by pyarrow to hold no comma, quote or line break).
        sink.write((",".join(COLUMNS) + "\n").encode("utf-8"))
        for blocks in batches:
            table = pa.table(_batch_columns(blocks, lang, resources, csv=True))
            if writer is None:
                options = pacsv.WriteOptions(include_header=False, quoting_style="none")
                writer = pacsv.CSVWriter(sink, table.schema, write_options=options)
            writer.write_table(table)
        if writer is not None:
            writer.close()


def _write_parquet(
    out: Path, batches: Iterator[list[_Block]], lang: int, resources: list[str]
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    try:
        for blocks in batches:
            table = pa.table(_batch_columns(blocks, lang, resources, csv=False))
            if writer is None:
                writer = pq.ParquetWriter(out, table.schema, compression="zstd")
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


if __name__ == "__main__":
    sys.exit(main())
