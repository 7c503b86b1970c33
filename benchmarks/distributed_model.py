"""The figures of the Dask scaling model (benchmarks/README.md), measured here, in one sitting.

    python -m benchmarks.distributed_model [--lines 100000] [--rounds 3] [--inventory DIR]

- throughput of ``qiam batch`` on a nonce copy of layered-10k (``--lines`` lines): ``--jobs 1``,
  ``--jobs 2``, and ``--scheduler local:1`` / ``local:2``, wall and CPU time (the command's own and its
  children's, which is where the workers run), process and cluster start included;
- per partition: the time a worker takes for one 5,000-line partition once warm, and for its first (the
  library read and compiled: the broadcast cost of the library);
- the scheduler's overhead per task: 2,000 tasks that do nothing, submitted and gathered;
- per decision of a can-matrix (every catalog action on ``*`` for each principal of one account shard of
  ``benchmarks.inventory_gen``'s organisation), and the cost of loading a shard (the inventory's
  broadcast cost).

It prints one JSON object; the model's table in benchmarks/README.md is made from it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.inventory_gen import generate
from benchmarks.nonce import write_nonce_copy

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("QIAM_SHARED", ROOT.parent / "shared"))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _command(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``qiam`` run (its children included: the workers)."""
    before = _children_cpu()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qiam", *argv], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, _children_cpu() - before


def throughput(path: Path, library: Path, rounds: int) -> dict[str, Any]:
    """Interleaved rounds of each way of running the batch; median wall and CPU, lines per second."""
    ways = {"jobs 1": ["--jobs", "1"], "jobs 2": ["--jobs", "2"], "local:1": ["--scheduler", "local:1"],
            "local:2": ["--scheduler", "local:2"]}
    lines = sum(1 for line in path.open("rb") if line.strip())
    runs: dict[str, list[tuple[float, float]]] = {w: [] for w in ways}
    for _ in range(rounds):
        for way, extra in ways.items():
            runs[way].append(_command(["batch", *extra, "--library", str(library), str(path), "-o", os.devnull]))
    out = {}
    for way, found in runs.items():
        wall = statistics.median(w for w, _ in found)
        out[way] = {"wall_s": round(wall, 3), "wall_range_s": [round(min(w for w, _ in found), 3),
                                                                round(max(w for w, _ in found), 3)],
                    "cpu_s": round(statistics.median(c for _, c in found), 3), "lines_per_s": round(lines / wall)}
    out["local:2 / jobs 2"] = round(out["local:2"]["lines_per_s"] / out["jobs 2"]["lines_per_s"], 3)
    out["jobs 2 / jobs 1"] = round(out["jobs 2"]["lines_per_s"] / out["jobs 1"]["lines_per_s"], 3)
    out["lines"] = lines
    return out


def _timed_partition(lines: list[tuple[int, bytes | None]], library: str) -> tuple[float, float]:
    from qiam import distributed

    start = time.perf_counter()
    cold = not distributed._RUNNERS
    distributed._answer_partition(0, lines, library, distributed._stamp(library), False, "jsonl", None)
    return time.perf_counter() - start, float(cold)


def _nothing(i: int) -> int:
    return i


def _timed_shard(account_file: str, shared: tuple[str, ...], question: Any) -> dict[str, float]:
    from qiam import distributed

    distributed._INVENTORIES.clear()
    start = time.perf_counter()
    distributed._inventory((account_file, *shared), (), ())
    loaded = time.perf_counter()
    matrix = distributed._can_matrix_shard(account_file, shared, question, "action", ("*",))
    done = time.perf_counter()
    from qiam.catalog import load_catalog

    decisions = len(matrix) * len(load_catalog().expand("*"))
    return {"load_s": loaded - start, "matrix_s": done - loaded, "principals": len(matrix), "decisions": decisions}


def cluster_figures(path: Path, library: Path, inventory: Path) -> dict[str, Any]:
    import distributed as dd

    from qiam import distributed as qd
    from qiam.context import Environment, parse_time

    out: dict[str, Any] = {}
    parts = list(qd.partitions(path.open("rb"), qd.PARTITION_LINES))
    for workers in (1, 2):
        with dd.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                             silence_logs=logging.ERROR) as cluster, dd.Client(cluster) as client:
            # Per partition, each worker's first (library read and compiled) and the warm ones after it.
            timings = [client.submit(_timed_partition, part, str(library), pure=False) for part in parts[:8]]
            found = [t.result() for t in timings]
            cold = [s for s, first in found if first]
            warm = [s for s, first in found if not first]
            # The scheduler's overhead per task.
            start = time.perf_counter()
            client.gather(client.map(_nothing, range(2000), pure=False))
            overhead = (time.perf_counter() - start) / 2000
            out[f"workers={workers}"] = {
                "partition_lines": qd.PARTITION_LINES,
                "partition_warm_s": round(statistics.median(warm), 4) if warm else None,
                "partition_first_s": round(statistics.median(cold), 4) if cold else None,
                "scheduler_overhead_per_task_ms": round(overhead * 1000, 3),
            }
            if workers == 1:
                accounts, shared = qd.shards([inventory])
                question = qd.Question.of([inventory], environment=Environment(time=parse_time("2026-06-01T00:00:00Z")))
                shard = client.submit(_timed_shard, accounts[0], tuple(shared), question, pure=False).result()
                out["can_matrix_shard"] = {**{k: round(v, 4) if isinstance(v, float) else v for k, v in shard.items()},
                                           "per_decision_us": round(shard["matrix_s"] / shard["decisions"] * 1e6, 3)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--inventory", type=Path, help="an inventory_gen folder (default: made, full size)")
    args = parser.parse_args()
    library = SHARED / "bench" / "library.json"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "layered-nonce.jsonl"
        write_nonce_copy(SHARED / "bench" / "layered-10k.jsonl", path, copies=max(1, args.lines // 10_000), seed=3)
        inventory = args.inventory
        if inventory is None:
            inventory = Path(folder) / "inventory"
            generate(inventory, seed=7)
        result = {"cpus": os.cpu_count(), "load_before": os.getloadavg(),
                  "throughput": throughput(path, library, args.rounds),
                  "cluster": cluster_figures(path, library, inventory), "load_after": os.getloadavg()}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
