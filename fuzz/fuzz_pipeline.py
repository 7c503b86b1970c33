#!/usr/bin/env python3
"""Fuzz target: a policy (mutated AWS managed policies) compiled four ways, and a request decided under each.

The input is a policy's text, then a NUL byte, then the bytes a request is drawn from
(``atheris.FuzzedDataProvider``: the profile, and an action, a resource and context keys
taken mostly from the policy's own strings, their wildcards filled in, so that requests
land on and beside what the policy names). Without a NUL the whole input is the policy.

The policy is compiled by each engine (``cython``, ``python``) with the usual compiler
(document reader, then statement loop) and with the reference that validates the whole
policy and then compiles it (``Compiler._front_end = False``). All four must give the
same error code, or the same warnings and, for the request, the same decision, matched
statements (with line and column) and reasons; ``explain`` must agree with ``evaluate``.
Anything else, and any exception but a coded ``QiamError``, is a finding.

    python fuzz/fuzz_pipeline.py -dict=fuzz/dicts/fuzz_pipeline.dict fuzz/corpus/fuzz_pipeline
"""

from __future__ import annotations

import sys
from typing import Any

import _common
import atheris
import orjson

with atheris.instrument_imports(include=["qiam"]):
    _common.import_qiam()
    from qiam._impl import using
    from qiam.compile import Compiler
    from qiam.context import Environment
    from qiam.errors import QiamError
    from qiam.policyset import PolicySet
    from qiam.request import Request

Finding = _common.Finding
ENGINES = _common.engines()
COMPILERS = {"document reader": Compiler, "validate then compile": _common.full_compiler()}

# The profile, and where a policy of it stands in a policy set beside an allow-everything identity policy.
# (A resource policy or an RCP needs a Principal, which few managed policies have: those are drawn less.)
PROFILES = ("identity",) * 6 + ("permissions-boundary", "session", "session", "scp", "scp", "resource", "rcp")
ALLOW_ALL = b'{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}'
ACTIONS = ("s3:GetObject", "s3:ListBucket", "iam:PassRole", "kms:Decrypt", "ec2:RunInstances", "sts:AssumeRole",
           "lambda:InvokeFunction", "q:SendMessage", "dynamodb:GetItem", "logs:PutLogEvents")
RESOURCES = ("*", "arn:aws:s3:::bucket/key", "arn:aws:iam::111122223333:role/Admin",
             "arn:aws:kms:us-east-1:111122223333:key/k", "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
             "arn:aws:lambda:eu-west-1:444455556666:function:f", "arn:aws:s3:::bucket")
PRINCIPALS = (None, None, "arn:aws:iam::111122223333:user/alice", "arn:aws:sts::111122223333:assumed-role/R/s",
              "arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:role/other", "sns.amazonaws.com",
              "anonymous")
KEYS = ("aws:SourceIp", "aws:username", "aws:PrincipalTag/team", "aws:TagKeys", "aws:SecureTransport",
        "aws:CurrentTime", "aws:RequestedRegion", "s3:prefix", "aws:PrincipalOrgID", "kms:ViaService")
VALUES = ("10.0.0.1", "2001:db8::1", "true", "false", "alice", "2020-01-01T00:00:00Z", "5", "us-east-1", "",
          "arn:aws:iam::111122223333:role/Admin", "o-123", "team-a")
ACTION_FILLS = ("Object", "x", "List", "Get")  # what a wildcard stands for: in an action, never nothing
RESOURCE_FILLS = ("", "x", "key/a", "Object")
FILLS = ("", "x", "Object", "a/b", "*", "?", ":", "${aws:username}", "é")  # a character changed
ENVIRONMENT = Environment(region="us-east-1", time="2026-01-01T12:00:00Z")
ALLOW_ALL_COMPILED: dict[str, Any] = {}  # by engine
for _engine in ENGINES:
    with using(_engine):
        ALLOW_ALL_COMPILED[_engine] = Compiler().compile(ALLOW_ALL)


def _strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, list):
        for item in value:
            _strings(item, out)


def _policy_strings(text: bytes) -> tuple[list[tuple[list[str], list[str]]], list[str], list[str]]:
    """The policy's statements' actions and resources, and its condition keys and values (if the text decodes)."""
    statements: list[tuple[list[str], list[str]]] = []
    keys: list[str] = []
    values: list[str] = []
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError:
        return statements, keys, values
    found = raw.get("Statement") if isinstance(raw, dict) else None
    for st in found if isinstance(found, list) else [found]:
        if not isinstance(st, dict):
            continue
        actions: list[str] = []
        resources: list[str] = []
        _strings(st.get("Action", st.get("NotAction")), actions)
        _strings(st.get("Resource", st.get("NotResource")), resources)
        statements.append((actions, resources))
        condition = st.get("Condition")
        for body in condition.values() if isinstance(condition, dict) else ():
            if isinstance(body, dict):
                keys.extend(body)
                for value in body.values():
                    _strings(value, values)
    return statements, keys, values


def _pick(fdp: atheris.FuzzedDataProvider, found: list[str], pool: tuple[Any, ...]) -> Any:
    """Mostly one of the policy's own strings, else one of the pool."""
    if found and fdp.ConsumeIntInRange(0, 3):
        return found[fdp.ConsumeIntInRange(0, len(found) - 1)]
    return pool[fdp.ConsumeIntInRange(0, len(pool) - 1)]


def _fill(fdp: atheris.FuzzedDataProvider, pattern: str, fills: tuple[str, ...] = RESOURCE_FILLS) -> str:
    """A text the pattern names, or nearly: each wildcard filled in, now and then a character changed."""
    out = []
    for c in pattern[:256]:
        if c == "*":
            out.append(fills[fdp.ConsumeIntInRange(0, len(fills) - 1)])
        elif c == "?":
            out.append("abc"[fdp.ConsumeIntInRange(0, 2)])
        else:
            out.append(c)
    text = "".join(out)
    if text and fdp.ConsumeIntInRange(0, 7) == 0:
        at = fdp.ConsumeIntInRange(0, len(text) - 1)
        text = text[:at] + FILLS[fdp.ConsumeIntInRange(0, len(FILLS) - 1)] + text[at + 1 :]
    if fdp.ConsumeIntInRange(0, 7) == 0:
        text = text.swapcase()
    return text


def _request_arguments(fdp: atheris.FuzzedDataProvider, policy: bytes) -> tuple[str, dict[str, Any]]:
    """The profile, and Request's keyword arguments, drawn from the input."""
    statements, keys, values = _policy_strings(policy)
    # An action and a resource of one statement, mostly: a request that statement may well decide.
    actions, resources = statements[fdp.ConsumeIntInRange(0, len(statements) - 1)] if statements else ([], [])
    profile = PROFILES[fdp.ConsumeIntInRange(0, len(PROFILES) - 1)]
    context: dict[str, Any] = {}
    for _ in range(fdp.ConsumeIntInRange(0, 3)):
        key = _pick(fdp, keys, KEYS)
        if fdp.ConsumeIntInRange(0, 3) == 0:
            context[key] = [_fill(fdp, _pick(fdp, values, VALUES)) for _ in range(fdp.ConsumeIntInRange(0, 2))]
        else:
            context[key] = _fill(fdp, _pick(fdp, values, VALUES))
    action = _pick(fdp, actions, ACTIONS)
    if action == "*":
        action = ACTIONS[fdp.ConsumeIntInRange(0, len(ACTIONS) - 1)]
    resource = _pick(fdp, resources, RESOURCES)
    if resource == "*" and fdp.ConsumeBool():
        resource = RESOURCES[fdp.ConsumeIntInRange(0, len(RESOURCES) - 1)]
    resource = resource if resource == "*" else _fill(fdp, resource)
    arguments = {
        "action": _fill(fdp, action, ACTION_FILLS),
        "resource": resource,
        "principal": PRINCIPALS[fdp.ConsumeIntInRange(0, len(PRINCIPALS) - 1)],
        "context": context,
        "derive_context": fdp.ConsumeBool(),
        "environment": ENVIRONMENT,
    }
    if ("*" in resource or "?" in resource) and resource != "*" and fdp.ConsumeIntInRange(0, 3) == 0:
        arguments["resource_match"] = ("all", "some")[fdp.ConsumeIntInRange(0, 1)]
    return profile, arguments


def _policy_set(compiled: Any, profile: str, allow_all: Any) -> PolicySet:
    if profile == "identity":
        return PolicySet(identity=(compiled,))
    if profile == "permissions-boundary":
        return PolicySet(identity=(allow_all,), boundary=compiled)
    if profile == "session":
        return PolicySet(identity=(allow_all,), session=(compiled,))
    if profile == "scp":
        return PolicySet(identity=(allow_all,), scps=((compiled,),))
    if profile == "rcp":
        return PolicySet(identity=(allow_all,), rcps=((compiled,),))
    return PolicySet(resource=compiled)


def _result(found: Any) -> tuple[Any, ...]:
    """The decision, the statements that decided it (with line and column), the reasons, and the rest of
    the batch format's fields (a pattern request's ScopeResult: those of one resource's Result, and its own)."""
    result = getattr(found, "result", found)
    return (found.decision.value, [ref.to_dict() for ref in result.matched], tuple(result.reasons), found.to_dict())


def _run(engine: str, compiler_class: Any, policy: bytes, profile: str, arguments: dict[str, Any]) -> Any:
    """What one engine and one compiler make of the policy and the request."""
    with using(engine):
        try:
            compiled = compiler_class().compile(policy, profile, name="policy")
        except QiamError as exc:
            return _common.error_outcome(exc)
        warnings = [(d.code, d.severity.value, d.location.pointer, d.location.line, d.location.column)
                    for d in compiled.diagnostics]
        try:
            request = Request(**arguments)
        except QiamError as exc:
            return ("compiled", warnings, _common.error_outcome(exc))
        policies = _policy_set(compiled, profile, ALLOW_ALL_COMPILED[engine])
        if request.resource_match is not None:
            return ("compiled", warnings, _result(policies.evaluate_scope(request)))
        result = policies.evaluate(request)
        explained = policies.explain(request)
        if explained.result.decision is not result.decision:
            raise Finding(f"{engine}: explain says {explained.result.decision} where evaluate says {result.decision}")
        return ("compiled", warnings, _result(result))


def TestOneInput(data: bytes) -> None:
    policy, nul, tail = data.rpartition(b"\x00")
    if not nul:
        policy, tail = data, b""
    profile, arguments = _request_arguments(atheris.FuzzedDataProvider(tail), policy)
    outcomes = {f"{engine}, {label}": _run(engine, compiler_class, policy, profile, arguments)
                for engine in ENGINES for label, compiler_class in COMPILERS.items()}
    _common.agree(f"profile {profile}, request {arguments!r}", outcomes)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
