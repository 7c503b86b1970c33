"""Which core is active, and that CI really tests the compiled one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import qiam


def test_implementation_is_compiled_when_required() -> None:
    if os.environ.get("QIAM_REQUIRE_EXTENSION", "") in ("", "0"):
        pytest.skip("QIAM_REQUIRE_EXTENSION is not set")
    assert qiam.IMPLEMENTATION == "cython"


def test_implementation_switch_selects_the_twin() -> None:
    code = "import qiam; print(qiam.IMPLEMENTATION)"
    env = dict(os.environ, QIAM_IMPLEMENTATION="python")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "python"


def test_implementation_switch_rejects_unknown_values() -> None:
    env = dict(os.environ, QIAM_IMPLEMENTATION="fortran")
    out = subprocess.run([sys.executable, "-c", "import qiam; qiam.compile_policies([])"], capture_output=True,
                         text=True, env=env)
    assert out.returncode != 0
    assert "QIAM_IMPLEMENTATION must be" in out.stderr
