"""Optimization: automation and restructuring candidates ranked from a stored mining run, and
what-if estimates that replay the real cases with a change applied.

The result types live in `optimization.model` and are importable from here; the computing
functions (`find_candidates`, `candidates_for_run`, `estimate_whatif`) are loaded from their
modules on first use, so importing this package stays light.

```python
from optimization import candidates_for_run, estimate_whatif, find_candidates
found = candidates_for_run(con, run_id)          # stored with the mining run; None if absent
found = find_candidates(con, run_id, options)    # computed from the stored run
result = estimate_whatif(con, run_id, "R01", seed=0)
```
"""

from typing import TYPE_CHECKING, Any

from optimization.model import (
    AlreadyAutomated,
    AutomationCandidate,
    CandidateOptions,
    CandidateSet,
    Change,
    Criterion,
    Evidence,
    RestructuringCandidate,
    Stats,
    TimeLimitRule,
    Weights,
    WhatIfResult,
)

if TYPE_CHECKING:
    from optimization.candidates import candidates_for_run, find_candidates
    from optimization.whatif import estimate_whatif

_LAZY = {
    "candidates_for_run": "optimization.candidates",
    "find_candidates": "optimization.candidates",
    "estimate_whatif": "optimization.whatif",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'optimization' has no attribute {name!r}")


__all__ = [
    "AlreadyAutomated",
    "AutomationCandidate",
    "CandidateOptions",
    "CandidateSet",
    "Change",
    "Criterion",
    "Evidence",
    "RestructuringCandidate",
    "Stats",
    "TimeLimitRule",
    "Weights",
    "WhatIfResult",
    "candidates_for_run",
    "estimate_whatif",
    "find_candidates",
]
