"""Bulk: the two 10,000-request workloads of bench/, end to end, scored against `expect`.

- ``test_batch_runner``: what ``qiam batch --jobs 1 --library library.json WORKLOAD``
  does, without process start-up and file I/O: read the library, then
  ``BatchRunner.run_bytes`` over the raw lines (a chunk at a time, each policy
  set's requests to the kernel together, answers reused). Policies are compiled
  inside the timed call (once per library policy and profile, as the command does).
- ``test_batch_path``: the compiled batch entry point alone: the 10,000
  (policy set, request) pairs prepared beforehand, and one ``qiam.evaluate_pairs``
  call over them (a loop in compiled code that decides each distinct request of
  a policy set once and returns the results in order).
- ``test_per_request_api``: policy sets compiled beforehand (one per distinct line
  shape, through ``compile_policies``) and ``Request`` objects built beforehand;
  the timed call is a loop of ``PolicySet.evaluate``.
- ``test_requests_from_json``: building the 10,000 ``Request`` objects alone, the
  part of the batch path that the per-request benchmark leaves out.

Each round is one pass over all 10,000 lines; the ratio report divides 10,000 by
the median round. Every pass must reproduce all 10,000 expected decisions: that
is a correctness assertion, and it runs in the smoke run too.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import orjson
import pytest

from qiam import Decision, PolicySet, Request, Results, evaluate_pairs
from qiam.batch import BatchRunner, Library

from .conftest import BULK_ROUNDS, FAST_ROUNDS, Compiled, Workload, built_on, shared_path, tag, twin_name


@pytest.mark.benchmark(group="bulk")
def test_batch_runner(benchmark: Any, twin: ModuleType, workload: Workload,
                      library_path: Any) -> None:
    raw = workload.raw
    runners: list[BatchRunner] = []

    def run() -> list[str]:
        runner = BatchRunner(Library.from_path(library_path))
        runners.append(runner)
        return [orjson.loads(line).get("decision", "error") for _, line in runner.run_bytes(raw)]

    tag(benchmark, role="batch", workload=workload.name, twin=twin_name(twin),
        requests=len(workload))
    decisions = benchmark.pedantic(run, rounds=BULK_ROUNDS, iterations=1)
    assert workload.mismatches(decisions) == []
    assert {built_on(pset) for pset in runners[-1]._sets.values()} == {twin.__name__}


@pytest.mark.benchmark(group="bulk")
def test_per_request_api(benchmark: Any, twin: ModuleType, workload: Workload,
                         compiled: Compiled) -> None:
    pairs = list(zip(compiled.policy_sets(workload), workload.requests, strict=True))

    def run() -> list[Any]:
        return [pset.evaluate(request) for pset, request in pairs]

    tag(benchmark, role="api", workload=workload.name, twin=twin_name(twin),
        requests=len(workload))
    results = benchmark.pedantic(run, rounds=FAST_ROUNDS, iterations=1, warmup_rounds=1)
    assert workload.mismatches([result.decision.value for result in results]) == []


@pytest.mark.benchmark(group="bulk")
def test_requests_from_json(benchmark: Any, workload: Workload) -> None:
    data = [line["request"] for line in workload.lines]

    def run() -> list[Request]:
        return [Request.from_json(item) for item in data]

    tag(benchmark, role="requests", workload=workload.name, requests=len(workload))
    built = benchmark.pedantic(run, rounds=FAST_ROUNDS, iterations=1, warmup_rounds=1)
    assert built == workload.requests


@pytest.mark.benchmark(group="bulk")
def test_batch_path(benchmark: Any, twin: ModuleType, workload: Workload, compiled: Compiled) -> None:
    pairs = list(zip(compiled.policy_sets(workload), workload.requests, strict=True))

    def run() -> Results:
        return evaluate_pairs(pairs)

    tag(benchmark, role="batch-path", workload=workload.name, twin=twin_name(twin), requests=len(workload),
        policy_sets=len({id(pset) for pset, _ in pairs}))
    results = benchmark.pedantic(run, rounds=FAST_ROUNDS, iterations=1, warmup_rounds=1)
    assert workload.mismatches([decision.value for decision in results.decisions]) == []
    # The Results made afterwards from the pairs carry the same decisions.
    assert [results[i].decision for i in range(0, len(results), 97)] == results.decisions[::97]


MANY_SETS = (1, 1_000, 100_000)
_SET_PAIRS = 100_000


@pytest.fixture(scope="session")
def many_set_requests() -> list[Request]:
    """100,000 distinct requests (nothing to deduplicate), from one role."""
    return [Request("s3:GetObject", f"arn:aws:s3:::b/k{i}", principal="arn:aws:iam::111122223333:role/R",
                    derive_context=False) for i in range(_SET_PAIRS)]


@pytest.mark.benchmark(group="bulk")
@pytest.mark.parametrize("sets", MANY_SETS)
def test_many_policy_sets(benchmark: Any, sets: int, many_set_requests: list[Request]) -> None:
    """One ``evaluate_pairs`` call over 100,000 distinct requests spread over 1 to 100,000 distinct policy
    sets, each of two of the page's policies (compiled once): the per-pair cost of meeting a set afresh
    (its plans are built at its first request). The sets are made outside the timed call."""
    library = Library.from_path(shared_path("bench", "library.json"))
    names = [name for name in sorted(library.names()) if name.startswith("seed:")][:6]
    policies = [library.compiled(name, "identity") for name in names]
    made = [PolicySet(identity=(policies[i % 6], policies[(i + 1) % 6])) for i in range(sets)]
    pairs = [(made[i % sets], request) for i, request in enumerate(many_set_requests)]
    tag(benchmark, role="many-sets", case=str(sets), requests=len(pairs), policy_sets=sets)

    def fresh() -> tuple[tuple[list[tuple[PolicySet, Request]]], dict[str, Any]]:
        # Each round meets its sets afresh, as a bulk job over new principals does.
        again = [PolicySet(identity=pset.identity) for pset in made]
        return ([(again[i % sets], request) for i, (_, request) in enumerate(pairs)],), {}

    results = benchmark.pedantic(evaluate_pairs, setup=fresh, rounds=3, iterations=1)
    assert len(results) == len(pairs)
    assert set(results.decisions) <= set(Decision)
