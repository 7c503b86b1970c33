"""Nonce copies of the benchmark workloads: the same lines, none of them repeating.

The shipped workloads repeat heavily (identity-10k holds 360 distinct pairs of
policies and request, layered-10k 1,943), so a bulk path that decides each
distinct request once looks faster on them than it is on real input. A nonce
copy adds to every line's request context one key no policy reads, with a
value of its own (seeded, so every run builds the same file): nothing repeats,
and no decision changes.

    python -m benchmarks.nonce IN.jsonl OUT.jsonl [--copies N] [--seed S]

``--copies N`` writes the workload N times over (each copy with fresh nonces
and ids suffixed ``-1``, ``-2``, ...), for a 100,000-line file from a
10,000-line one.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

NONCE_KEY = "qiam:BenchmarkNonce"  # a key of no service: no policy of the workloads reads it


def nonce_lines(lines: Iterable[bytes], *, copies: int = 1, seed: int = 0) -> Iterator[bytes]:
    """Each line once per copy, with a nonce in its request context (blank lines dropped)."""
    rng = random.Random(seed)
    kept = [line for line in lines if line.strip()]
    for copy in range(copies):
        for line in kept:
            data = orjson.loads(line)
            if copies > 1:
                data["id"] = f"{data.get('id')}-{copy + 1}"
            request = data["request"]
            context = dict(request.get("context") or {})
            context[NONCE_KEY] = f"{rng.getrandbits(64):016x}"
            request["context"] = context
            yield orjson.dumps(data)


def write_nonce_copy(source: Path, target: Path, *, copies: int = 1, seed: int = 0) -> int:
    """Write the nonce copy of ``source`` to ``target``; the number of lines written."""
    count = 0
    with source.open("rb") as given, target.open("wb") as out:
        for line in nonce_lines(given, copies=copies, seed=seed):
            out.write(line + b"\n")
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.nonce", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="a workload in the batch format")
    parser.add_argument("target", type=Path, help="where to write its nonce copy")
    parser.add_argument("--copies", type=int, default=1, help="how many times over to write the workload")
    parser.add_argument("--seed", type=int, default=0, help="the seed of the nonces (default 0)")
    args = parser.parse_args(argv)
    if args.copies < 1:
        parser.error("--copies must be at least 1")
    count = write_nonce_copy(args.source, args.target, copies=args.copies, seed=args.seed)
    print(f"{count} lines written to {args.target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
