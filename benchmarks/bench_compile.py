"""Compile: parse + validate + compile of large policy sets, against reading the same JSON.

- ``test_compile_all_managed``: one ``Compiler`` compiling the bytes of all 1,541 AWS
  managed policies (corpus/aws-managed/*.json) under the identity profile, on each
  twin, as a bulk job compiles them (equal Action and Resource lists share their
  matchers). This is the whole front end: JSON reading with duplicate-key
  detection, the model, validation under the identity profile (size quotas are
  warnings there), and compilation of every statement, whose wildcard and ARN
  pattern sets sort their patterns at their first match (``test_first_match_of_every_set``
  measures that part).
- ``test_orjson_loads_all_managed``: ``orjson.loads`` alone on the same bytes, in the
  same run: the floor any JSON front end pays. The report prints the ratio.
- ``test_compile_library``: the workloads' policy library (bench/library.json, the
  seed policies and their companions): ``Library.from_path`` and every policy
  compiled under its profile, which is the start-up cost of ``qiam batch --library``.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest

from qiam.batch import Library
from qiam.compile import Compiler

from .conftest import BULK_ROUNDS, FAST_ROUNDS, library_profile, shared_path, tag, twin_name


@pytest.fixture(scope="session")
def managed_bytes() -> list[bytes]:
    folder = Path(shared_path("corpus", "aws-managed"))
    return [path.read_bytes() for path in sorted(folder.glob("*.json"))]


@pytest.mark.benchmark(group="compile")
def test_compile_all_managed(benchmark: Any, twin: ModuleType, managed_bytes: list[bytes]) -> None:
    def run() -> list[Any]:
        compiler = Compiler()
        return [compiler.compile(data, "identity") for data in managed_bytes]

    tag(benchmark, role="compile-managed", twin=twin_name(twin), policies=len(managed_bytes),
        bytes=sum(map(len, managed_bytes)))
    # The compiled core takes tens of milliseconds: as many rounds as orjson.loads below, as for the
    # other passes that take milliseconds (conftest.FAST_ROUNDS); the twin takes a second a round.
    rounds = FAST_ROUNDS if twin_name(twin) == "compiled" else BULK_ROUNDS
    compiled = benchmark.pedantic(run, rounds=rounds, iterations=1)
    assert len(compiled) == len(managed_bytes) == 1541
    assert sum(len(policy.statements) for policy in compiled) > len(compiled)


@pytest.mark.benchmark(group="compile")
def test_first_match_of_every_set(benchmark: Any, managed_bytes: list[bytes]) -> None:
    """Compile, then one match on every Action, Resource and condition pattern set: the work the
    sets put off to their first match, paid in full (a request meets only some of them)."""
    def run() -> list[Any]:
        compiler = Compiler()
        compiled = [compiler.compile(data, "identity") for data in managed_bytes]
        for policy in compiled:
            for statement in policy.statements:
                statement.actions.matches_any("x:y")
                if statement.resources is not None:
                    statement.resources.static.matches_any("arn:aws:s3:::x")
                for condition in statement.conditions:
                    static = getattr(condition.values, "static", None)
                    if hasattr(static, "matches_any"):
                        static.matches_any("x")
        return compiled

    tag(benchmark, role="compile-then-match", policies=len(managed_bytes))
    compiled = benchmark.pedantic(run, rounds=BULK_ROUNDS, iterations=1)
    assert len(compiled) == 1541


@pytest.mark.benchmark(group="compile")
def test_orjson_loads_all_managed(benchmark: Any, managed_bytes: list[bytes]) -> None:
    loads = orjson.loads

    def run() -> list[Any]:
        return [loads(data) for data in managed_bytes]

    tag(benchmark, role="orjson-managed", policies=len(managed_bytes),
        bytes=sum(map(len, managed_bytes)))
    documents = benchmark.pedantic(run, rounds=FAST_ROUNDS, iterations=1)
    assert all("Statement" in document for document in documents)


@pytest.mark.benchmark(group="compile")
def test_compile_library(benchmark: Any, twin: ModuleType, library_path: Path,
                         library_data: dict[str, Any]) -> None:
    names = list(library_data)

    def run() -> list[Any]:
        library = Library.from_path(library_path)
        return [library.compiled(name, library_profile(name)) for name in names]

    tag(benchmark, role="compile-library", twin=twin_name(twin), policies=len(names))
    compiled = benchmark.pedantic(run, rounds=10, iterations=1)
    assert len(compiled) == len(names) == 18


@pytest.mark.benchmark(group="compile")
def test_memory_per_compiled_policy(benchmark: Any, managed_bytes: list[bytes]) -> None:
    """Not a timing: the memory the compiled managed policies keep, per policy (tracemalloc)."""
    import gc
    import tracemalloc

    def run() -> list[Any]:
        compiler = Compiler()
        return [compiler.compile(data, "identity") for data in managed_bytes]

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    compiled = run()
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    tag(benchmark, role="memory", policies=len(compiled), bytes=kept, bytes_per_policy=kept / len(compiled))
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    assert kept > 0 and len(compiled) == 1541
