"""The engines: the compiled cores (matchers, decision kernel, document reader) or their pure-Python twins.

An ``Engine`` names the three modules it is made of. ``QIAM_IMPLEMENTATION``
(read once, at import) picks the default: ``auto`` (compiled if importable),
``cython`` (compiled, or no default engine) or ``python`` (the twins). Code
that builds compiled objects asks ``current()``, which is the default unless a
caller chose another for a block of work with ``using(engine)`` (a context
variable: per thread and per task, never a module global that code swaps).
The tests run every example suite once per engine this way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

from qiam._choice import ENGINE_NAMES, candidates, modules, unknown_choice
from qiam.errors import QiamError

__all__ = ["ENGINE_NAMES", "Engine", "EngineError", "current", "default", "engine", "using"]



class EngineError(QiamError, ImportError):
    """An engine that cannot be had: a bad ``QIAM_IMPLEMENTATION``, or the compiled cores not built."""

    default_code = "unknown-engine"


@dataclass(frozen=True, slots=True)
class Engine:
    """One implementation of the cores: ``match`` (the matchers), ``decide`` (the decision kernel) and
    ``front`` (the compiler's statement loop and document reader)."""

    name: str
    match: ModuleType
    decide: ModuleType
    front: ModuleType

    def __repr__(self) -> str:
        return f"Engine({self.name!r})"


_ENGINES: dict[str, Engine] = {}


def engine(name: str) -> Engine:
    """The engine ``cython`` or ``python``; raises EngineError if it cannot be loaded."""
    found = _ENGINES.get(name)
    if found is None:
        if name not in ENGINE_NAMES:
            raise EngineError(f"there is no engine `{name}`", hint=f"engines: {', '.join(ENGINE_NAMES)}")
        match, decide, front = modules(name)
        try:
            found = Engine(name, import_module(f"qiam.{match}"), import_module(f"qiam.{decide}"),
                           import_module(f"qiam.{front}"))
        except ImportError as exc:
            raise EngineError(f"the compiled cores are not built ({exc})", code="engine-not-built",
                              hint="reinstall qiam, or set QIAM_IMPLEMENTATION=python") from None
        _ENGINES[name] = found
    return found


_DEFAULT: list[Engine] = []  # the default engine, made when first asked for


def default() -> Engine:
    """The engine ``QIAM_IMPLEMENTATION`` picks; raises EngineError for a bad value or a missing build.

    Made when first asked for, so that a command can report a bad setting as an
    error of its own rather than fail at import.
    """
    if not _DEFAULT:
        choice = unknown_choice()
        if choice is not None:
            raise EngineError(choice, hint="unset it, or set it to one of those")
        *preferred, last = candidates()
        for name in preferred:
            try:
                found = engine(name)
                break
            except EngineError:
                continue
        else:
            found = engine(last)
        _DEFAULT.append(found)
    return _DEFAULT[0]


_current: ContextVar[Engine | None] = ContextVar("qiam_engine", default=None)


def current() -> Engine:
    """The engine in use here: the default, or the one ``using`` chose."""
    return _current.get() or default()


@contextmanager
def using(chosen: Engine | str) -> Iterator[Engine]:
    """Build with ``chosen`` (an Engine or its name) inside the block."""
    found = chosen if isinstance(chosen, Engine) else engine(chosen)
    token = _current.set(found)
    try:
        yield found
    finally:
        _current.reset(token)
