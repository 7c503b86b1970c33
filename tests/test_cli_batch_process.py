"""``qiam batch`` as a long-lived process: it answers each line as it comes, stops its workers on SIGTERM,
and reads a library file policy by policy exactly as it reads a directory of them."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINE = json.dumps({"id": 1, "policies": {"identity": [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}]},
    "request": {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}}) + "\n"


# `qiam batch ARGS -`, with SIGINT as a terminal gives it: a test run in the background (a CI job started
# with `&`) inherits SIGINT ignored, and Python then leaves it ignored.
_BATCH = ("import runpy, signal, sys\n"
          "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
          "sys.argv = ['qiam', *sys.argv[1:]]\n"
          "runpy.run_module('qiam', run_name='__main__')\n")


def _start(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", _BATCH, "batch", *args, "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, start_new_session=True)


_PENDING: dict[int, bytes] = {}  # bytes read past the last line, by process


def _answer_within(process: subprocess.Popen[bytes], seconds: float) -> bytes:
    """The next output line, read from the descriptor itself (no buffer select cannot see)."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    buffer = _PENDING.get(process.pid, b"")
    deadline = time.monotonic() + seconds
    while b"\n" not in buffer:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"no answer within {seconds} s while stdin stays open"
        chunk = os.read(fd, 1 << 16)
        assert chunk, "the output ended"
        buffer += chunk
    line, _, rest = buffer.partition(b"\n")
    _PENDING[process.pid] = rest
    return line + b"\n"


def _group(pid: int) -> list[str]:
    found = subprocess.run(["pgrep", "-g", str(pid)], capture_output=True, text=True)
    return found.stdout.split()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_each_line_is_answered_while_stdin_stays_open(jobs: str) -> None:
    process = _start("--jobs", jobs, "--jobs-force")
    assert process.stdin is not None
    try:
        _warm(process)  # the interpreter starting up, once
        for _ in range(2):
            process.stdin.write(LINE.encode())
            process.stdin.flush()
            start = time.monotonic()
            answer = _answer_within(process, 1.0)
            assert json.loads(answer)["decision"] == "allowed"
            assert time.monotonic() - start < 1.0
        # A burst larger than a batch, then one more line: all answered, the last at once. (Written
        # from a thread: the answers must be read while the burst is written.)
        writer = threading.Thread(target=lambda: (process.stdin.write(LINE.encode() * 5000),  # type: ignore[union-attr]
                                                  process.stdin.flush()))  # type: ignore[union-attr]
        writer.start()
        for _ in range(5000):
            _answer_within(process, 30)
        writer.join()
        process.stdin.write(LINE.encode())
        process.stdin.flush()
        assert json.loads(_answer_within(process, 1.0))["decision"] == "allowed"
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass


def _write_quietly(process: subprocess.Popen[bytes], data: bytes) -> None:
    try:
        assert process.stdin is not None
        process.stdin.write(data)
        process.stdin.flush()
    except (BrokenPipeError, ValueError, OSError):
        pass  # the process was stopped first


def _warm(process: subprocess.Popen[bytes]) -> None:
    assert process.stdin is not None
    process.stdin.write(LINE.encode())
    process.stdin.flush()
    _answer_within(process, 10)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_leaves_no_worker_behind(how: int) -> None:
    process = _start("--jobs", "2", "--jobs-force")
    assert process.stdin is not None
    try:
        _warm(process)
        # Enough batches to start the workers (written from a thread, so the output pipe may fill).
        threading.Thread(target=_write_quietly, args=(process, LINE.encode() * 6000), daemon=True).start()
        deadline = time.monotonic() + 20
        while len(_group(process.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_group(process.pid)) >= 3, "the workers did not start"
        process.send_signal(how)
        code = process.wait(timeout=20)
        assert code == (130 if how == signal.SIGINT else 128 + signal.SIGTERM)
        deadline = time.monotonic() + 5
        while _group(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _group(process.pid) == []
        assert process.stderr is not None and b"Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        _stop(process)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_signal_stops_a_command_whose_output_no_one_reads(how: int, jobs: str) -> None:
    """Stopped while its output pipe is full (the reader not reading): what no one has read is dropped,
    and the command exits at once rather than wait to flush it."""
    process = _start("--jobs", jobs, "--jobs-force")
    assert process.stdin is not None
    try:
        _warm(process)
        threading.Thread(target=_write_quietly, args=(process, LINE.encode() * 20000), daemon=True).start()
        time.sleep(2)  # far more answers than a pipe holds: the command now waits on its output
        process.send_signal(how)
        code = process.wait(timeout=20)
        assert code == (130 if how == signal.SIGINT else 128 + signal.SIGTERM)
        assert process.stderr is not None and b"Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        _stop(process)


def test_a_lost_worker_is_a_coded_error_and_stops_the_rest() -> None:
    """A worker killed mid-run: the command says so in one coded line, exits 2, and leaves no process."""
    process = _start("--jobs", "2", "--jobs-force")
    assert process.stdin is not None
    try:
        _warm(process)
        threading.Thread(target=_write_quietly, args=(process, LINE.encode() * 20000), daemon=True).start()
        deadline = time.monotonic() + 20
        while len(_group(process.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = [int(pid) for pid in _group(process.pid) if int(pid) != process.pid]
        assert workers, "the workers did not start"
        os.kill(workers[0], signal.SIGKILL)
        assert process.stdout is not None and process.stderr is not None
        threading.Thread(target=process.stdout.read, daemon=True).start()  # (the output pipe must not fill)
        code = process.wait(timeout=20)
        error = process.stderr.read()
        assert code == 2
        assert b"[worker-lost]" in error or b"worker-lost" in error
        assert b"Traceback" not in error
        deadline = time.monotonic() + 5
        while _group(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _group(process.pid) == []
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        _stop(process)


def test_library_file_and_directory_give_the_same_lines(tmp_path: Path) -> None:
    """Regression: with a library file, the text checks ran over the whole file (a bad character in any
    policy failed every line; the size quota counted the file; names were the file's path)."""
    library = {
        "A": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                       "Resource": "arn:aws:s3:::b/*"}]},
        "B": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                       "Resource": "arn:aws:s3:::b/€/*"}]},
        "Big": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                         "Resource": [f"arn:aws:s3:::b{i}/*" for i in range(400)]}]},
    }
    as_file = tmp_path / "library.json"
    as_file.write_text(json.dumps(library, indent=1, ensure_ascii=False), encoding="utf-8")
    as_dir = tmp_path / "library"
    as_dir.mkdir()
    for name, policy in library.items():
        (as_dir / f"{name}.json").write_text(json.dumps(policy, indent=1, ensure_ascii=False), encoding="utf-8")
    lines = tmp_path / "requests.jsonl"
    lines.write_text("".join(json.dumps({"id": name, "policies": {"identity": [{"$ref": name}]},
                                         "request": {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}})
                             + "\n" for name in library))
    outputs = {}
    for mode, path in (("file", as_file), ("dir", as_dir)):
        done = subprocess.run([sys.executable, "-m", "qiam", "batch", "--library", str(path), str(lines)],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
        outputs[mode] = [json.loads(line) for line in done.stdout.splitlines()]
    a, b, big = outputs["file"]
    assert a["decision"] == "allowed" and a["matched"][0]["name"] == "A"
    assert b["error"]["code"] == "invalid-character" and b["error"]["name"] == "B"
    assert [w["code"] for w in big["warnings"]] == ["policy-too-large"]
    assert "Big" in big["warnings"][0]["policy"]
    for one, other in zip(outputs["file"], outputs["dir"], strict=True):
        strip = {"line", "column"}  # positions point into each one's own text
        assert _without(one, strip) == _without(other, strip)


def _without(value: object, keys: set[str]) -> object:
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without(v, keys) for v in value]
    return value
