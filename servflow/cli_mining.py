"""Mining commands of the CLI (`servflow mine`, `servflow report`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

__all__ = ["add_commands"]


def add_commands(sub: Any, db_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register the mining subcommands on the `servflow` parser."""
