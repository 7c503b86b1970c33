"""The fuzz targets of fuzz/ run: a short fixed number of executions each, from a copy of the seeds.

Not a search for bugs (``fuzz/run_all.py`` and fuzz/README.md are for that): it holds
that every target starts, reads its seeds and dictionary, fuzzes without a finding, and
leaves the committed corpus as it was.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "fuzz"
TARGETS = ["fuzz_policy_bytes", "fuzz_pipeline", "fuzz_request_language", "fuzz_batch_line", "fuzz_inventory",
           "fuzz_template"]
RUNS = 2_000

pytestmark = pytest.mark.skipif(importlib.util.find_spec("atheris") is None,
                                reason="atheris is not installed (pip install -e '.[test]' installs it)")


@pytest.mark.parametrize("target", TARGETS)
def test_the_target_fuzzes_without_a_finding(target: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FUZZ / "corpus" / target, corpus)
    seeds = sorted(p.name for p in corpus.iterdir())
    assert len(seeds) >= 5, "a target has a handful of seeds"
    artifacts = tmp_path / "findings"
    artifacts.mkdir()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QIAM_FUZZ_")}
    done = subprocess.run(
        [sys.executable, str(FUZZ / f"{target}.py"), f"-runs={RUNS}", f"-dict={FUZZ / 'dicts' / f'{target}.dict'}",
         "-timeout=10", "-rss_limit_mb=2048", "-max_len=4096", "-seed=1", "-print_final_stats=1",
         f"-artifact_prefix={artifacts}/", str(corpus)],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300, check=False)
    log = done.stdout + done.stderr
    tail = "\n".join(line for line in log.splitlines()[-60:] if not line.startswith("INFO: Instrumenting"))
    assert done.returncode == 0, tail
    assert not list(artifacts.iterdir()), tail
    assert f"stat::number_of_executed_units: {RUNS}" in log, tail
    assert "Dictionary: " in log and "ParseDictionaryFile" not in log, tail  # the dictionary reads
    assert set(seeds) <= {p.name for p in corpus.iterdir()}, "the seeds are all still there"


def test_every_target_of_run_all_is_smoke_tested() -> None:
    spec = importlib.util.spec_from_file_location("run_all", FUZZ / "run_all.py")
    assert spec is not None and spec.loader is not None
    run_all = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_all)
    assert list(run_all.TARGETS) == TARGETS
