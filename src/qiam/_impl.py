"""Select the matcher core: the compiled extension or its pure-Python twin.

``QIAM_IMPLEMENTATION`` is ``auto`` (the default: compiled if importable),
``cython`` (compiled or ImportError) or ``python`` (the twin).
"""

from __future__ import annotations

import os
from types import ModuleType

_wanted = os.environ.get("QIAM_IMPLEMENTATION", "auto")
if _wanted not in ("auto", "cython", "python"):
    raise ImportError(
        f"QIAM_IMPLEMENTATION must be `auto`, `cython` or `python`, got `{_wanted}`"
    )

core: ModuleType
if _wanted == "python":
    from qiam import _match_py as core
elif _wanted == "cython":
    from qiam import _match as core  # a missing extension is an ImportError, by design
else:
    try:
        from qiam import _match as core
    except ImportError:
        from qiam import _match_py as core

IMPLEMENTATION = "cython" if core.__name__ == "qiam._match" else "python"
