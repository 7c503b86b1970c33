"""Peers: PMapper 1.1.5's local policy simulation on the same two workloads (benchmark-only).

The adapter is in ``peers.py`` (which PMapper function, and why). The peer is
prepared once per workload outside the timed call (``Node`` objects, ``Policy``
objects and SCP levels, one per distinct line shape); each round decides all
10,000 requests. The decisions must agree with every line's ``expect``, which
PMapper 1.1.5 helped produce (bench/README.md).

PMapper is not a dependency of qiam, not even a test one: without it this module
skips, with the install command in the reason. CI does not install it.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import BULK_ROUNDS, Workload, tag
from .peers import PMAPPER_VERSION, PMapperPeer, pmapper_missing

_missing = pmapper_missing()
if _missing is not None:
    pytest.skip(_missing, allow_module_level=True)



@pytest.fixture(scope="session")
def pmapper_calls(workloads: dict[str, Workload], library_data: dict[str, Any]) -> dict[str, Any]:
    """The peer and its prepared calls for each workload."""
    out = {}
    for name, workload in workloads.items():
        peer = PMapperPeer(library_data)
        out[name] = (peer, peer.prepare_all(workload.lines))
    return out


@pytest.mark.benchmark(group="peers")
def test_pmapper(benchmark: Any, workload: Workload, pmapper_calls: dict[str, Any]) -> None:
    peer, calls = pmapper_calls[workload.name]
    tag(benchmark, role="pmapper", workload=workload.name, requests=len(workload),
        engine=f"principalmapper {PMAPPER_VERSION}")
    decisions = benchmark.pedantic(peer.decide_all, args=(calls,), rounds=BULK_ROUNDS, iterations=1)
    mismatches = workload.mismatches(decisions)
    tag(benchmark, agree=len(workload) - len(mismatches))
    assert mismatches == [], f"{len(mismatches)} PMapper decisions differ: {mismatches[:5]}"


@pytest.mark.benchmark(group="peers")
def test_pmapper_allowed_only(benchmark: Any, workload: Workload,
                              pmapper_calls: dict[str, Any]) -> None:
    """``local_check_authorization_full`` alone: PMapper's bool, no explicit/implicit split.

    A lower bound on PMapper's cost for the same requests (qiam always gives the
    three-valued decision); scored on allowed versus not allowed.
    """
    peer, calls = pmapper_calls[workload.name]
    tag(benchmark, role="pmapper-bool", workload=workload.name, requests=len(workload),
        engine=f"principalmapper {PMAPPER_VERSION}")
    allowed = benchmark.pedantic(peer.allowed_all, args=(calls,), rounds=BULK_ROUNDS, iterations=1)
    decisions = ["allowed" if a else "denied" for a in allowed]
    expected = ["allowed" if e == "allowed" else "denied" for e in workload.expected]
    triples = zip(workload.lines, decisions, expected, strict=True)
    wrong = [line["id"] for line, got, want in triples if got != want]
    assert wrong == [], f"{len(wrong)} PMapper answers differ from `expect`: {wrong[:5]}"
