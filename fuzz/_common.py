"""What the fuzz targets share: loading qiam under atheris's instrumentation, the engines, and findings.

Not a target itself. Each target imports it before ``atheris.instrument_imports()`` and calls
``import_qiam()`` inside that block, so that every module of qiam (also those qiam imports only when
first needed) is instrumented and gives the fuzzer coverage.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any

# The command line and ``python -m qiam`` are not library code the targets reach.
_SKIPPED = ("qiam.__main__", "qiam.cli")


class Finding(AssertionError):
    """A broken rule of the target (two paths disagree, an uncoded failure): atheris reports it as a crash."""


def import_qiam() -> None:
    """Import every module of qiam but the command line (call it inside ``atheris.instrument_imports``)."""
    import qiam

    for info in pkgutil.walk_packages(qiam.__path__, "qiam."):
        if not info.name.startswith(_SKIPPED):
            importlib.import_module(info.name)


def engines() -> tuple[str, ...]:
    """The engines this build has: ``cython`` (when the compiled cores are built) and ``python``."""
    from qiam._impl import EngineError, engine

    found = []
    for name in ("cython", "python"):
        try:
            engine(name)
        except EngineError:
            print(f"fuzz: the {name} engine is not available; the twins are not compared", file=sys.stderr)
            continue
        found.append(name)
    return tuple(found)


def full_compiler() -> Any:
    """The reference compiler class: every policy validated whole, then compiled (no document reader)."""
    from qiam.compile import Compiler

    class FullCompiler(Compiler):
        __slots__ = ()
        _front_end = False

    return FullCompiler


def error_outcome(exc: Any) -> tuple[Any, ...]:
    """A coded error as compared between paths: its class, code and where it points."""
    found = exc.to_dict()  # rendering an error must work for every error
    str(exc)
    return ("error", type(exc).__name__, exc.code, found.get("path"), found.get("line"), found.get("column"))


def agree(what: str, outcomes: dict[str, Any]) -> None:
    """Raise a Finding unless every path gave the same outcome."""
    values = list(outcomes.values())
    if any(value != values[0] for value in values[1:]):
        lines = "\n".join(f"  {name}: {value!r}" for name, value in outcomes.items())
        raise Finding(f"{what}: the paths disagree\n{lines}")
