"""Tasks checked per second: 1,000 principals' policy sets × the 7 Amazon Q Developer admin tasks.

The policy sets are drawn (seeded) from a pool of policies: the page's seven,
five AWS managed ones, and variants of the page's policies with one statement
removed. Each policy of the pool is compiled once by the ``Checker``, however
many sets share it; the benchmark times ``check_many`` over all 7,000 checks.
"""

from __future__ import annotations

import json
import random
from importlib.resources import files
from typing import Any

import pytest

from benchmarks.conftest import tag
from qiam import parse_policy
from qiam.tasks import Checker, TaskCatalog

SETS = 1000
DATA = files("qiam") / "data"
MANAGED = ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "AmazonQDeveloperAccess",
           "AmazonQFullAccess")


def _pool() -> list[Any]:
    catalog = TaskCatalog.bundled()
    pool: list[Any] = []
    for name in catalog:
        raw = json.loads((DATA / "seed" / catalog.task(name).policy).read_bytes())
        pool.append(parse_policy(raw, name=catalog.task(name).policy))
        for i in range(len(raw["Statement"])):
            if len(raw["Statement"]) > 1:
                fewer = dict(raw, Statement=raw["Statement"][:i] + raw["Statement"][i + 1:])
                pool.append(parse_policy(fewer, name=f"{name}-without-{i}"))
    for name in MANAGED:
        pool.append(parse_policy((DATA / "managed" / f"{name}.json").read_bytes(), name=name))
    return pool


@pytest.fixture(scope="module")
def policy_sets() -> dict[str, list[Any]]:
    rng = random.Random(20261127)
    pool = _pool()
    return {f"principal-{n:04d}": rng.sample(pool, rng.randint(1, 3)) for n in range(SETS)}


@pytest.mark.benchmark(group="tasks")
def test_bench_tasks_many_principals(benchmark: Any, policy_sets: dict[str, list[Any]]) -> None:
    catalog = TaskCatalog.bundled()
    for name in catalog:  # resolve the task definitions (catalog expansion) outside the timing
        catalog.task(name)

    def run() -> dict[str, Any]:
        return Checker(catalog).check_many(policy_sets)

    results = benchmark.pedantic(run, rounds=3, iterations=1)
    checks = sum(len(row) for row in results.values())
    assert checks == SETS * len(catalog)
    allowed = sum(r.allowed for row in results.values() for r in row.values())
    assert 0 < allowed < checks
    tag(benchmark, role="tasks", checks=checks)
