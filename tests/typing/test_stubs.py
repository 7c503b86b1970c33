"""The stub of the compiled core is honest, and the package type-checks strictly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import qiam

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent.parent / "src" / "qiam"  # the source tree: mypy reads the core's stub there


@pytest.mark.skipif(qiam.IMPLEMENTATION != "cython", reason="the compiled core is not built")
def test_stubs_match_the_compiled_cores() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "qiam._match", "qiam._decide", "qiam._front",
         "--allowlist", str(HERE / "stubtest-allowlist.txt")],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_stubs_package_type_checks_strictly() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--config-file", "/dev/null",
         str(SOURCE)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
