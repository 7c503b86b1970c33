"""Instruction counts of the hot paths, by callgrind: steady where wall time is not.

Timings on a shared machine drift by tens of per cent between runs; the number
of instructions a path executes does not (same build, inputs and hash seed). So
comparisons between builds, such as "within 10% of its value before", are made
here, one path at a time, each run under ``valgrind --tool=callgrind``:

    python -m benchmarks.instructions [--src DIR ...] [--workload NAME ...]

``--src`` names the ``src`` folder of each build to count (a worktree of an
older commit, say; default: this checkout's), each built in place. For every
build it prints instructions per request of the per-request API
(``PolicySet.evaluate`` over prebuilt requests), of ``Request.from_json``, and
of the batch path (one ``evaluate_pairs`` call), on each workload (the shipped
ones and their nonce copies), and the ratio of compiling the 1,541 AWS managed
policies to ``orjson.loads`` on the same bytes. A path's count is the run that
takes it, minus a run that only sets up, divided by the requests it decided.

The child mode (``--child PATH WORKLOAD``) is what runs under callgrind.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("QIAM_SHARED", ROOT.parent / "shared"))
PATHS = ("api", "requests", "batch-path")
REPEATS = {"api": 10, "requests": 2, "batch-path": 20, "none": 0}  # enough to stand out of the set-up
WORKLOADS = ("identity-10k", "layered-10k", "identity-10k-nonce", "layered-10k-nonce")
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def _child(path: str, workload: str) -> None:
    """Set up the workload, then run ``path`` (or nothing, for ``none``) its number of times.

    It builds its policy sets itself rather than through ``conftest``: it runs on older builds too,
    whose qiam lacks what the fixtures import."""
    import orjson

    from qiam import Request, evaluate_pairs

    if workload == "compile":
        from qiam.compile import Compiler

        texts = [p.read_bytes() for p in sorted((SHARED / "corpus" / "aws-managed").glob("*.json"))]
        warm = Compiler()  # every module compiling needs is imported before anything is counted
        for text in texts[:60]:
            warm.compile(text, "identity")
        if path == "orjson":
            for text in texts:
                orjson.loads(text)
        elif path == "compile":
            compiler = Compiler()
            for text in texts:
                compiler.compile(text, "identity")
        return
    pairs, data, expected = workload_pairs(workload)
    run = {
        "api": lambda: [pset.evaluate(request) for pset, request in pairs],
        "requests": lambda: [Request.from_json(item) for item in data],
        "batch-path": lambda: evaluate_pairs(pairs),
    }
    for check in ("api", "batch-path"):  # the answers are right before anything is counted
        answers = run[check]()
        decisions = getattr(answers, "decisions", None)  # (compact Results; a list of Results before them)
        found = [d.value for d in decisions] if decisions is not None else [r.decision.value for r in answers]
        assert found == expected, check
    for _ in range(REPEATS[path]):
        run[path]()


def workload_pairs(workload: str) -> tuple[list[tuple[Any, Any]], list[Any], list[str]]:
    """A workload's (policy set, request) pairs, its lines' ``request`` objects and their expected
    decisions, through the public API that older builds have too."""
    import orjson

    from benchmarks.nonce import nonce_lines
    from qiam import Request, compile_policies
    from qiam.batch import Library

    raw = (SHARED / "bench" / f"{workload.removesuffix('-nonce')}.jsonl").read_bytes().splitlines()
    raw = [line for line in raw if line.strip()]
    if workload.endswith("-nonce"):
        raw = list(nonce_lines(raw))
    lines = [orjson.loads(line) for line in raw]
    library = Library.from_path(SHARED / "bench" / "library.json")
    requests = [Request.from_json(line["request"]) for line in lines]
    sets: dict[tuple[bytes, str], Any] = {}

    def policy_set(policies: dict[str, Any], request: Any) -> Any:
        """A line's policies (all library references) as one PolicySet per distinct shape."""
        profile = _resource_profile(request)
        key = (orjson.dumps(policies, option=orjson.OPT_SORT_KEYS), profile)
        if key not in sets:
            def one(item: Any, kind: str) -> Any:
                return library.compiled(item["$ref"], kind)

            def many(items: Any, kind: str) -> list[Any] | None:
                return None if items is None else [one(item, kind) for item in items]

            def levels(items: Any, kind: str) -> list[list[Any]] | None:
                return None if items is None else [many(level, kind) or [] for level in items]

            resource, boundary = policies.get("resource"), policies.get("boundary")
            sets[key] = compile_policies(
                many(policies.get("identity"), "identity") or [],
                resource=None if resource is None else one(resource, profile),
                boundary=None if boundary is None else one(boundary, "permissions-boundary"),
                session=many(policies.get("session"), "session"),
                scps=levels(policies.get("scp"), "scp"), rcps=levels(policies.get("rcp"), "rcp"),
                resource_profile=profile)
        return sets[key]

    pairs = [(policy_set(line.get("policies") or {}, request), request)
             for line, request in zip(lines, requests, strict=True)]
    data = [line["request"] for line in lines]
    expected = [line["expect"]["decision"] for line in lines]
    return pairs, data, expected


def _resource_profile(request: Any) -> str:
    try:
        from qiam.kinds import resource_kind
    except ImportError:  # a build from before qiam.kinds
        from qiam.batch import TRUST_ACTIONS  # type: ignore[attr-defined]

        action, resource = request.action, request.resource
        trust = action.lower() in TRUST_ACTIONS and ":iam::" in resource and ":role/" in resource
        return "role-trust" if trust else "resource"
    return str(resource_kind(request.action, request.resource).profile)


def count(src: Path, path: str, workload: str) -> int:
    """The instructions of one child run under callgrind."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": os.pathsep.join([str(src), str(ROOT)])}
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
         "benchmarks.instructions", "--child", path, workload],
        capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{src} {path} {workload}: the run failed\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", action="append", type=Path, help="a build's src folder (repeatable)")
    parser.add_argument("--workload", action="append", choices=WORKLOADS, help="a workload (repeatable)")
    parser.add_argument("--no-compile", action="store_true", help="leave out the compile ratio")
    parser.add_argument("--child", nargs=2, metavar=("PATH", "WORKLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    sources = args.src or [ROOT / "src"]
    for src in sources:
        print(f"== {src}")
        for workload in args.workload or WORKLOADS:
            base = count(src, "none", workload)
            for path in PATHS:
                per = (count(src, path, workload) - base) / REPEATS[path] / 10_000
                print(f"{workload:20} {path:11} {per:10,.0f} instructions per request", flush=True)
        if not args.no_compile:
            base = count(src, "none", "compile")
            loads = count(src, "orjson", "compile") - base
            compiled = count(src, "compile", "compile") - base
            print(f"compile 1,541 managed / orjson.loads: {compiled / loads:.3f} ({compiled:,} / {loads:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
