"""One sitting of the bulk figures, before and after: an older build (``--before SRC``) against this checkout,
in interleaved rounds, on the nonce copies of both workloads (nothing repeats), with PMapper in the same run.

    python -m benchmarks.sitting --before ../old/src [--rounds 5]

Each round, for each build in turn (the order alternates between rounds), a fresh
process of that build times, on each nonce workload, the best of three passes of:

* ``api``: a loop of ``PolicySet.evaluate`` over requests built beforehand;
* ``from-json+api``: ``Request.from_json`` on each line's ``request`` dict, then
  ``evaluate``, one line at a time (what a caller with JSON in hand does);
* ``batch-path``: one ``evaluate_pairs`` call over the same pairs.

Then PMapper 1.1.5 decides the same lines (``benchmarks.peers``), and ``qiam batch
--jobs 1`` runs each nonce file end to end, process start included, on each build;
and on this checkout ``qiam batch`` runs a 100,000-line nonce file with ``--jobs 1``
and ``--jobs 2``, timed in wall and in CPU (the process and its workers). Both builds'
modules are byte-compiled first, as an installed package's are. Every
qiam path must give every line's ``expect``. Prints the median and range over the
rounds of each rate and ratio, and the machine's load average at the start and end.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("QIAM_SHARED", ROOT.parent / "shared"))
WORKLOADS = ("identity-10k-nonce", "layered-10k-nonce")
LIBRARY = SHARED / "bench" / "library.json"


def _best(run: Any, passes: int = 3) -> float:
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _child(workload: str) -> None:
    """Time the three paths of one build on one workload; print their rates as JSON."""
    from benchmarks.instructions import workload_pairs
    from qiam import Request, evaluate_pairs

    pairs, data, expected = workload_pairs(workload)
    sets = [pset for pset, _ in pairs]

    def decisions(answers: Any) -> list[str]:
        found = getattr(answers, "decisions", None)  # (compact Results; a list of Results before them)
        return [d.value for d in found] if found is not None else [r.decision.value for r in answers]

    assert decisions([pset.evaluate(request) for pset, request in pairs]) == expected, "api"
    assert decisions([pset.evaluate(Request.from_json(item)) for pset, item in zip(sets, data, strict=True)]) \
        == expected, "from-json+api"
    assert decisions(evaluate_pairs(pairs)) == expected, "batch-path"
    n = len(pairs)
    times = {
        "api": _best(lambda: [pset.evaluate(request) for pset, request in pairs]),
        "from-json+api": _best(lambda: [pset.evaluate(Request.from_json(item))
                                        for pset, item in zip(sets, data, strict=True)]),
        "batch-path": _best(lambda: evaluate_pairs(pairs)),
    }
    print(json.dumps({path: n / seconds for path, seconds in times.items()}))


def _peer(workload: str) -> None:
    """PMapper's rate on one workload, as JSON."""
    import orjson

    from benchmarks.nonce import nonce_lines
    from benchmarks.peers import PMapperPeer

    raw = [line for line in (SHARED / "bench" / f"{workload.removesuffix('-nonce')}.jsonl").read_bytes()
           .splitlines() if line.strip()]
    lines = [orjson.loads(line) for line in nonce_lines(raw)]
    peer = PMapperPeer(orjson.loads(LIBRARY.read_bytes()))
    calls = peer.prepare_all(lines)
    assert peer.decide_all(calls) == [line["expect"]["decision"] for line in lines]
    print(json.dumps({"pmapper": len(lines) / _best(lambda: peer.decide_all(calls), passes=1)}))


def _in_child(src: Path, *args: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(ROOT)])}
    done = subprocess.run([sys.executable, "-m", "benchmarks.sitting", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{src} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _batch(src: Path, path: Path, jobs: int) -> tuple[float, float]:
    """Wall and CPU seconds (the process and its workers) of ``qiam batch --jobs N`` on a file."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.jsonl"
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "qiam", "batch", "--jobs", str(jobs), "--library",
                                    str(LIBRARY), "-o", str(out), str(path)], env=env, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"{src}: qiam batch --jobs {jobs} {path} exited with status {status}")
        expected = [json.loads(line)["expect"]["decision"] for line in path.read_text().splitlines()]
        found = [json.loads(line)["decision"] for line in out.read_text().splitlines()]
        assert found == expected, f"{src}: qiam batch --jobs {jobs} {path}"
    return wall, usage.ru_utime + usage.ru_stime


def _nonce_file(folder: Path, workload: str, copies: int) -> Path:
    from benchmarks.nonce import nonce_lines

    raw = (SHARED / "bench" / f"{workload.removesuffix('-nonce')}.jsonl").read_bytes().splitlines()
    path = folder / f"{workload}-{copies}.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in nonce_lines(raw, copies=copies)))
    return path


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):10,.1f}  ({min(values):,.1f} to {max(values):,.1f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sitting", description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="the src folder of the older build, built in place")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", metavar="WORKLOAD", help=argparse.SUPPRESS)
    parser.add_argument("--peer", metavar="WORKLOAD", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child)
        return 0
    if args.peer:
        _peer(args.peer)
        return 0
    builds = {"after": ROOT / "src"}
    if args.before is not None:
        builds = {"before": args.before.resolve(), **builds}
    figures: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        figures.setdefault(name, []).append(value)

    for src in builds.values():  # (as an installed package is: no process compiles qiam's sources at start)
        compileall.compile_dir(str(src / "qiam"), quiet=1)
    print(f"load average at the start: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        files = {w: _nonce_file(Path(folder), w, 1) for w in WORKLOADS}
        big = _nonce_file(Path(folder), "layered-10k-nonce", 10)
        for round_ in range(args.rounds):
            order = list(builds) if round_ % 2 == 0 else list(reversed(builds))
            for workload in WORKLOADS:
                peer = _in_child(builds["after"], "--peer", workload)["pmapper"]
                add(f"{workload} pmapper req/s", peer)
                for name in order:
                    rates = _in_child(builds[name], "--child", workload)
                    for path, rate in rates.items():
                        add(f"{workload} {name} {path} req/s", rate)
                        add(f"{workload} {name} {path} / pmapper", rate / peer)
                    add(f"{workload} {name} batch-path / api", rates["batch-path"] / rates["api"])
                    wall, _ = _batch(builds[name], files[workload], 1)
                    add(f"{workload} {name} qiam batch --jobs 1 lines/s", 10_000 / wall)
                if "before" in builds:
                    add(f"{workload} qiam batch --jobs 1 after / before",
                        figures[f"{workload} after qiam batch --jobs 1 lines/s"][-1]
                        / figures[f"{workload} before qiam batch --jobs 1 lines/s"][-1])
            one, one_cpu = _batch(builds["after"], big, 1)
            two, two_cpu = _batch(builds["after"], big, 2)
            add("100,000 lines --jobs 1 wall s", one)
            add("100,000 lines --jobs 2 wall s", two)
            add("100,000 lines --jobs 1 cpu s", one_cpu)
            add("100,000 lines --jobs 2 cpu s", two_cpu)
            add("100,000 lines --jobs 2 / --jobs 1 (wall)", one / two)
            print(f"round {round_ + 1} of {args.rounds} done; load average {os.getloadavg()}", flush=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"load average at the end: {os.getloadavg()} (this process: {usage.ru_utime:.1f} s CPU)")
    print(f"{'figure':62} {'median':>10}  (range over {args.rounds} rounds)")
    for name, values in figures.items():
        print(f"{name:62} {_summary(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
