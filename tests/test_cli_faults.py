"""Every command under every fault class: a coded error and exit 2, never a traceback.

The fault classes: a missing path, a directory where a file belongs, an
output that cannot be written, a full disk (``/dev/full``), a closed pipe,
and a bad environment variable. Each command runs as a user runs it, in a
subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
POLICY = str(ROOT / "examples" / "policy.json")
REQUESTS = str(ROOT / "examples" / "requests.jsonl")
LIBRARY = str(ROOT / "examples" / "policies.json")

# Each command as it runs when nothing is wrong; the faults are made from these.
COMMANDS = {
    "tasks": ["tasks", "-p", POLICY, "--task", "plugins"],
    "check": ["check", "-p", POLICY, "kms:Decrypt on *"],
    "batch": ["batch", "--library", LIBRARY, REQUESTS],
    "validate": ["validate", POLICY],
    "expand": ["expand", "s3:Get*"],
}
MISSING = {
    "tasks": ["tasks", "-p", "/nonexistent/policy.json"],
    "check": ["check", "-p", "/nonexistent/policy.json", "kms:Decrypt on *"],
    "batch": ["batch", "/nonexistent/requests.jsonl"],
    "validate": ["validate", "/nonexistent/policy.json"],
    "expand": ["tasks", "--catalog", "/nonexistent/tasks.json", "--list"],
}
DIRECTORY = {
    "tasks": ["tasks", "-p", "/tmp"],
    "check": ["check", "-p", "/tmp", "kms:Decrypt on *"],
    "batch": ["batch", "/tmp"],
    "validate": ["validate", "/tmp"],
    "expand": ["batch", "--library", "/nonexistent/library", REQUESTS],
}


def _run(argv: list[str], *, stdout: Any = subprocess.PIPE, env: dict[str, str] | None = None
         ) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "qiam", *argv], stdout=stdout, stderr=subprocess.PIPE,
                          env=env or dict(os.environ), cwd=ROOT, timeout=120)
    out = done.stderr.decode(errors="replace")
    if isinstance(done.stdout, bytes):
        out += done.stdout.decode(errors="replace")
    return done.returncode, out


def _assert_coded(code: int, out: str) -> None:
    assert "Traceback" not in out, out
    assert code == 2, out
    assert "[" in out and "]" in out or '"error"' in out, out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_answers_when_nothing_is_wrong(command: str) -> None:
    code, out = _run(COMMANDS[command])
    assert code in (0, 1) and "Traceback" not in out, out


@pytest.mark.parametrize("command", sorted(MISSING))
def test_missing_path(command: str) -> None:
    _assert_coded(*_run(MISSING[command]))


@pytest.mark.parametrize("command", sorted(DIRECTORY))
def test_directory_for_a_file(command: str) -> None:
    _assert_coded(*_run(DIRECTORY[command]))


@pytest.mark.parametrize("target", ["/nonexistent/dir/out.jsonl", "/tmp", "/proc/version"])
def test_unwritable_output_file(target: str) -> None:
    code, out = _run([*COMMANDS["batch"], "-o", target])
    _assert_coded(code, out)
    assert "unwritable-output" in out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unwritable_standard_output(command: str, tmp_path: Path) -> None:
    path = tmp_path / "read-only"
    path.write_text("")
    with open(path, "rb") as readonly:  # a descriptor that cannot be written
        _assert_coded(*_run(COMMANDS[command], stdout=readonly))


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_full_disk(command: str) -> None:
    with open("/dev/full", "wb") as full:
        _assert_coded(*_run(COMMANDS[command], stdout=full))


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_closed_pipe(command: str) -> None:
    read, write = os.pipe()
    os.close(read)
    try:
        code, out = _run(COMMANDS[command], stdout=write)
    finally:
        os.close(write)
    assert "Traceback" not in out and code == 2, out


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(("variable", "value"), [("QIAM_IMPLEMENTATION", "bogus"),
                                                 ("QIAM_MAX_POLICY_BYTES", "lots")])
def test_bad_environment_variable(command: str, variable: str, value: str) -> None:
    code, out = _run(COMMANDS[command], env=dict(os.environ, **{variable: value}))
    _assert_coded(code, out)
    assert variable in out


def test_json_errors_are_json_objects() -> None:
    import json

    done = subprocess.run([sys.executable, "-m", "qiam", "check", "--json", "-p", "/nonexistent.json", "s3:X on *"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["code"] and error["message"]
