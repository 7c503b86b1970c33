#!/usr/bin/env python3
"""Run every fuzz target, one after another, each in a subprocess with its seed corpus and dictionary.

    python fuzz/run_all.py                      # 20,000 executions of each target
    python fuzz/run_all.py --runs 100000        # more
    python fuzz/run_all.py --runs fuzz_pipeline=50000 --runs 2000000
    python fuzz/run_all.py --seconds 600 --target fuzz_batch_line -- -max_len=8192

Each target reads its committed seeds (``fuzz/corpus/TARGET``, never written) and a
working corpus (``--work``, default ``fuzz/runs``; new inputs are added there, so a
later run starts where this one stopped). A finding (a crash, an uncaught exception,
a disagreement, a timeout over ``-timeout`` seconds, a run over ``-rss_limit_mb``) is
written to ``--findings``/TARGET (default ``fuzz/findings``) by libFuzzer, as
``crash-*``, ``timeout-*``, ``oom-*`` or ``leak-*``. Prints, per target, the executions
and the findings; exits 1 if there was any finding, 0 otherwise.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = ("fuzz_policy_bytes", "fuzz_pipeline", "fuzz_request_language", "fuzz_batch_line", "fuzz_inventory",
           "fuzz_template")
DEFAULTS = ["-timeout=1", "-rss_limit_mb=2048", "-max_len=4096", "-print_final_stats=1"]
FINDING_PREFIXES = ("crash-", "timeout-", "oom-", "leak-")
_EXECUTED = re.compile(rb"stat::number_of_executed_units:\s*(\d+)")
_DONE = re.compile(rb"^#(\d+)\s", re.MULTILINE)


def _per_target(values: list[str], what: str) -> tuple[int | None, dict[str, int]]:
    """``N`` for every target and ``TARGET=N`` for one, as given to --runs or --seconds."""
    every: int | None = None
    one: dict[str, int] = {}
    for value in values:
        name, _, number = value.rpartition("=")
        if name and name not in TARGETS:
            raise SystemExit(f"run_all: unknown target {name!r} in {what} (targets: {', '.join(TARGETS)})")
        try:
            count = int(number)
        except ValueError:
            raise SystemExit(f"run_all: {what} takes N or TARGET=N, not {value!r}") from None
        if name:
            one[name] = count
        else:
            every = count
    return every, one


def _findings(folder: Path) -> set[Path]:
    return {p for p in folder.iterdir() if p.name.startswith(FINDING_PREFIXES)} if folder.is_dir() else set()


def run_target(target: str, *, runs: int | None, seconds: int | None, work: Path, findings: Path,
               extra: list[str], python: str = sys.executable, quiet: bool = False) -> tuple[int, list[Path], int]:
    """Fuzz one target in a subprocess; (executions, new finding files, exit code)."""
    corpus = work / target
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts = findings / target
    artifacts.mkdir(parents=True, exist_ok=True)
    before = _findings(artifacts)
    command = [python, str(HERE / f"{target}.py"), *DEFAULTS, f"-dict={HERE / 'dicts' / f'{target}.dict'}",
               f"-artifact_prefix={artifacts}/"]
    if runs is not None:
        command.append(f"-runs={runs}")
    if seconds is not None:
        command.append(f"-max_total_time={seconds}")
    command += [*extra, str(corpus), str(HERE / "corpus" / target)]
    log = work / f"{target}.log"
    with log.open("wb") as out:
        code = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, cwd=work, check=False).returncode
    text = log.read_bytes()
    found = _EXECUTED.findall(text) or _DONE.findall(text)
    executions = int(found[-1]) if found else 0
    new = sorted(_findings(artifacts) - before)
    if not quiet and (new or code != 0):
        tail = text.decode("utf-8", "replace").splitlines()[-40:]
        print("\n".join(f"    | {line}" for line in tail if not line.startswith("INFO: Instrumenting")))
    return executions, new, code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", action="append", default=[], metavar="[TARGET=]N",
                        help="executions per target (-runs=N); default 20000 unless --seconds is given")
    parser.add_argument("--seconds", action="append", default=[], metavar="[TARGET=]S",
                        help="seconds per target (-max_total_time=S)")
    parser.add_argument("--target", action="append", choices=TARGETS, help="a target to run (default: all)")
    parser.add_argument("--work", type=Path, default=HERE / "runs", help="working corpora and logs")
    parser.add_argument("--findings", type=Path, default=HERE / "findings", help="where findings are written")
    parser.add_argument("extra", nargs="*", help="libFuzzer flags for every target, after --")
    args = parser.parse_args(argv)
    every_runs, runs = _per_target(args.runs, "--runs")
    every_seconds, seconds = _per_target(args.seconds, "--seconds")
    if every_runs is None and every_seconds is None and not runs and not seconds:
        every_runs = 20_000
    work, findings = args.work.resolve(), args.findings.resolve()
    work.mkdir(parents=True, exist_ok=True)
    total, failed = 0, False
    started = time.monotonic()
    for target in args.target or TARGETS:
        target_runs = runs.get(target, every_runs)
        target_seconds = seconds.get(target, every_seconds)
        print(f"{target}: fuzzing ({'' if target_runs is None else f'{target_runs:,} runs'}"
              f"{', ' if target_runs is not None and target_seconds is not None else ''}"
              f"{'' if target_seconds is None else f'{target_seconds:,} s'})", flush=True)
        began = time.monotonic()
        executions, new, code = run_target(target, runs=target_runs, seconds=target_seconds, work=work,
                                           findings=findings, extra=args.extra)
        total += executions
        verdict = "ok" if code == 0 and not new else f"FAILED (exit {code})"
        print(f"{target}: {executions:,} executions in {time.monotonic() - began:,.0f} s, {len(new)} findings: "
              f"{verdict}", flush=True)
        for path in new:
            print(f"    finding: {path}", flush=True)
        failed = failed or code != 0 or bool(new)
    print(f"all: {total:,} executions in {time.monotonic() - started:,.0f} s: {'FAILED' if failed else 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
