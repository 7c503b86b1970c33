"""The source distribution and the wheel build from a clean copy, offline, and the wheel installs and runs.

Slow (a build and a fresh virtual environment); CI runs it. The copy is what
git tracks (or, outside a checkout, the tree without built files), built with
``python -m build --no-isolation`` (setuptools and Cython from this
environment, nothing fetched), then the sdist is checked to ship the cores'
sources, not the generated C.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _clean_copy(target: Path) -> None:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if listed.returncode == 0 and listed.stdout:
        for name in listed.stdout.decode().split("\0"):
            if name and (ROOT / name).is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, target / name)
        return
    ignore = shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.so", "*.c", "__pycache__", ".hypothesis")
    shutil.copytree(ROOT, target, ignore=ignore, dirs_exist_ok=True)


@pytest.mark.slow
def test_sdist_and_wheel_build_offline_and_the_wheel_runs(tmp_path: Path) -> None:
    source = tmp_path / "clone"
    source.mkdir()
    _clean_copy(source)
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
                           capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    [sdist] = dist.glob("*.tar.gz")
    [wheel] = dist.glob("*.whl")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    for core in ("_match", "_decide", "_front"):
        assert any(n.endswith(f"src/qiam/{core}.pyx") for n in names), core
        assert not any(n.endswith(f"src/qiam/{core}.c") for n in names), core
    assert any(n.endswith("/LICENSE") for n in names)

    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], capture_output=True,
                               text=True, timeout=900)
    assert installed.returncode == 0, installed.stderr[-3000:]
    ran = subprocess.run([str(env / "bin" / "qiam"), "tasks"], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "AdministratorAccess" in ran.stdout
    version = subprocess.run([str(env / "bin" / "qiam"), "--version"], capture_output=True, text=True, timeout=60)
    assert "core: cython" in version.stdout
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata and "Requires-Python: >=3.11" in metadata
    assert "Classifier: Programming Language :: Cython" in metadata and "Project-URL:" in metadata
