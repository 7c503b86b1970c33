#!/usr/bin/env python3
"""Fuzz target: bytes as a CloudFormation template (JSON or YAML) or a Terraform plan JSON, read by
``qiam.iac.read`` and loaded as an inventory file by ``qiam.inventory.load`` on each engine, then asked.

The bytes are the file ``template.json`` when they are JSON, else ``template.yaml``
(the names a template or plan has), read with the parameters ``AWS::AccountId`` and
``AWS::Region``.

Rules: reading and loading raise nothing but a ``QiamError`` with a registered code
(``iac-unreadable`` for a file that is neither; loading turns that into a
diagnostic); every diagnostic has a registered code and renders; loading a template
reports first what reading it reported (or its error); both engines load the same
principals, resources, managed policies, accounts and diagnostics and give the same
answers to a few ``who-can`` and ``can`` questions (``qiam.queries.Asker``), as in
``fuzz_inventory``, with its rules on what is broken and what did not load; and a value
the template cannot settle never grants: an Allow statement that holds one (a
``Document``'s ``dropped``) is in no compiled policy and matches in no allowed answer.
Anything else, and any crash, is a finding.

    python fuzz/fuzz_template.py -dict=fuzz/dicts/fuzz_template.dict fuzz/corpus/fuzz_template
"""

from __future__ import annotations

import sys
from typing import Any

import _common
import atheris
import orjson

with atheris.instrument_imports(include=["qiam"]):
    _common.import_qiam()
    from qiam import iac
    from qiam._impl import using
    from qiam.context import Environment
    from qiam.errors import QiamError
    from qiam.inventory import BOUNDARY, MANAGED, load

Finding = _common.Finding
ENGINES = _common.engines()
PARAMETERS = {"AWS::AccountId": "111122223333", "AWS::Region": "eu-west-1"}
ENVIRONMENT = Environment(region="eu-west-1", time="2026-01-01T12:00:00Z")
# (action, resource) as in fuzz_inventory: on that resource, or (None) on the template's own resources.
QUESTIONS: tuple[tuple[str, str | None], ...] = (
    ("sts:AssumeRole", None),
    ("s3:GetObject", "arn:aws:s3:::data/k"),
    ("s3:PutObject", "arn:aws:s3:::example-app-prod-data/build/app.zip"),
    ("kms:Decrypt", None),
    ("sqs:SendMessage", None),
    ("iam:PassRole", None),
)
FOLDER = _common.scratch("fuzz_template")


def _read(path: Any, data: bytes, render: bool) -> Any:
    """What ``qiam.iac.read`` makes of the bytes: a Template, or the coded error's outcome."""
    try:
        template = iac.read(path, PARAMETERS, data=data)
    except QiamError as exc:
        return _common.coded(exc)
    except Exception as exc:
        raise Finding(f"qiam.iac.read raised {type(exc).__name__}: {exc}") from exc
    for diagnostic in template.diagnostics:
        _common.diagnostic_outcome(diagnostic, render)
    return template


def _never_applies(template: Any) -> set[tuple[Any, ...]]:
    """The Allow statements a value not known here keeps from applying: (policy name, base, index)."""
    return {(doc.source.name, doc.source.base, i) for doc in template.documents.values() for i in doc.dropped}


def _check_dropped(inventory: Any, template: Any) -> None:
    for doc in template.documents.values():
        if not doc.dropped:
            continue
        profiles = (doc.profile, BOUNDARY) if doc.profile == MANAGED else (doc.profile,)
        for profile in profiles:
            compiled = inventory.compiled(doc.key, profile)
            kept = {st.index for st in compiled.statements} & doc.dropped if compiled is not None else set()
            if kept:
                raise Finding(f"{doc.key} ({profile}) keeps statements {sorted(kept)}, which hold a value not "
                              "known here")


def _outcome(engine: str, path: Any, template: Any, render: bool) -> tuple[Any, ...]:
    """What the engine loads and answers (or the coded error loading raised)."""
    dropped = _never_applies(template) if not isinstance(template, tuple) else set()

    def check(answer: Any) -> None:
        for ref in answer.result.matched if answer.allowed else ():
            source = ref.location.source
            if ref.effect == "Allow" and source is not None and (source.name, source.base, ref.index) in dropped:
                raise Finding(f"{answer.principal.arn} {answer.action} {answer.resource} is allowed by statement "
                              f"{ref.index} of {ref.name}, which holds a value not known here")

    with using(engine):
        try:
            inventory = load([path], parameters=PARAMETERS)
        except QiamError as exc:
            return _common.coded(exc)
        except Exception as exc:
            raise Finding(f"{engine}: loading raised {type(exc).__name__}: {exc}") from exc
        if not isinstance(template, tuple):
            _check_dropped(inventory, template)
        return ("loaded", _common.inventory_outcome(inventory, QUESTIONS, ENVIRONMENT, render, check=check))


def TestOneInput(data: bytes) -> None:
    try:
        decoded: Any = orjson.loads(data)
        path = FOLDER / "template.json"
    except orjson.JSONDecodeError:
        decoded = None
        path = FOLDER / "template.yaml"
    path.write_bytes(data)
    template = _read(path, data, True)
    outcomes = {engine: _outcome(engine, path, template, engine == ENGINES[0]) for engine in ENGINES}
    _common.agree("what the engines load and answer", outcomes)
    loaded = next(iter(outcomes.values()))
    if loaded[0] == "loaded" and iac.is_template(path, decoded):
        # Loading a template reports what reading it reported first (or the error, as a diagnostic).
        diagnostics = loaded[1][0]
        if isinstance(template, tuple):
            want = [template[2]]
            got = [d[0] for d in diagnostics[:1]]
        else:
            want = [(d.code, d.severity.value, d.location.pointer) for d in template.diagnostics]
            got = diagnostics[:len(want)]
        if got != want:
            raise Finding(f"reading and loading the template report differently:\n  read: {want!r}\n  load: {got!r}")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
