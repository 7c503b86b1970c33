"""No ``Any`` on the public surface: a caller's type checker sees what every value is.

The public surface is every name a public module exports (its ``__all__``, or
its names without a leading underscore), and for a class its public methods,
properties and annotated attributes. The command line (``qiam.cli``) is a
program, not an API, and is left out.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import qiam

ANY = re.compile(r"\bAny\b")
SPECIAL = {"__init__", "__call__", "__iter__", "__getitem__"}
SOURCE = Path(__file__).resolve().parent.parent.parent / "src"


def _public_modules() -> list[str]:
    names = ["qiam"]
    for module in pkgutil.walk_packages(qiam.__path__, "qiam."):
        parts = module.name.split(".")[1:]
        if parts[0] != "cli" and not any(part.startswith("_") for part in parts):
            names.append(module.name)
    return names


def _annotations(obj: object) -> dict[str, str]:
    try:
        found = inspect.get_annotations(obj)  # type: ignore[arg-type]
    except TypeError:
        return {}
    return {name: value if isinstance(value, str) else repr(value) for name, value in found.items()}


def _surface() -> Iterator[tuple[str, str]]:
    """(qualified name, annotation) for every annotation of the public surface."""
    for name in _public_modules():
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for export in exported:
            obj = getattr(module, export, None)
            functions: list[tuple[str, object]] = [(export, obj)]
            if inspect.isclass(obj):
                for attribute, annotation in _annotations(obj).items():
                    if not attribute.startswith("_"):
                        yield f"{name}.{export}.{attribute}", annotation
                for member, value in vars(obj).items():
                    if member.startswith("_") and member not in SPECIAL:
                        continue
                    target = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
                    functions.append((f"{export}.{member}", target))
            for label, function in functions:
                if inspect.isfunction(function):
                    for parameter, annotation in _annotations(function).items():
                        yield f"{name}.{label}({parameter})", annotation


def test_the_surface_is_scanned() -> None:
    names = {label for label, _ in _surface()}
    # The scan reaches the main entry points: an empty scan would pass vacuously.
    assert any(label.startswith("qiam.compile_policy(") for label in names)
    assert "qiam.PolicySet.evaluate" in names
    assert any(label.startswith("qiam.Explanation.decision(") for label in names)


def test_no_any_on_the_public_surface() -> None:
    offenders = sorted({f"{label}: {annotation}" for label, annotation in _surface() if ANY.search(annotation)})
    assert offenders == []


def test_no_any_in_the_cores_stubs() -> None:
    # The compiled classes (Result, Statement, Evaluator) are typed by their stubs alone.
    offenders = [f"{stub.name}:{number}: {line.strip()}"
                 for stub in sorted((SOURCE / "qiam").glob("*.pyi"))
                 for number, line in enumerate(stub.read_text(encoding="utf-8").splitlines(), 1)
                 if ANY.search(line)]
    assert offenders == []


def test_a_callers_checker_sees_concrete_types(tmp_path: Path) -> None:
    example = tmp_path / "caller.py"
    example.write_text(
        "import qiam\n"
        "policy = qiam.compile_policy('{\"Version\": \"2012-10-17\", \"Statement\": []}')\n"
        "decision = qiam.PolicySet(identity=[policy]).evaluate(qiam.Request('s3:GetObject', '*'))\n"
        "reveal_type(decision.allowed)\n"
        "reveal_type(decision.to_dict())\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--config-file", "/dev/null",
         "--cache-dir", str(tmp_path / "cache"), str(example)],
        capture_output=True, text=True, timeout=300, env={"MYPYPATH": str(SOURCE), "PATH": ""},
    )
    revealed = [line for line in done.stdout.splitlines() if "Revealed type" in line]
    assert len(revealed) == 2, done.stdout + done.stderr
    assert revealed[0].endswith('"bool"') or "builtins.bool" in revealed[0]
    assert "Any" not in revealed[1] and "dict[" in revealed[1]
