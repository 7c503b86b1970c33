#!/usr/bin/env python3
"""Fuzz target: one batch line (bytes) through ``qiam.batch.BatchRunner`` on each engine.

Rules (batch-format.md): ``run_line`` returns a dict and never raises, whatever the
line; the answer is never an ``internal-error`` (that code says "this is a bug in
qiam"); it is JSON; the two engines give equal answers; and the bulk path of
``qiam batch`` (``run_bytes``) writes the same answer. The runner has a small library,
so that ``{"$ref": NAME}`` lines reach named policies (a valid one, a policy's text,
an invalid one). Anything else, and any crash, is a finding.

    python fuzz/fuzz_batch_line.py -dict=fuzz/dicts/fuzz_batch_line.dict fuzz/corpus/fuzz_batch_line
"""

from __future__ import annotations

import sys
from typing import Any

import _common
import atheris
import orjson

# qiam.scope's walk is pure algebra, held to a brute-force oracle by tests/core/test_scope.py and bounded
# by MAX_STATES and MAX_STEPS; instrumented, it runs about seven times slower, and a pattern request of
# 20 ms (walked four times here) then passes for a hang (fuzz/findings/README.md, many-stars).
with atheris.instrument_imports(include=["qiam"], exclude=["qiam.scope"]):
    _common.import_qiam()
    from qiam._impl import using
    from qiam.batch import BatchRunner, Library

Finding = _common.Finding
ENGINES = _common.engines()
LIBRARY = {
    "read": {"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::private/*",
         "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "${aws:username}"}}}]},
    "text": '{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*",'
            '"NotResource":"arn:aws:s3:::x"}}',
    "trust": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}},
    "invalid": {"Version": "2012-10-17", "Statement": {"Effect": "allow", "Action": "s3:GetObject"}},
}


def _answers(engine: str, line: bytes) -> tuple[Any, Any]:
    """What a fresh runner of the engine answers to the line: with ``run_line``, and with ``run_bytes``."""
    with using(engine):
        out = BatchRunner(Library(LIBRARY, where="library.json")).run_line(line)
        if type(out) is not dict:
            raise Finding(f"{engine}: run_line returned a {type(out).__name__}, not a dict: {out!r}")
        error = out.get("error")
        internal = isinstance(error, dict) and error.get("code") == "internal-error"
        if internal:
            raise Finding(f"{engine}: internal error: {error.get('message')}")
        try:
            as_json = orjson.loads(orjson.dumps(out))
        except (TypeError, orjson.JSONEncodeError) as exc:
            raise Finding(f"{engine}: the answer is not JSON ({exc}): {out!r}") from None
        written = None
        if line.strip():  # (qiam batch skips a blank line)
            rendered = list(BatchRunner(Library(LIBRARY, where="library.json")).run_bytes([line]))
            if len(rendered) != 1:
                raise Finding(f"{engine}: run_bytes wrote {len(rendered)} lines for one: {rendered!r}")
            written = orjson.loads(rendered[0][1])
            if written != as_json:
                raise Finding(f"{engine}: run_line and run_bytes answer differently:\n  run_line:  {as_json!r}\n"
                              f"  run_bytes: {written!r}")
        return as_json, written


def _check(data: bytes) -> None:
    _common.agree("the engines' answers", {engine: _answers(engine, data) for engine in ENGINES})


def TestOneInput(data: bytes) -> None:
    try:
        _check(data)
    except Finding:
        # A line that asks for derived context and gives no time is decided at "now", and a second may
        # tick between two answers: only what fails again is a finding.
        _check(data)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
