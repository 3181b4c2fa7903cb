"""pm4py's modules run when they are first used, not when they are imported.

`import pm4py` (or of any of its modules) runs pm4py's package `__init__`, which imports every
algorithm and with them pandas, scipy, matplotlib, graphviz and lxml: 1.5-3 s of CPU, more than
the discovery and alignments `servflow mine` asks of it. `defer_imports()` lets a process that
has not imported pm4py yet load its modules on demand instead: from then on, importing a pm4py
module creates it without running its code, and the code runs, once and in full, when one of its
attributes is first read (a package's submodules are imported without running the package's own
`__init__`). Whatever is used runs exactly the code a plain import would have run, so results
are the same; modules that are imported but never used (the visualizations with matplotlib and
graphviz, the readers and writers, most of the front layer) are never run.

Only a process that uses pm4py from one thread at a time should defer its imports (`servflow
mine` does, at its start): a module another thread is still running looks unfinished, as it does
during a plain import, but without the import system's lock to wait on. Code that uses pm4py wraps
the work in `run_deferred()`: should it fail in a way a plain import might not have (an
ImportError or AttributeError), every deferred module is run in full and the work is done once
more.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
import types
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = ["complete_all", "defer_imports", "is_deferred", "run_deferred"]

T = TypeVar("T")

_PACKAGE = "pm4py"
_lock = threading.RLock()
# module name -> the loader that runs its code, for the modules not run yet
_pending: dict[str, importlib.abc.Loader] = {}


def defer_imports() -> bool:
    """Load pm4py's modules on demand in this process from now on. False (and nothing changes)
    when a pm4py module is imported already, or when pm4py is not installed."""
    with _lock:
        if _active():
            return True
        if any(m == _PACKAGE or m.startswith(_PACKAGE + ".") for m in sys.modules):
            return False
        if importlib.machinery.PathFinder.find_spec(_PACKAGE) is None:
            return False
        sys.meta_path.insert(0, _DeferringFinder())
        return True


def is_deferred(module: types.ModuleType) -> bool:
    """True while `module` was imported on demand and its code has not run yet."""
    return isinstance(module, _DeferredModule)


def complete_all() -> None:
    """Run every pm4py module imported so far whose code has not run yet."""
    while True:
        with _lock:
            waiting = [sys.modules[n] for n in list(_pending) if n in sys.modules]
            if not waiting:
                return
        for module in waiting:
            _complete(module)


def run_deferred(work: Callable[[], T]) -> T:
    """`work()`; if it raises an ImportError or AttributeError while pm4py's modules load on
    demand in this process, every pm4py module imported so far is run in full and `work()` runs
    once more (what a plain import would have given it)."""
    try:
        return work()
    except (ImportError, AttributeError):
        if not _active():
            raise
        complete_all()
        return work()


def _active() -> bool:
    return any(isinstance(f, _DeferringFinder) for f in sys.meta_path)


class _DeferredModule(types.ModuleType):
    """A pm4py module whose code has not run: reading an attribute it lacks runs it (for a
    package, reading a submodule's name imports that submodule instead)."""

    def __getattr__(self, attr: str) -> Any:
        name = self.__name__
        if attr == "__path__":
            raise AttributeError(attr)  # the import system asks plain modules for it
        path = self.__dict__.get("__path__")
        submodule = f"{name}.{attr}"
        if (
            path is not None
            and not attr.startswith("__")
            and importlib.machinery.PathFinder.find_spec(submodule, path) is not None
        ):
            return importlib.import_module(submodule)
        _complete(self)  # waits while another thread runs it
        try:
            return types.ModuleType.__getattribute__(self, attr)
        except AttributeError:
            # not there, or the module is still running in this thread (an import cycle)
            raise AttributeError(f"module {name!r} has no attribute {attr!r}") from None


def _complete(module: types.ModuleType) -> None:
    """Run `module`'s code now, unless it has run or is running."""
    with _lock:
        loader = _pending.pop(module.__name__, None)
        if loader is None:
            return
        # from here on it is a plain module with its own loader, as during a plain import
        module.__class__ = types.ModuleType
        module.__loader__ = loader
        if module.__spec__ is not None:
            module.__spec__.loader = loader
        loader.exec_module(module)


class _DeferringLoader(importlib.abc.Loader):
    def __init__(self, real: importlib.abc.Loader) -> None:
        self.real = real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _DeferredModule(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        with _lock:
            _pending[module.__name__] = self.real


class _DeferringFinder(importlib.abc.MetaPathFinder):
    """Finds pm4py's modules as the path finder does and gives them a deferring loader."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _PACKAGE and not fullname.startswith(_PACKAGE + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        plain = (importlib.machinery.SourceFileLoader, importlib.machinery.SourcelessFileLoader)
        if spec is None or not isinstance(spec.loader, plain):
            return spec  # compiled extensions and the like load as usual
        spec.loader = _DeferringLoader(spec.loader)
        return spec
