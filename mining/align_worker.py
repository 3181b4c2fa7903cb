"""Child process of `mining.conformance`: discover a model and align variants with pm4py.

    python -m mining.align_worker < job.pickle > answer.pickle

The parent (`start_conformance`, when it isolates the work) writes a pickled `_AlignJob` to
standard input and reads a pickled `("ok", _Aligned)` or `("input_error", message)` from
standard output; anything else goes wrong with a traceback on standard error and a non-zero
exit status. Whatever pm4py prints goes to standard error, never into the answer.

pm4py's package imports its whole front layer when any part of it is imported (pandas,
matplotlib, graphviz, every algorithm): about 1.8 s of CPU, most of this process's work. The
worker loads only the modules discovery and alignment use: each pm4py package is first put in
`sys.modules` as a stand-in that imports a submodule when it is first asked for, so a package's
own `__init__` (which imports all its siblings) never runs. The same modules run the same code,
so the answer is the one the whole package gives; should a pm4py release lay out its modules so
that a stand-in misses something, the work is done again with the whole package imported.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pickle
import sys
import types
from typing import Any

# pm4py's front-layer functions that discovery and alignment call, and their modules
_FRONT = {
    "convert_to_petri_net": "pm4py.convert",
    "convert_to_bpmn": "pm4py.convert",
    "conformance_diagnostics_alignments": "pm4py.conformance",
}


def _stand_in(name: str, folder: str) -> types.ModuleType:
    """A package module for `name` that imports `name.<attr>` when `attr` is first read."""
    package = types.ModuleType(name)
    package.__path__ = [folder]
    package.__package__ = name

    def __getattr__(attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        if name == "pm4py" and attr in _FRONT:
            return getattr(importlib.import_module(_FRONT[attr]), attr)
        try:
            return importlib.import_module(f"{name}.{attr}")
        except ModuleNotFoundError as exc:
            raise AttributeError(f"module {name!r} has no attribute {attr!r}") from exc

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    return package


def load_pm4py_lazily() -> bool:
    """Put stand-ins for pm4py's packages in `sys.modules` (False: pm4py is imported already,
    or not found)."""
    if any(m == "pm4py" or m.startswith("pm4py.") for m in sys.modules):
        return False
    spec = importlib.util.find_spec("pm4py")
    if spec is None or not spec.submodule_search_locations:
        return False
    root = spec.submodule_search_locations[0]
    parent = os.path.dirname(root)
    for folder, _dirs, files in os.walk(root):
        if "__init__.py" in files:
            name = os.path.relpath(folder, parent).replace(os.sep, ".")
            sys.modules[name] = _stand_in(name, folder)
    return True


def unload_pm4py() -> None:
    """Forget every pm4py module and stand-in, so that the next import is the whole package."""
    for name in [m for m in sys.modules if m == "pm4py" or m.startswith("pm4py.")]:
        del sys.modules[name]


def main() -> int:
    from mining.conformance import _align, _AlignJob
    from mining.errors import InputError

    answer = sys.stdout.buffer
    sys.stdout = sys.stderr  # keep the answer stream clean of anything printed
    job = pickle.loads(sys.stdin.buffer.read())
    if not isinstance(job, _AlignJob):
        name = type(job).__name__
        print(f"mining.align_worker: expected an _AlignJob, got {name}", file=sys.stderr)
        return 2
    result: tuple[str, object]
    try:
        lazily = load_pm4py_lazily()
        try:
            result = ("ok", _align(None, job))
        except (ImportError, AttributeError):
            if not lazily:
                raise
            unload_pm4py()
            result = ("ok", _align(None, job))
    except InputError as exc:
        result = ("input_error", str(exc))
    pickle.dump(result, answer, protocol=pickle.HIGHEST_PROTOCOL)
    answer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
