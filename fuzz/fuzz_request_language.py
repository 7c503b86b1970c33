#!/usr/bin/env python3
"""Fuzz target: arbitrary text read as a request expression, as ``qiam check 'EXPR'`` reads it.

The bytes are decoded as the command line decodes its arguments (UTF-8, undecodable
bytes as lone surrogates). Rules: ``qiam.reqlang.parse_expression`` either reads the
expression or raises a coded error (its ``ExpressionError`` has a column within the
text and a caret that renders); each text it reads (action, resource, principal,
account, context keys and values) is written in the expression as it is read, when
the expression holds no escape; the request is then built as ``qiam check`` builds
it, on each engine, and either raises a coded ``QiamError`` on both or is the same
request on both, with the same decision under a small policy set (for a resource
pattern, whose scope ``fuzz_pipeline`` decides, the same request). Anything else,
and any crash, is a finding.

    python fuzz/fuzz_request_language.py -dict=fuzz/dicts/fuzz_request_language.dict \\
        fuzz/corpus/fuzz_request_language
"""

from __future__ import annotations

import sys
from typing import Any

import _common
import atheris

with atheris.instrument_imports(include=["qiam"]):
    _common.import_qiam()
    from qiam._impl import using
    from qiam.compile import compile_policies
    from qiam.context import Environment
    from qiam.errors import QiamError
    from qiam.reqlang import ExpressionError, parse_expression
    from qiam.request import Request

Finding = _common.Finding
# (tab-expansion, fuzz/findings/README.md, is fixed: the rules hold against the text itself.)
ENGINES = _common.engines()
ENVIRONMENT = Environment(region="eu-west-1", time="2026-01-01T12:00:00Z")
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:Get*", "kms:*"], "Resource": "*",
     "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
    {"Effect": "Allow", "Action": "ec2:*", "Resource": "arn:aws:ec2:*:111122223333:instance/*",
     "Condition": {"ForAllValues:StringLike": {"aws:TagKeys": ["team-*"]}}},
    {"Effect": "Deny", "NotAction": "iam:*", "Resource": "arn:aws:s3:::private/*",
     "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}}},
]}
POLICIES = {}
for _engine in ENGINES:
    with using(_engine):
        POLICIES[_engine] = compile_policies([POLICY])


def _decide(engine: str, parsed: Any) -> tuple[Any, ...]:
    """The request ``qiam check`` builds of the expression, and its decision (or the coded error)."""
    with using(engine):
        resource = parsed.resource
        pattern = resource != "*" and ("*" in resource or "?" in resource)
        try:
            request = Request(parsed.action, resource, principal=parsed.principal, context=dict(parsed.context),
                              resource_account=parsed.account, environment=ENVIRONMENT,
                              resource_match="all" if pattern else None)
        except QiamError as exc:
            return _common.error_outcome(exc)
        if pattern:  # (the scope of a pattern is fuzz_pipeline's: here, the request is what is compared)
            return ("pattern", request.to_dict())
        return ("decided", request.to_dict(), POLICIES[engine].evaluate(request).to_dict())


def _pieces(parsed: Any) -> list[str]:
    """Every text the expression gave: action, resource, principal, account, context keys and values."""
    out = [parsed.action, parsed.resource, parsed.principal or "", parsed.account or ""]
    for key, value in parsed.context.items():
        out.append(key)
        out.extend(value if isinstance(value, list) else [value])
    return out


def TestOneInput(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    read = text
    try:
        parsed = parse_expression(text)
    except QiamError as exc:
        if isinstance(exc, ExpressionError):
            if not 1 <= exc.column <= len(read) + 1:
                raise Finding(f"column {exc.column} is outside the expression ({len(text)} characters)") from None
            exc.caret()
        _common.error_outcome(exc)
        return
    if "\\" not in text:  # without an escape, every piece is written in the text as it is read
        for piece in _pieces(parsed):
            if piece not in read and not (piece == "*" and parsed.resource == "*"):
                raise Finding(f"{piece!r} is read from an expression that does not hold it: {text!r}")
    _common.agree(f"the request of {text!r}", {engine: _decide(engine, parsed) for engine in ENGINES})


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
