"""Check a benchmark run's ratios against the product's targets and, optionally, an earlier run.

    python -m benchmarks.check                        # run the benchmarks, then check
    python -m benchmarks.check run.json               # check a run saved with --benchmark-json
    python -m benchmarks.check run.json --baseline before.json   # and compare with an earlier run

Prints every ratio beside its target (``benchmarks.ratios.TARGETS``) and, with
``--baseline``, beside the earlier run's value; exits 1 when a ratio misses its
target or is worse than the baseline's by more than ``--tolerance`` (10 %), 2 when
the run could not be read. Runs on demand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.ratios import TARGETS, Ratio, from_json, missed, ratios, regressed


def _run_benchmarks(out: Path, extra: list[str]) -> None:
    command = [sys.executable, "-m", "pytest", "benchmarks", "-q", f"--benchmark-json={out}", *extra]
    print("+ " + " ".join(command), file=sys.stderr)
    subprocess.run(command, check=False)


def _load(path: Path) -> list[Ratio]:
    try:
        return ratios(from_json(path))
    except (OSError, ValueError, KeyError) as exc:
        raise SystemExit(f"benchmarks.check: cannot read {path}: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.check", description=__doc__.split("\n\n")[0])
    parser.add_argument("run", nargs="?", type=Path, help="a --benchmark-json file (default: run the benchmarks)")
    parser.add_argument("--baseline", type=Path, help="an earlier run's --benchmark-json file to compare with")
    parser.add_argument("--tolerance", type=float, default=0.10, help="allowed loss against the baseline")
    parser.add_argument("pytest_args", nargs="*", help="after --: options for the benchmark run")
    args = parser.parse_args(argv)

    if args.run is None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "run.json"
            _run_benchmarks(path, args.pytest_args)
            if not path.exists():
                print("benchmarks.check: the benchmark run wrote no results", file=sys.stderr)
                return 2
            now = _load(path)
    else:
        now = _load(args.run)
    if not now:
        print("benchmarks.check: the run holds no labelled benchmark", file=sys.stderr)
        return 2
    before = {ratio.name: ratio for ratio in _load(args.baseline)} if args.baseline else {}

    failures = 0
    width = max(len(ratio.name) for ratio in now)
    print(f"{'ratio':<{width}}  {'now':>9}  {'target':>9}  {'before':>9}  verdict")
    for ratio in now:
        target, earlier = TARGETS.get(ratio.name), before.get(ratio.name)
        verdicts = []
        if target is not None:
            verdicts.append("MISSES TARGET" if missed(ratio, target) else "meets target")
        if earlier is not None:
            change = ratio.value / earlier.value - 1
            verdicts.append(f"{'WORSE' if regressed(ratio, earlier, args.tolerance) else 'ok'} ({change:+.0%})")
        failures += any(v.startswith(("MISSES", "WORSE")) for v in verdicts)
        bound = "-" if target is None else f"{'>=' if ratio.higher else '<='}{target.bound:g}"
        print(f"{ratio.name:<{width}}  {ratio.value:>8.2f}x  {bound:>9}  "
              f"{'-' if earlier is None else f'{earlier.value:.2f}x':>9}  {', '.join(verdicts) or '-'}")
    print(f"{failures} of {len(now)} ratios miss", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
