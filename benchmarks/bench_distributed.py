"""A Dask LocalCluster against this process, in the same run: batch partitions and the scheduler's cost.

- ``test_batch_on_cluster[workers=N]``: each workload (and its nonce copy) answered by
  ``qiam.distributed.evaluate_batch`` on a LocalCluster of N worker processes (1,000-line partitions),
  against ``test_batch_in_process``: ``BatchRunner.run_bytes`` here. Both assert every decision.
- ``test_scheduler_overhead``: 500 tasks that do nothing, submitted and gathered (per round).

The scaling model of benchmarks/README.md takes its figures from ``benchmarks.distributed_model``, which
measures the commands end to end (``--jobs`` and ``--scheduler``, CPU time too).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from qiam.batch import BatchRunner, Library

from .conftest import BULK_ROUNDS, Workload, tag

distributed = pytest.importorskip("distributed")
from qiam import distributed as qd  # noqa: E402 - (after the skip: Dask is an extra)


@pytest.fixture(scope="module", params=[1, 2], ids=lambda n: f"workers={n}")
def client(request: pytest.FixtureRequest) -> Iterator[Any]:
    with distributed.LocalCluster(n_workers=request.param, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def _decisions(output: bytes) -> list[str]:
    return [orjson.loads(line).get("decision", "error") for line in output.splitlines()]


@pytest.mark.benchmark(group="distributed")
def test_batch_on_cluster(benchmark: Any, client: Any, workload: Workload, library_path: Any) -> None:
    workers = len(client.scheduler_info()["workers"])
    tag(benchmark, role=f"cluster-{workers}", workload=workload.name)

    def run() -> bytes:
        return b"".join(a.output for a in qd.evaluate_batch(workload.raw, library=library_path, client=client,
                                                             partition_lines=1000))

    output = benchmark.pedantic(run, rounds=BULK_ROUNDS, iterations=1)
    assert workload.mismatches(_decisions(output)) == []


@pytest.mark.benchmark(group="distributed")
def test_batch_in_process(benchmark: Any, workload: Workload, library_path: Any) -> None:
    tag(benchmark, role="in-process", workload=workload.name)
    library = Library.from_path(library_path)

    def run() -> bytes:
        runner = BatchRunner(library)
        return b"".join(line for _, line in runner.run_bytes(workload.raw))

    output = benchmark.pedantic(run, rounds=BULK_ROUNDS, iterations=1)
    assert workload.mismatches(_decisions(output)) == []


def _nothing(i: int) -> int:
    return i


@pytest.mark.benchmark(group="distributed-scheduler")
def test_scheduler_overhead(benchmark: Any, client: Any) -> None:
    tag(benchmark, role="scheduler", tasks=500)
    got = benchmark.pedantic(lambda: client.gather(client.map(_nothing, range(500), pure=False)),
                             rounds=BULK_ROUNDS, iterations=1)
    assert got == list(range(500))
