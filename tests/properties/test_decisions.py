"""Properties of decisions on generated identity policies (semantics.md §2, §3, §4.3).

Policies are drawn from small pools of actions (with wildcards), resources (with
a policy variable), NotAction / NotResource, and conditions on a few keys; the
requests from small pools of actions, resources and contexts. Each property is
checked against ``PolicySet.evaluate``, and a brute-force oracle written here
from the spec's rules decides the same requests independently.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qiam import Decision, Request, Result, compile_policies
from qiam.evaluate import PolicySet

V2012 = "2012-10-17"

# ----- pools -----

POLICY_ACTIONS = [
    "*",
    "*",
    "s3:*",
    "s3:Get*",
    "s3:GetObject",
    "S3:get?bject",
    "s3:Put*",
    "iam:*",
    "iam:List*",
    "iam:?etUser",
    "iam:*AccessKey*",
    "ec2:Describe*",
    "ec2:*Instances",
    "kms:*",
    "s3:GetObject ",
]
REQUEST_ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListAllMyBuckets",
    "iam:GetUser",
    "iam:ListUsers",
    "iam:CreateAccessKey",
    "ec2:DescribeInstances",
    "ec2:RunInstances",
    "kms:Decrypt",
    "sqs:SendMessage",
    "S3:GETOBJECT",
]
POLICY_RESOURCES = [
    "*",
    "*",
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b*",
    "arn:aws:s3:::*",
    "arn:aws:iam::111122223333:user/*",
    "arn:aws:ec2:*:111122223333:instance/*",
    "arn:aws:s3:::b/${aws:username}/*",
    "arn:aws:*:us-*:*:*",
]
REQUEST_RESOURCES = [
    "*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::b/alice/k",
    "arn:aws:s3:::b/a*/k",
    "arn:aws:s3:::c/k",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
    "arn:aws:ec2:us-east-1:444455556666:instance/i-1",
    "arn:aws:sqs:us-east-1:111122223333:q",
]

STRING_OPS = [
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIgnoreCase",
]
NEGATED = {
    "StringNotEquals",
    "StringNotLike",
    "StringNotEqualsIgnoreCase",
    "NumericNotEquals",
    "NotIpAddress",
}

# (operators, key, policy value pool, allow a set prefix, single value only)
CONDITION_POOLS: list[tuple[list[str], str, list[str], bool, bool]] = [
    (STRING_OPS, "aws:username", ["alice", "bob", "a*", "Alice"], False, False),
    (["Bool"], "aws:SecureTransport", ["true", "false"], False, True),
    (
        ["NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericGreaterThanEquals"],
        "s3:max-keys",
        ["10", "5", "7.5"],
        False,
        False,
    ),
    (
        ["IpAddress", "NotIpAddress"],
        "aws:SourceIp",
        ["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"],
        False,
        False,
    ),
    (STRING_OPS, "aws:TagKeys", ["a", "b", "c*"], True, False),
    (["Null"], "aws:username", ["true", "false"], False, True),
    (["Null"], "aws:TagKeys", ["true", "false"], False, True),
]

ABSENT = object()
CONTEXT_POOLS: dict[str, list[Any]] = {
    "aws:username": [ABSENT, ABSENT, "alice", "bob", "a*", "Alice", "", ["alice"]],
    "aws:SecureTransport": [ABSENT, "true", "false", "TRUE", "maybe"],
    "s3:max-keys": [ABSENT, "3", "5", "7.50", "10", "11", "many"],
    "aws:SourceIp": [ABSENT, "10.1.2.3", "192.0.2.1", "192.0.2.2", "2001:db8::1", "bogus"],
    "aws:TagKeys": [
        ABSENT,
        ABSENT,
        [],
        ["a"],
        ["a", "b"],
        ["c1"],
        ["", "a"],
        [""],
        ["d", "a"],
        "a",
    ],
}


# ----- strategies -----


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    block: dict[str, dict[str, Any]] = {}
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2]))):
        ops, key, pool, set_ok, single = draw(st.sampled_from(CONDITION_POOLS))
        base = draw(st.sampled_from(ops))
        name = base
        if base != "Null" and draw(st.integers(0, 3)) == 0:
            name += "IfExists"
        if set_ok or draw(st.integers(0, 5)) == 0:
            prefix = draw(st.sampled_from([None, "ForAllValues", "ForAnyValue"]))
            if prefix is not None and base != "Null":
                name = f"{prefix}:{name}"
        if single:
            values: Any = draw(st.sampled_from(pool))
        else:
            values = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True))
            if len(values) == 1 and draw(st.booleans()):
                values = values[0]
        block.setdefault(name, {})[key] = values
    return block


@st.composite
def statements(draw: st.DrawFn, effect: str | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    actions = draw(st.lists(st.sampled_from(POLICY_ACTIONS), min_size=1, max_size=3, unique=True))
    statement["NotAction" if draw(st.integers(0, 4)) == 0 else "Action"] = (
        actions[0] if len(actions) == 1 else actions
    )
    resources = draw(
        st.lists(st.sampled_from(POLICY_RESOURCES), min_size=1, max_size=2, unique=True)
    )
    statement["NotResource" if draw(st.integers(0, 4)) == 0 else "Resource"] = (
        resources[0] if len(resources) == 1 else resources
    )
    condition = draw(conditions())
    if condition:
        statement["Condition"] = condition
    return statement


@st.composite
def policy_lists(draw: st.DrawFn) -> list[list[dict[str, Any]]]:
    """1 or 2 policies of 1 to 4 statements; every statement gets a unique Sid."""
    policies = draw(
        st.lists(st.lists(statements(), min_size=1, max_size=4), min_size=1, max_size=2)
    )
    for p, stmts in enumerate(policies):
        for i, statement in enumerate(stmts):
            statement["Sid"] = f"P{p}S{i}"
    return policies


@st.composite
def requests(draw: st.DrawFn) -> Request:
    context: dict[str, Any] = {}
    for key, pool in CONTEXT_POOLS.items():
        value = draw(st.sampled_from(pool))
        if value is not ABSENT:
            context[key] = value
    return Request(
        draw(st.sampled_from(REQUEST_ACTIONS)),
        draw(st.sampled_from(REQUEST_RESOURCES)),
        context=context,
    )


REQUESTS = st.lists(requests(), min_size=1, max_size=8)


def build(policies: Sequence[Sequence[dict[str, Any]]]) -> PolicySet:
    return compile_policies([{"Version": V2012, "Statement": list(stmts)} for stmts in policies])


def applying_sids(result: Result) -> set[str | None]:
    return {m.sid for m in result.matched}


# ----- the oracle: the spec's rules, written out by brute force -----


def glob(pattern: str, text: str, *, variables: Mapping[str, str] | None = None) -> bool:
    """`*` any run, `?` one character, the rest literal; `${aws:username}` substituted literally."""
    regex = []
    i = 0
    while i < len(pattern):
        if variables is not None and pattern.startswith("${", i):
            end = pattern.index("}", i)
            regex.append(re.escape(variables[pattern[i + 2 : end].lower()]))
            i = end + 1
            continue
        c = pattern[i]
        regex.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return re.fullmatch("".join(regex), text, re.DOTALL) is not None


def action_matches(pattern: str, action: str) -> bool:
    if pattern == "*":
        return True
    p_service, _, p_name = pattern.partition(":")
    r_service, _, r_name = action.partition(":")
    return p_service.lower() == r_service.lower() and glob(p_name.lower(), r_name.lower())


def resource_matches(pattern: str, resource: str, context: Mapping[str, Any]) -> bool:
    if pattern == "*":
        return True
    if resource == "*":
        return False
    variables: dict[str, str] = {}
    if "${" in pattern:
        username = context.get("aws:username")
        if not isinstance(username, str):
            return False  # unresolved: the entry matches nothing
        variables["aws:username"] = username
    p_fields, r_fields = pattern.split(":", 5), resource.split(":", 5)
    if len(p_fields) != 6 or len(r_fields) != 6:
        return False
    return all(glob(p, r, variables=variables) for p, r in zip(p_fields, r_fields, strict=True))


NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)


def number(text: str) -> Decimal | None:
    return Decimal(text) if NUMBER.fullmatch(text) else None


def ip(text: str) -> Any:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def one_value(base: str, request_value: str, policy_values: list[str]) -> bool | None:
    """The base operator on one request value: OR over policy values, NOR when negated."""
    found: bool | None
    if base in ("StringEquals", "StringNotEquals"):
        found = request_value in policy_values
    elif base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        found = request_value.lower() in [v.lower() for v in policy_values]
    elif base in ("StringLike", "StringNotLike"):
        found = any(glob(v, request_value) for v in policy_values)
    elif base == "Bool":
        if request_value.lower() not in ("true", "false"):
            return None  # cannot be read: fail closed (README, "How it decides")
        return request_value.lower() in [v.lower() for v in policy_values]
    elif base.startswith("Numeric"):
        n = number(request_value)
        if n is None:
            return None
        compare = {
            "NumericEquals": lambda a, b: a == b,
            "NumericNotEquals": lambda a, b: a == b,
            "NumericLessThan": lambda a, b: a < b,
            "NumericGreaterThanEquals": lambda a, b: a >= b,
        }[base]
        found = any(compare(n, Decimal(v)) for v in policy_values)
    elif base in ("IpAddress", "NotIpAddress"):
        address = ip(request_value)
        if address is None:
            return None
        found = any(
            address.version == ipaddress.ip_network(v).version
            and address in ipaddress.ip_network(v)
            for v in policy_values
        )
    else:  # pragma: no cover - the pools hold no other operator
        raise AssertionError(base)
    return (not found) if base in NEGATED else found


def all3(results: list[bool | None]) -> bool | None:
    if False in results:
        return False
    return None if None in results else True


def any3(results: list[bool | None]) -> bool | None:
    if True in results:
        return True
    return None if None in results else False


def condition_holds(name: str, key: str, values: Any, context: Mapping[str, Any]) -> bool | None:
    policy_values = values if isinstance(values, list) else [values]
    prefix, _, rest = name.rpartition(":")
    if_exists = rest.endswith("IfExists")
    base = rest[: -len("IfExists")] if if_exists else rest
    raw = context.get(key.lower())
    if base == "Null":
        present = (
            raw is not None
            and raw != ""
            and not (isinstance(raw, list) and all(v == "" for v in raw))
        )
        return any((v.lower() == "true") is (not present) for v in policy_values)
    if raw is None:
        if if_exists:
            return True
        if prefix:
            return prefix == "ForAllValues"
        return base in NEGATED
    if not prefix:
        if isinstance(raw, list):
            return False  # plain operator on a multivalued key (E79, recommended reading)
        return one_value(base, raw, policy_values)
    request_values = [v for v in (raw if isinstance(raw, list) else [raw]) if v != ""]
    results = [one_value(base, v, policy_values) for v in request_values]
    return all3(results) if prefix == "ForAllValues" else any3(results)


def statement_applies(
    statement: Mapping[str, Any], request: Request, context: Mapping[str, Any]
) -> bool | None:
    def listed(element: str) -> list[str]:
        value = statement[element]
        return [value] if isinstance(value, str) else list(value)

    if "Action" in statement:
        if not any(action_matches(a, request.action) for a in listed("Action")):
            return False
    elif any(action_matches(a, request.action) for a in listed("NotAction")):
        return False
    if "Resource" in statement:
        if not any(resource_matches(r, request.resource, context) for r in listed("Resource")):
            return False
    elif any(resource_matches(r, request.resource, context) for r in listed("NotResource")):
        return False
    results = [
        condition_holds(op, key, values, context)
        for op, block in statement.get("Condition", {}).items()
        for key, values in block.items()
    ]
    return all3(results)


def oracle(
    policies: Sequence[Sequence[dict[str, Any]]], request: Request, context: Mapping[str, Any]
) -> tuple[Decision, set[str]]:
    denies: set[str] = set()
    allows: set[str] = set()
    for stmts in policies:
        for statement in stmts:
            applies = statement_applies(statement, request, context)
            if statement["Effect"] == "Deny" and applies is not False:
                denies.add(statement["Sid"])
            elif statement["Effect"] == "Allow" and applies is True:
                allows.add(statement["Sid"])
    if denies:
        return Decision.EXPLICIT_DENY, denies
    if allows:
        return Decision.ALLOW, allows
    return Decision.IMPLICIT_DENY, set()


def plain_context(request: Request) -> dict[str, Any]:
    """The request's (case-folded) context with lists as lists, for the oracle."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in request.context.items()}


# At least 150 examples; more when the loaded Hypothesis profile (e.g. ``ci``) asks for more.
PROPERTY = settings(
    max_examples=max(150, settings.default.max_examples),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# ----- properties -----


@PROPERTY
@given(policies=policy_lists(), batch=REQUESTS)
def test_decisions_agree_with_oracle(
    policies: list[list[dict[str, Any]]], batch: list[Request]
) -> None:
    ps = build(policies)
    for request in batch:
        result = ps.evaluate(request)
        decision, sids = oracle(policies, request, plain_context(request))
        assert (result.decision, applying_sids(result)) == (decision, sids), request


@PROPERTY
@given(condition=conditions().filter(bool), batch=REQUESTS)
def test_decisions_conditions_agree_with_oracle(
    condition: dict[str, dict[str, Any]], batch: list[Request]
) -> None:
    granting = build(
        [[{"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}]]
    )
    denying = build(
        [
            [
                {"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*"},
                {
                    "Sid": "D",
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": condition,
                },
            ]
        ]
    )
    for request in batch:
        context = plain_context(request)
        expected = all3(
            [
                condition_holds(op, key, values, context)
                for op, block in condition.items()
                for key, values in block.items()
            ]
        )
        granted, denied = granting.evaluate(request).decision, denying.evaluate(request).decision
        assert granted is (Decision.ALLOW if expected is True else Decision.IMPLICIT_DENY), (
            request,
            expected,
        )
        assert denied is (Decision.ALLOW if expected is False else Decision.EXPLICIT_DENY), (
            request,
            expected,
        )


@PROPERTY
@given(policies=policy_lists(), batch=REQUESTS, data=st.data())
def test_decisions_statement_order_never_matters(
    policies: list[list[dict[str, Any]]], batch: list[Request], data: st.DataObject
) -> None:
    original = build(policies)
    shuffled = build(
        [data.draw(st.permutations(stmts)) for stmts in data.draw(st.permutations(policies))]
    )
    for request in batch:
        before, after = original.evaluate(request), shuffled.evaluate(request)
        assert after.decision is before.decision
        assert applying_sids(after) == applying_sids(before)


@PROPERTY
@given(policies=policy_lists(), batch=REQUESTS, extra=statements(effect="Deny"), data=st.data())
def test_decisions_adding_deny_never_allows(
    policies: list[list[dict[str, Any]]],
    batch: list[Request],
    extra: dict[str, Any],
    data: st.DataObject,
) -> None:
    extra["Sid"] = "Extra"
    target = data.draw(st.integers(0, len(policies) - 1))
    grown = [list(stmts) for stmts in policies]
    grown[target].insert(data.draw(st.integers(0, len(grown[target]))), extra)
    original, larger = build(policies), build(grown)
    for request in batch:
        before, after = original.evaluate(request).decision, larger.evaluate(request).decision
        if before is not Decision.ALLOW:
            assert after is not Decision.ALLOW
        assert after in (before, Decision.EXPLICIT_DENY)


@PROPERTY
@given(policies=policy_lists(), batch=REQUESTS, extra=statements(effect="Allow"), data=st.data())
def test_decisions_adding_allow_never_denies(
    policies: list[list[dict[str, Any]]],
    batch: list[Request],
    extra: dict[str, Any],
    data: st.DataObject,
) -> None:
    extra["Sid"] = "Extra"
    target = data.draw(st.integers(0, len(policies) - 1))
    grown = [list(stmts) for stmts in policies]
    grown[target].insert(data.draw(st.integers(0, len(grown[target]))), extra)
    original, larger = build(policies), build(grown)
    for request in batch:
        before, after = original.evaluate(request).decision, larger.evaluate(request).decision
        if before is Decision.ALLOW:
            assert after is Decision.ALLOW
        if before is Decision.EXPLICIT_DENY:
            assert after is Decision.EXPLICIT_DENY
        assert after in (before, Decision.ALLOW)


@PROPERTY
@given(policies=policy_lists(), batch=REQUESTS)
def test_decisions_explain_equals_evaluate(
    policies: list[list[dict[str, Any]]], batch: list[Request]
) -> None:
    ps = build(policies)
    for request in batch:
        result = ps.evaluate(request)
        explanation = ps.explain(request)
        assert explanation.decision is result.decision
        traced = explanation.statements
        assert len(traced) == sum(len(stmts) for stmts in policies)
        assert all((t.element is None) is (t.outcome is True) for t in traced)
        if result.decision is Decision.EXPLICIT_DENY:
            expected = {t.sid for t in traced if t.effect == "Deny" and t.outcome is not False}
        elif result.decision is Decision.ALLOW:
            expected = {t.sid for t in traced if t.effect == "Allow" and t.outcome is True}
        else:
            expected = set()
            assert not any(t.effect == "Deny" and t.outcome is not False for t in traced)
            assert not any(t.effect == "Allow" and t.outcome is True for t in traced)
        assert applying_sids(result) == expected


@PROPERTY
@given(policies=policy_lists(), batch=REQUESTS)
def test_decisions_action_index_is_invisible(
    policies: list[list[dict[str, Any]]], batch: list[Request]
) -> None:
    ps = build(policies)
    for request in batch:
        context = plain_context(request)
        admitted = [statement for statement, _ in ps.statements_for(request.action)]
        for (_, policy), written in zip(ps.labelled(), policies, strict=True):
            positions = [policy.statements.index(s) for s in admitted if any(s is t for t in policy.statements)]
            assert positions == sorted(positions), "the index keeps policy order"
            for statement in policy.statements:
                if any(statement is c for c in admitted):
                    continue
                # Left out by the index: it must be a statement whose Action cannot match.
                assert statement_applies(written[statement.index], request, context) is False
                assert not any(
                    action_matches(a, request.action) for a in _listed(written[statement.index])
                )
        # evaluate (with the index) and explain (every statement, no index) pick the same statements
        result, explanation = ps.evaluate(request), ps.explain(request)
        applying = {
            t.sid
            for t in explanation.statements
            if t.outcome is True or (t.outcome is None and t.effect == "Deny")
        }
        effect = {Decision.ALLOW: "Allow", Decision.EXPLICIT_DENY: "Deny"}.get(result.decision)
        expected = {
            t.sid for t in explanation.statements if t.sid in applying and t.effect == effect
        }
        assert applying_sids(result) == expected
        assert (result.decision, applying_sids(result)) == oracle(policies, request, context)


def _listed(statement: Mapping[str, Any]) -> list[str]:
    value = statement.get("Action", [])
    return [value] if isinstance(value, str) else list(value)
