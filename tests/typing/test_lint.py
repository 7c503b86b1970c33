"""The tree is clean under ruff, and every doctest of the package runs and passes."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT / "src" / "qiam"


def test_ruff_is_clean() -> None:
    pytest.importorskip("ruff", reason="ruff comes with the test extra: pip install '.[test]'")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "src", "tests", "benchmarks"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def _modules_with_examples() -> list[str]:
    """Every module of the package whose source holds a ``>>>`` example (compiled cores by their .pyx)."""
    names = []
    for path in sorted([*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.pyx")]):
        if ">>>" in path.read_text(encoding="utf-8"):
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = _modules_with_examples()


def test_the_package_has_examples() -> None:
    assert {"qiam", "qiam.parse", "qiam.request", "qiam._match_py"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_doctests_pass(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # a compiled core that is not built
        pytest.skip(f"{name} is not importable: {exc}")
    found = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert found.attempted > 0, f"no example of {name} was collected"
    assert found.failed == 0, f"{found.failed} of {found.attempted} examples of {name} failed (output above)"
