"""Bounded memory in ``qiam batch``: lines that each carry a distinct inline policy, streamed in, leave
the peak resident set flat in the number of lines (the runner replaces its inline compiler every 4,096
policies, and its caches are bounded)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import orjson
import pytest

LINES = 200_000
BOUND_MB = 200  # about 35 MB here at 20,000 lines, 40 MB at 200,000
GROWTH_MB = 16  # 4 MB here; 24 MB when the remembered answers kept orjson's buffers

# The child reports its own high-water mark as it exits. The rusage that wait4 gives is no measure:
# Linux carries the forking process's peak over exec into it, so under a large pytest process a
# 60 MB batch reads as 900 MB.
_MEASURED = """
import atexit, sys
def report():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("peak-kb " + line.split()[1] + "\\n")
atexit.register(report)
sys.argv = ["qiam", "batch", "--jobs", "1", "-"]
from qiam.cli import main
sys.exit(main())
"""


def _line(i: int) -> bytes:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{i}/*"}]}
    return orjson.dumps({"id": f"l{i}", "policies": {"identity": [policy]}, "request": {
        "principal": "arn:aws:iam::111122223333:role/R", "action": "s3:GetObject",
        "resource": f"arn:aws:s3:::bucket-{i}/k"}}) + b"\n"


def _peak_mb(lines: int) -> float:
    """The peak resident set, in MB, of ``qiam batch --jobs 1`` over ``lines`` distinct-inline lines."""
    process = subprocess.Popen([sys.executable, "-c", _MEASURED], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    answered = []

    def read() -> None:
        assert process.stdout is not None
        answered.extend(1 for line in process.stdout if b'"decision":"allowed"' in line)

    reader = threading.Thread(target=read)
    reader.start()
    for start in range(0, lines, 1000):
        process.stdin.write(b"".join(_line(i) for i in range(start, min(lines, start + 1000))))
    process.stdin.close()
    errors = process.stderr.read().decode()
    process.wait()
    reader.join()
    process.stdout.close()
    process.stderr.close()
    assert process.returncode == 0 and len(answered) == lines, errors
    peaks = [int(line.split()[1]) for line in errors.splitlines() if line.startswith("peak-kb ")]
    assert len(peaks) == 1, errors
    return peaks[0] / 1024


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak from /proc")
def test_distinct_inline_policies_keep_the_peak_rss_under_a_bound_and_flat() -> None:
    few, many = _peak_mb(LINES // 10), _peak_mb(LINES)
    assert many < BOUND_MB, f"peak RSS {many:.0f} MB over {LINES:,} distinct inline policies"
    # Flat: ten times the lines add less than GROWTH_MB (a kept orjson text costs 4 KiB; see qiam._json).
    assert many - few < GROWTH_MB, f"peak RSS {few:.0f} MB at {LINES // 10:,} lines, {many:.0f} MB at {LINES:,}"
