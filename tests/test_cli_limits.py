"""Input without bound, under a memory limit: each command ends with a coded error and exit 2.

``/dev/zero`` as a policy, a library and a batch input, and a 1.5 GB line on standard input, each
run with its address space capped at 3 GB (as ``prlimit --as=3000000000`` does): no MemoryError,
no traceback, no run that reads forever.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")

_CAP = 3_000_000_000


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (_CAP, _CAP))


def _qiam(*args: str, stdin: int | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "qiam", *args], stdin=stdin, capture_output=True,
                          preexec_fn=_capped, timeout=120, env=dict(os.environ, PYTHONWARNINGS="ignore"))


@pytest.mark.parametrize(("args", "code"), [
    (("validate", "/dev/zero"), "input-too-large"),
    (("check", "-p", "/dev/zero", "s3:GetObject"), "input-too-large"),
    (("batch", "--library", "/dev/zero", "/dev/null"), "input-too-large"),
    (("batch", "/dev/zero"), "input-not-lines"),
], ids=["validate", "check", "library", "batch"])
def test_endless_input_is_a_coded_error(args: tuple[str, ...], code: str) -> None:
    done = _qiam(*args)
    err = done.stdout.decode() + done.stderr.decode()  # (validate reports on standard output)
    assert done.returncode == 2, err
    assert f"[{code}]" in err and "Traceback" not in err and "MemoryError" not in err


@pytest.mark.slow
def test_a_huge_line_on_stdin_is_a_coded_error() -> None:
    """A 1.5 GB line, then a good one: the first is reported as soon as it passes the line limit."""
    process = subprocess.Popen([sys.executable, "-m", "qiam", "batch", "-"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_capped)
    assert process.stdin is not None and process.stdout is not None
    block = b"a" * (1 << 24)
    try:
        for _ in range(1_500_000_000 // len(block) + 1):
            process.stdin.write(block)
        process.stdin.close()
    except BrokenPipeError:
        pass  # the run ended before the line did: what it said is below
    out, err = process.communicate(timeout=120)
    assert process.returncode == 2, err
    assert b'"code":"line-too-long"' in out
    assert b"Traceback" not in err and b"MemoryError" not in err
