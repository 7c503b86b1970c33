"""Every example of the README works verbatim: each `qiam` command of its shell blocks, and its Python blocks.

The commands run from the root of the clone, as the README says, through the
installed package (``python -m qiam``). "Works" is: an answer (exit 0 or 1),
something printed, and no traceback; the Quick start's set-up commands are
CI's own and are not repeated here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
_BODY = README.split("## Quick start", 1)[1].split("\n## ", 1)[1]  # everything after the Quick start
COMMANDS = [line.strip() for block in re.findall(r"```sh\n(.*?)```", _BODY, re.S)
            for line in block.splitlines() if line.strip().startswith("qiam ")]
PYTHON = re.findall(r"```python\n(.*?)```", _BODY, re.S)


def test_readme_has_examples() -> None:
    assert len(COMMANDS) >= 10 and PYTHON


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_works_verbatim(command: str) -> None:
    shell = f"{sys.executable} -m qiam" + command[len("qiam"):]
    done = subprocess.run(shell, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert done.returncode in (0, 1), (command, done.returncode, done.stderr)
    assert done.stdout.strip(), command


@pytest.mark.parametrize("block", range(len(PYTHON)))
def test_readme_python_works_verbatim(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    exec(compile(PYTHON[block], f"README.md python block {block}", "exec"), {})
