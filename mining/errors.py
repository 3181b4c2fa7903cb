"""Exceptions servflow raises, each with a message a user can act on.

The CLI turns every `ServflowError` into a one-paragraph message and exit status 2;
anything else is a bug.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "HostileInputError",
    "InputError",
    "QualityGateError",
    "ServflowError",
    "StorageError",
    "UnknownLogError",
]


class ServflowError(Exception):
    """Base class: the message is written for the person running servflow."""


class InputError(ServflowError):
    """The input (a file, a column, an option) cannot be used as given."""


class HostileInputError(InputError):
    """The input tries something an event log never needs (DTDs, entities, size bombs)."""


class QualityGateError(InputError):
    """A load's data-quality findings reached the configured failure severity.

    `findings` holds the load's findings (`mining.quality.QualityFinding`) and
    `rejected_examples` its first rejected rows (`{"row": n, "reason": ...}`), so a caller can
    show what stopped the load.
    """

    def __init__(
        self,
        message: str,
        findings: tuple[Any, ...] = (),
        rejected_examples: tuple[dict[str, Any], ...] = (),
    ) -> None:
        super().__init__(message)
        self.findings = tuple(findings)
        self.rejected_examples = tuple(rejected_examples)


class UnknownLogError(InputError):
    """No log of that name is stored in the database."""


class StorageError(ServflowError):
    """The DuckDB file cannot be opened, read or written."""
