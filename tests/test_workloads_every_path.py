"""No answer changes: both bench workloads and their nonce copies, through every path, on both engines.

The paths: ``Request.from_json`` then ``PolicySet.evaluate`` one request at a time; ``evaluate_pairs``
(its compact decisions, and the Results it makes when asked); ``PolicySet.evaluate_many`` over each
set's requests; ``BatchRunner.run_bytes`` (what ``qiam batch`` writes); and ``qiam batch --jobs 2`` in
processes of its own. Every decision must be the line's ``expect``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from benchmarks.nonce import nonce_lines

from qiam import PolicySet, Request, compile_policies, evaluate_pairs
from qiam._impl import using
from qiam.batch import BatchRunner, Library
from qiam.kinds import resource_kind
from tests.conftest import shared_path

WORKLOADS = ["identity-10k", "layered-10k", "identity-10k-nonce", "layered-10k-nonce"]
ENGINES = ["cython", "python"]


def _raw(workload: str) -> list[bytes]:
    raw = [line for line in shared_path("bench", f"{workload.removesuffix('-nonce')}.jsonl").read_bytes()
           .splitlines() if line.strip()]
    return list(nonce_lines(raw)) if workload.endswith("-nonce") else raw


def _policy_set(library: Library, policies: dict[str, Any], request: Request) -> PolicySet:
    """A line's policies (all library references) as one PolicySet, through the public API."""
    profile = str(resource_kind(request.action, request.resource).profile)

    def many(items: list[dict[str, str]] | None, kind: str) -> list[Any] | None:
        return None if items is None else [library.compiled(item["$ref"], kind) for item in items]

    resource, boundary, scps, rcps = (policies.get(k) for k in ("resource", "boundary", "scp", "rcp"))
    return compile_policies(
        many(policies.get("identity"), "identity") or [],
        resource=None if resource is None else library.compiled(resource["$ref"], profile),
        boundary=None if boundary is None else library.compiled(boundary["$ref"], "permissions-boundary"),
        session=many(policies.get("session"), "session"),
        scps=None if scps is None else [many(level, "scp") or [] for level in scps],
        rcps=None if rcps is None else [many(level, "rcp") or [] for level in rcps],
        resource_profile=profile)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("workload", WORKLOADS)
def test_every_path_gives_every_expected_decision(engine: str, workload: str) -> None:
    raw = _raw(workload)
    lines = [orjson.loads(line) for line in raw]
    expected = [line["expect"]["decision"] for line in lines]
    assert len(expected) == 10_000
    with using(engine):
        library = Library.from_path(shared_path("bench", "library.json"))
        requests = [Request.from_json(line["request"]) for line in lines]
        sets: dict[tuple[bytes, str], PolicySet] = {}
        pairs = []
        for line, request in zip(lines, requests, strict=True):
            key = (orjson.dumps(line.get("policies") or {}, option=orjson.OPT_SORT_KEYS), request.action)
            pset = sets.get(key)
            if pset is None:
                pset = sets[key] = _policy_set(library, line.get("policies") or {}, request)
            pairs.append((pset, request))

        assert {pset.engine.name for pset in sets.values()} == {engine}
        one_by_one = [pset.evaluate(request).decision.value for pset, request in pairs]
        assert one_by_one == expected, "Request.from_json + evaluate"
        results = evaluate_pairs(pairs)
        assert [d.value for d in results.decisions] == expected, "evaluate_pairs: its decisions"
        assert [results[i].decision.value for i in range(0, len(pairs), 97)] == expected[::97], \
            "evaluate_pairs: the Results it makes"
        by_set: dict[int, list[int]] = {}
        for i, (pset, _) in enumerate(pairs):
            by_set.setdefault(id(pset), []).append(i)
        many = [""] * len(pairs)
        for indices in by_set.values():
            pset = pairs[indices[0]][0]
            for i, result in zip(indices, pset.evaluate_many([pairs[i][1] for i in indices]), strict=True):
                many[i] = result.decision.value
        assert many == expected, "evaluate_many"
        written = b"".join(out for _, out in BatchRunner(library).run_bytes(raw))
        assert [orjson.loads(out)["decision"] for out in written.splitlines()] == expected, "qiam batch's path"


@pytest.mark.parametrize("workload", ["identity-10k-nonce", "layered-10k-nonce"])
def test_batch_in_processes_gives_every_expected_decision_on_the_nonce_files(tmp_path: Path,
                                                                            workload: str) -> None:
    source = tmp_path / f"{workload}.jsonl"
    source.write_bytes(b"\n".join(_raw(workload)) + b"\n")
    out = tmp_path / "out.jsonl"
    done = subprocess.run([sys.executable, "-m", "qiam", "batch", "--jobs", "2", "--library",
                           str(shared_path("bench", "library.json")), "-o", str(out), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in source.read_text().splitlines()]
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in results] == [line["id"] for line in lines]
    assert [r["decision"] for r in results] == [line["expect"]["decision"] for line in lines]
