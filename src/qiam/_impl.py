"""Select the cores: the compiled extensions (matchers, decision kernel, the compiler's statement
loop) or their pure-Python twins.

``QIAM_IMPLEMENTATION`` is ``auto`` (the default: compiled if importable),
``cython`` (compiled or ImportError) or ``python`` (the twin).
"""

from __future__ import annotations

import os
from importlib import import_module
from types import ModuleType

_wanted = os.environ.get("QIAM_IMPLEMENTATION", "auto")
if _wanted not in ("auto", "cython", "python"):
    raise ImportError(
        f"QIAM_IMPLEMENTATION must be `auto`, `cython` or `python`, got `{_wanted}`"
    )

def _load(compiled: bool) -> tuple[ModuleType, ModuleType, ModuleType]:
    suffix = "" if compiled else "_py"
    return (import_module(f"qiam._match{suffix}"), import_module(f"qiam._decide{suffix}"),
            import_module(f"qiam._front{suffix}"))


core: ModuleType  # the matchers
decide: ModuleType  # the decision kernel
front: ModuleType  # the compiler's statement loop
if _wanted == "python":
    core, decide, front = _load(False)
elif _wanted == "cython":
    core, decide, front = _load(True)  # a missing extension is an ImportError, by design
else:
    try:
        core, decide, front = _load(True)
    except ImportError:
        core, decide, front = _load(False)

IMPLEMENTATION = "cython" if core.__name__ == "qiam._match" else "python"
