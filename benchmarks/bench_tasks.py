"""The task layer against the bare engine, in the same run.

1. ``test_tasks_one_set``: one precompiled policy set (PowerUserAccess,
   ReadOnlyAccess, AmazonQFullAccess) checked against the 7 Amazon Q Developer
   admin tasks, ``Checker.check`` per task (requirements resolved once, every
   request through the compiled batch path, detail built only when asked).
   Baseline ``test_tasks_one_set_engine``: ``PolicySet.evaluate_many`` over the
   very requests the task layer decides.
2. ``test_tasks_many_principals``: 3,000 distinct principals, each with 1 to 6
   policies drawn (seeded) from the 1,541 AWS managed policies, × the 7 tasks,
   compile included (``Checker.check_many``). Baseline
   ``test_tasks_many_engine``: ``qiam.evaluate_pairs`` over the same (policy
   set, request) pairs, policy sets compiled beforehand.

Every round asserts the answers it times (the same allowed count each round).
"""

from __future__ import annotations

import random
from importlib.resources import files
from typing import Any

import pytest

from benchmarks.conftest import shared_path, tag
from qiam import Decision, PolicySet, compile_policies, evaluate_pairs, parse_policy
from qiam.tasks import Checker, TaskCatalog

PRINCIPALS = 3000
DATA = files("qiam") / "data"


@pytest.fixture(scope="module")
def catalog() -> TaskCatalog:
    found = TaskCatalog.bundled()
    for name in found:  # resolve the task definitions (catalog expansion) outside the timing
        found.task(name)
    return found


@pytest.fixture(scope="module")
def one_set() -> PolicySet:
    return compile_policies([(DATA / "managed" / f"{n}.json").read_bytes()
                             for n in ("PowerUserAccess", "ReadOnlyAccess", "AmazonQFullAccess")])


@pytest.mark.benchmark(group="tasks")
def test_tasks_one_set(benchmark: Any, catalog: TaskCatalog, one_set: PolicySet) -> None:
    checker = Checker(catalog)
    names = list(catalog)

    def run() -> int:
        return sum(checker.check(one_set, name).allowed for name in names)

    allowed = run()  # plans made once, as for any checker that meets the set again
    requests = sum(len(checker._plan(one_set, checker.task(n), None).pairs) for n in names)
    tag(benchmark, role="tasks-one-set", tasks=len(names), requests=requests)
    assert benchmark.pedantic(run, rounds=200, iterations=5) == allowed


@pytest.mark.benchmark(group="tasks")
def test_tasks_one_set_engine(benchmark: Any, catalog: TaskCatalog, one_set: PolicySet) -> None:
    checker = Checker(catalog)
    batches = [[request for _, request in checker._plan(one_set, checker.task(n), None).pairs] for n in catalog]

    def run() -> int:
        return sum(len(one_set.evaluate_many(batch)) for batch in batches)

    tag(benchmark, role="tasks-one-set-engine", tasks=len(batches), requests=sum(map(len, batches)))
    assert sum(r.allowed for batch in batches for r in one_set.evaluate_many(batch)) > 0
    assert benchmark.pedantic(run, rounds=200, iterations=5) == sum(map(len, batches))


@pytest.fixture(scope="module")
def principals() -> dict[str, list[Any]]:
    """3,000 principals' identity policies, 1 to 6 each, drawn from the AWS managed corpus (seeded)."""
    corpus = sorted(shared_path("corpus", "aws-managed").glob("*.json"))
    pool = [parse_policy(path.read_bytes(), name=path.name) for path in corpus]
    rng = random.Random(20261201)
    return {f"principal-{n:04d}": rng.sample(pool, rng.randint(1, 6)) for n in range(PRINCIPALS)}


@pytest.mark.benchmark(group="tasks")
def test_tasks_many_principals(benchmark: Any, catalog: TaskCatalog, principals: dict[str, list[Any]]) -> None:
    def run() -> tuple[int, int]:
        results = Checker(catalog).check_many(principals)
        return sum(len(row) for row in results.values()), sum(r.allowed for row in results.values()
                                                             for r in row.values())

    checks, allowed = run()
    assert checks == PRINCIPALS * len(catalog) and 0 < allowed < checks
    tag(benchmark, role="tasks-many", checks=checks)
    assert benchmark.pedantic(run, rounds=3, iterations=1) == (checks, allowed)


@pytest.mark.benchmark(group="tasks")
def test_tasks_many_engine(benchmark: Any, catalog: TaskCatalog, principals: dict[str, list[Any]]) -> None:
    checker = Checker(catalog)
    pairs = []
    for policies in principals.values():
        pset = checker.policy_set(policies)
        for name in catalog:
            pairs.extend(checker._plan(pset, checker.task(name), None).pairs)

    def run() -> int:
        return evaluate_pairs(pairs).count(Decision.ALLOW)

    tag(benchmark, role="tasks-many-engine", requests=len(pairs))
    expected = run()
    assert benchmark.pedantic(run, rounds=3, iterations=1) == expected
