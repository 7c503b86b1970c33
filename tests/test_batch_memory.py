"""Bounded memory in ``qiam batch``: lines that each carry a distinct inline policy, streamed in, leave
the peak resident set flat in the number of lines (the runner replaces its inline compiler every 4,096
policies, and its caches are bounded)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import orjson
import pytest

LINES = 200_000
BOUND_MB = 300  # about 60 MB here at 20,000 lines and at 100,000 alike


def _line(i: int) -> bytes:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{i}/*"}]}
    return orjson.dumps({"id": f"l{i}", "policies": {"identity": [policy]}, "request": {
        "principal": "arn:aws:iam::111122223333:role/R", "action": "s3:GetObject",
        "resource": f"arn:aws:s3:::bucket-{i}/k"}}) + b"\n"


@pytest.mark.slow
def test_distinct_inline_policies_keep_the_peak_rss_under_a_bound() -> None:
    process = subprocess.Popen([sys.executable, "-m", "qiam", "batch", "--jobs", "1", "-"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    answered = []

    def read() -> None:
        assert process.stdout is not None
        answered.extend(1 for line in process.stdout if b'"decision":"allowed"' in line)

    reader = threading.Thread(target=read)
    reader.start()
    for start in range(0, LINES, 1000):
        process.stdin.write(b"".join(_line(i) for i in range(start, start + 1000)))
    process.stdin.close()
    _, status, usage = os.wait4(process.pid, 0)
    reader.join()
    process.stdout.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0 and len(answered) == LINES
    peak_mb = usage.ru_maxrss / 1024  # (kilobytes on Linux)
    assert peak_mb < BOUND_MB, f"peak RSS {peak_mb:.0f} MB over {LINES:,} distinct inline policies"
