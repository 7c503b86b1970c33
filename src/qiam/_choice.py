"""Which engine ``QIAM_IMPLEMENTATION`` picks, decided without loading one (see ``qiam._impl``).

Kept apart, with no import beyond the standard library's lightest, so that
``qiam --version`` can say which engine is in use without loading it.
"""

from __future__ import annotations

import os

ENGINE_NAMES = ("cython", "python")
_CHOICES = ("auto", *ENGINE_NAMES)
_WANTED = os.environ.get("QIAM_IMPLEMENTATION", "auto")  # read once, at import


def unknown_choice() -> str | None:
    """The message for a ``QIAM_IMPLEMENTATION`` that names no choice, or None."""
    if _WANTED in _CHOICES:
        return None
    return f"QIAM_IMPLEMENTATION must be `auto`, `cython` or `python`, not `{_WANTED}`"


def candidates() -> tuple[str, ...]:
    """The engines ``QIAM_IMPLEMENTATION`` allows, in the order the default is tried (a valid choice)."""
    return ENGINE_NAMES if _WANTED == "auto" else (_WANTED,)


def modules(name: str) -> tuple[str, str, str]:
    """The modules of an engine: its matchers, decision kernel and document reader."""
    suffix = "" if name == "cython" else "_py"
    return (f"_match{suffix}", f"_decide{suffix}", f"_front{suffix}")


def default_name() -> str:
    """The name of the engine the default is, found without loading it: the first candidate whose
    modules are installed. Raises ValueError with the reason when there is none."""
    from importlib.util import find_spec

    problem = unknown_choice()
    if problem is not None:
        raise ValueError(problem)
    for name in candidates():
        if all(find_spec(f"qiam.{module}") is not None for module in modules(name)):
            return name
    raise ValueError("the compiled cores are not built")
