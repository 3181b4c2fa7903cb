"""Optimization: automation and restructuring candidates ranked from a stored mining run, and
what-if estimates that replay the real cases with a change applied.

The result types live in `optimization.model` and are importable from here; the computing
functions live in their modules and are imported where used, so importing this package stays
light.
"""

from optimization.model import (
    AlreadyAutomated,
    AutomationCandidate,
    CandidateOptions,
    CandidateSet,
    Criterion,
    Evidence,
    RestructuringCandidate,
    Stats,
    TimeLimitRule,
    Weights,
    WhatIfResult,
)

__all__ = [
    "AlreadyAutomated",
    "AutomationCandidate",
    "CandidateOptions",
    "CandidateSet",
    "Criterion",
    "Evidence",
    "RestructuringCandidate",
    "Stats",
    "TimeLimitRule",
    "Weights",
    "WhatIfResult",
]
