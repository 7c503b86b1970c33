"""Start-up: whole commands, process start included, against ``python -c pass`` in the same run.

Each round runs every command once, one after another (interleaved), so that load on the
machine falls on all of them alike. The ratios take the median of the rounds (11 by default):

- ``qiam --version``: the command line's entry point and nothing else;
- ``qiam check -p POLICY --action A --resource R``: parse, validate and compile one policy,
  decide one request, print the answer (no request expression: pyparsing is not read);
- ``qiam check -p POLICY 'A on R'``: the same from an expression, which reads pyparsing.

The commands run with the Python that runs the benchmarks, as ``python -m qiam``, so that
they use the tree under test. Modules are byte-compiled first (``compileall``), as an
installed package is, since the environment may forbid writing bytecode.
"""

from __future__ import annotations

import compileall
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import qiam
from benchmarks.conftest import tag

ROUNDS = 11
POLICY = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*",'
          '"Resource":"arn:aws:s3:::b/*"}]}')
COMMANDS: dict[str, list[str]] = {
    "python": ["-c", "pass"],
    "version": ["-m", "qiam", "--version"],
    "check": ["-m", "qiam", "check", "-p", POLICY, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k"],
    "check-expression": ["-m", "qiam", "check", "-p", POLICY, "s3:GetObject on arn:aws:s3:::b/k"],
}
EXPECTED_EXIT = {"python": 0, "version": 0, "check": 0, "check-expression": 0}


def _once(args: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    code = subprocess.run([sys.executable, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          check=False).returncode
    return time.perf_counter() - start, code


@pytest.fixture(scope="module")
def timings() -> dict[str, list[float]]:
    compileall.compile_dir(str(Path(qiam.__file__).parent), quiet=1)
    for args in COMMANDS.values():  # warm the page cache
        _once(args)
    found: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(ROUNDS):
        for name, args in COMMANDS.items():
            seconds, code = _once(args)
            assert code == EXPECTED_EXIT[name], f"{name} exited {code}"
            found[name].append(seconds)
    return found


@pytest.mark.benchmark(group="startup")
@pytest.mark.parametrize("name", list(COMMANDS))
def test_startup(benchmark: Any, timings: dict[str, list[float]], name: str) -> None:
    # The rounds were run interleaved in the fixture; the benchmark records one more, and the ratio
    # report reads the interleaved median from extra_info.
    tag(benchmark, role="startup", case=name, median=statistics.median(timings[name]),
        rounds=len(timings[name]), low=min(timings[name]), high=max(timings[name]))
    seconds, code = benchmark.pedantic(_once, args=(COMMANDS[name],), rounds=1, iterations=1)
    assert code == EXPECTED_EXIT[name]
