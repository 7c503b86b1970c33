"""Decision-level laws over every policy type (semantics.md §4.3).

Generated policy sets mix identity policies, a resource policy, a permissions
boundary, session policies, SCP levels and RCP levels; requests come from
users, role sessions, the root user, other accounts, services and anonymous
callers. The laws: order never matters; a Deny never helps; an Allow never
hurts; an allow-everything SCP level changes nothing; explain agrees with
evaluate.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import qiam

ACTIONS = ["s3:GetObject", "s3:PutObject", "kms:Decrypt", "ec2:RunInstances", "sts:AssumeRole"]
ACTION_PATTERNS = ["*", "s3:*", "s3:Get*", "kms:*", "ec2:Run*", "s3:PutObject", "sts:AssumeRole"]
RESOURCES = [
    "arn:aws:s3:::b/k",
    "arn:aws:kms:us-east-1:111122223333:key/k1",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
    "arn:aws:iam::111122223333:role/R",
    "*",
]
RESOURCE_PATTERNS = ["*", "arn:aws:s3:::b/*", "arn:aws:kms:*:*:key/*", "arn:aws:ec2:*:*:instance/*",
                     "arn:aws:iam::111122223333:role/*"]
CALLERS = [
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::444455556666:user/bob",
    "arn:aws:sts::111122223333:assumed-role/R/s1",
    "arn:aws:sts::111122223333:federated-user/fed",
    "arn:aws:iam::111122223333:root",
    "sns.amazonaws.com",
    "anonymous",
]
PRINCIPALS: list[Any] = [
    "*",
    {"AWS": "arn:aws:iam::111122223333:user/alice"},
    {"AWS": "111122223333"},
    {"AWS": "arn:aws:iam::444455556666:root"},
    {"AWS": "arn:aws:iam::111122223333:role/R"},
    {"AWS": "arn:aws:sts::111122223333:assumed-role/R/s1"},
    {"Service": "sns.amazonaws.com"},
]
CONDITIONS: list[Any] = [
    None,
    {"StringEquals": {"aws:PrincipalTag/team": "red"}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}},
    {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "RED"}},
    {"StringLike": {"aws:PrincipalTag/team": ["r*", "b?ue"]}},
    {"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:t*"}},
    {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}},
    {"ForAllValues:StringLike": {"aws:TagKeys": "a*"}},
    {"NumericLessThan": {"s3:max-keys": "10"}},
]
CONTEXTS = [{}, {"aws:PrincipalTag/team": "red"}, {"aws:SecureTransport": "false", "aws:PrincipalOrgID": "o-abc"},
            {"aws:PrincipalTag/team": "blue", "aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t1",
             "aws:TagKeys": ["a", "c"], "s3:max-keys": "5"},
            {"aws:SourceArn": "not-an-arn", "aws:TagKeys": ["a1", "a2"], "s3:max-keys": "many"}]
ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
RCP_FULL_ACCESS = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}


def _list(draw: Any, pool: list[Any]) -> Any:
    items = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True))
    return items[0] if len(items) == 1 and draw(st.booleans()) else items


@st.composite
def statements(draw: Any, *, principal: bool = False, effect: str | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    statement["NotAction" if draw(st.integers(0, 5)) == 0 else "Action"] = _list(draw, ACTION_PATTERNS)
    statement["NotResource" if draw(st.integers(0, 5)) == 0 else "Resource"] = _list(draw, RESOURCE_PATTERNS)
    if principal:
        statement["Principal"] = draw(st.sampled_from(PRINCIPALS))
    condition = draw(st.sampled_from(CONDITIONS))
    if condition is not None:
        statement["Condition"] = condition
    return statement


def _policy(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": items}


@st.composite
def rcp_statements(draw: Any) -> dict[str, Any]:
    statement = draw(statements(effect="Deny"))
    statement.pop("NotAction", None)
    statement["Action"] = draw(st.sampled_from([p for p in ACTION_PATTERNS if p != "*"]))
    statement["Principal"] = "*"
    return statement


@st.composite
def policy_sets(draw: Any) -> dict[str, Any]:
    """Keyword arguments for compile_policies, as plain JSON objects."""
    few = st.lists(statements(), min_size=1, max_size=3)
    out: dict[str, Any] = {"identity": [_policy(s) for s in draw(st.lists(few, max_size=2))]}
    if draw(st.booleans()):
        out["resource"] = _policy(draw(st.lists(statements(principal=True), min_size=1, max_size=3)))
    if draw(st.integers(0, 3)) == 0:
        out["boundary"] = _policy(draw(few))
    if draw(st.integers(0, 3)) == 0:
        out["session"] = [_policy(draw(few))]
    if draw(st.integers(0, 2)) == 0:
        levels = draw(st.lists(st.lists(few, min_size=1, max_size=2), min_size=1, max_size=2))
        out["scps"] = [[_policy([ALLOW_ALL] + s) for s in level] for level in levels]
    if draw(st.integers(0, 2)) == 0:
        denies = draw(st.lists(rcp_statements(), max_size=2))
        out["rcps"] = [[_policy([RCP_FULL_ACCESS] + denies)]]
    return out


@st.composite
def requests(draw: Any) -> qiam.Request:
    resource = draw(st.sampled_from(RESOURCES))
    return qiam.Request(
        draw(st.sampled_from(ACTIONS)),
        resource,
        principal=draw(st.sampled_from(CALLERS)),
        context=draw(st.sampled_from(CONTEXTS)),
        resource_account="111122223333" if resource == "arn:aws:s3:::b/k" else None,
    )


def decide(kwargs: dict[str, Any], request: qiam.Request) -> qiam.Decision:
    resource_profile = "role-trust" if request.action == "sts:AssumeRole" and ":role/" in request.resource \
        else "resource"
    kwargs = dict(kwargs)
    if resource_profile == "role-trust" and "resource" in kwargs:
        kwargs["resource"] = _as_trust(kwargs["resource"])
    return qiam.compile_policies(**kwargs, resource_profile=resource_profile).evaluate(request).decision


def _as_trust(policy: dict[str, Any]) -> dict[str, Any]:
    trust = copy.deepcopy(policy)
    for statement in trust["Statement"]:
        statement.pop("Resource", None)
        statement.pop("NotResource", None)
    return trust


def _statements_of(kwargs: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Every statement list of the set with its policy type, to mutate in place."""
    lists = [("identity", p["Statement"]) for p in kwargs["identity"]]
    for key in ("resource", "boundary"):
        if key in kwargs:
            lists.append((key, kwargs[key]["Statement"]))
    lists.extend(("session", p["Statement"]) for p in kwargs.get("session", []))
    for key in ("scps", "rcps"):
        lists.extend((key, p["Statement"]) for level in kwargs.get(key, []) for p in level)
    return lists


def _new_statement(data: Any, kind: str, effect: str) -> dict[str, Any]:
    if kind == "rcps":
        statement: dict[str, Any] = data.draw(rcp_statements())
        return statement if effect == "Deny" else dict(RCP_FULL_ACCESS)
    return data.draw(statements(principal=kind == "resource", effect=effect))


@settings(max_examples=80, deadline=None)
@given(kwargs=policy_sets(), request=requests(), data=st.data())
def test_flow_order_never_changes_the_decision(kwargs: dict[str, Any], request: qiam.Request, data: Any) -> None:
    before = decide(kwargs, request)
    shuffled = copy.deepcopy(kwargs)
    for _, items in _statements_of(shuffled):
        items[:] = data.draw(st.permutations(items))
    shuffled["identity"] = data.draw(st.permutations(shuffled["identity"]))
    if "scps" in shuffled:
        shuffled["scps"] = [data.draw(st.permutations(level)) for level in shuffled["scps"]]
    assert decide(shuffled, request) is before


@settings(max_examples=80, deadline=None)
@given(kwargs=policy_sets(), request=requests(), data=st.data())
def test_flow_adding_a_deny_never_allows(kwargs: dict[str, Any], request: qiam.Request, data: Any) -> None:
    before = decide(kwargs, request)
    grown = copy.deepcopy(kwargs)
    targets = _statements_of(grown)
    if not targets:
        grown["identity"].append(_policy([]))
        targets = [("identity", grown["identity"][-1]["Statement"])]
    kind, target = data.draw(st.sampled_from(targets))
    target.append(_new_statement(data, kind, "Deny"))
    after = decide(grown, request)
    if before is not qiam.Decision.ALLOW:
        assert after is not qiam.Decision.ALLOW
    if before is qiam.Decision.EXPLICIT_DENY:
        assert after is qiam.Decision.EXPLICIT_DENY


@settings(max_examples=80, deadline=None)
@given(kwargs=policy_sets(), request=requests(), data=st.data())
def test_flow_adding_an_allow_never_denies(kwargs: dict[str, Any], request: qiam.Request, data: Any) -> None:
    before = decide(kwargs, request)
    grown = copy.deepcopy(kwargs)
    targets = _statements_of(grown)
    if not targets:
        return
    kind, target = data.draw(st.sampled_from(targets))
    target.append(_new_statement(data, kind, "Allow"))
    if before is qiam.Decision.ALLOW:
        assert decide(grown, request) is qiam.Decision.ALLOW


@settings(max_examples=80, deadline=None)
@given(kwargs=policy_sets(), request=requests(), data=st.data())
def test_flow_an_allow_everything_scp_level_changes_nothing(kwargs: dict[str, Any], request: qiam.Request,
                                                           data: Any) -> None:
    if "scps" not in kwargs:
        return
    before = decide(kwargs, request)
    grown = copy.deepcopy(kwargs)
    levels = grown["scps"]
    levels.insert(data.draw(st.integers(0, len(levels))), [_policy([ALLOW_ALL])])
    assert decide(grown, request) is before


@settings(max_examples=80, deadline=None)
@given(kwargs=policy_sets(), request=requests())
def test_flow_explain_agrees_with_evaluate(kwargs: dict[str, Any], request: qiam.Request) -> None:
    resource_profile = "role-trust" if request.action == "sts:AssumeRole" and ":role/" in request.resource \
        else "resource"
    if resource_profile == "role-trust" and "resource" in kwargs:
        kwargs = dict(kwargs, resource=_as_trust(kwargs["resource"]))
    pset = qiam.compile_policies(**kwargs, resource_profile=resource_profile)
    result = pset.evaluate(request)
    explanation = pset.explain(request)
    assert explanation.decision is result.decision
    assert explanation.result.matched == result.matched
    assert explanation.result.reasons == result.reasons
