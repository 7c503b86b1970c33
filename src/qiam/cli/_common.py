"""Helpers shared by the subcommands: reading policy files, printing errors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from qiam.errors import QiamError

EXIT_YES, EXIT_NO, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A command line that cannot be carried out (exit code 2)."""


def read_policy_arg(value: str, library: Any = None) -> tuple[str, Any]:
    """A policy named on the command line: inline JSON, a library name, or a file.

    Returns (name, document) where document is text, or a compiled library policy key.
    """
    if value.lstrip().startswith("{"):
        return "<inline>", value
    if library is not None and value in library:
        return value, ("library", value)
    path = Path(value)
    try:
        return value, path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read policy {value}: {exc.strerror or exc}") from None


def print_error(exc: QiamError, stream: TextIO | None = None) -> None:
    """One line for the error, and its hint on the next."""
    stream = stream or sys.stderr
    print(f"error: {exc} [{exc.code}]", file=stream)
    if exc.hint:
        print(f"  hint: {exc.hint}", file=stream)
