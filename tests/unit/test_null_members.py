"""Null members of list elements: ignored where IAM ignores them, an error everywhere else, never a grant.

semantics.md §1.1: IAM tolerates ``null`` members of a ``Resource`` list and
ignores them; an empty list is an error. So a list of only nulls is empty,
and must be ``empty-resource``: were it compiled, ``NotResource: [null]``
would match every resource (an Allow granting everything, a Deny in an SCP
denying nothing). In every other list element (Action, NotAction, principal
maps, condition values) a null member is a ``wrong-type`` error.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qiam
from qiam.batch import BatchRunner
from tests.helpers import assert_diagnostic, policy

ALICE = "arn:aws:iam::111122223333:user/alice"
# Every profile with a Resource element, and whether its statements name a principal.
RESOURCE_PROFILES = sorted(name for name, p in qiam.PROFILES.items() if p.resource != "forbidden")
NULL_LISTS = ([None], [None, None])


def _statement(profile: str, **elements: Any) -> dict[str, Any]:
    kind = qiam.PROFILES[profile].kind
    effect = "Deny" if kind == "rcp" else "Allow"
    st: dict[str, Any] = {"Effect": effect, "Action": "s3:GetObject", **elements}
    if qiam.PROFILES[profile].principal:
        st["Principal"] = "*"
    return st


@pytest.mark.parametrize("profile", RESOURCE_PROFILES)
@pytest.mark.parametrize("element", ["Resource", "NotResource"])
@pytest.mark.parametrize("members", NULL_LISTS, ids=["one-null", "two-nulls"])
@pytest.mark.parametrize("form", ["object", "text"])
def test_resource_list_of_only_nulls_is_empty(profile: str, element: str, members: list[None], form: str) -> None:
    document = policy(_statement(profile, **{element: members}))
    given_as: Any = document if form == "object" else json.dumps(document)
    report = qiam.validate_policy(qiam.parse_policy(given_as), profile=profile)
    assert_diagnostic(report, code="empty-resource", pointer=f"/Statement/0/{element}", severity="error",
                      message_contains="null members are ignored")
    with pytest.raises(qiam.PolicyInvalidError) as caught:
        qiam.compile_policy(given_as, profile)
    assert "empty-resource" in {d.code for d in caught.value.diagnostics}


@pytest.mark.parametrize("element", ["Resource", "NotResource"])
def test_null_only_not_resource_never_grants_through_batch(element: str) -> None:
    document = policy({"Effect": "Allow", "Action": "s3:GetObject", element: [None]})
    for given_as in (document, json.dumps(document)):
        line = json.dumps({"id": 1, "policies": {"identity": [given_as]},
                           "request": {"principal": ALICE, "action": "s3:GetObject",
                                       "resource": "arn:aws:s3:::b/k"}})
        out = BatchRunner().run_line(line)
        assert "decision" not in out
        assert out["error"]["code"] == "empty-resource"


def test_null_only_resource_in_an_scp_deny_is_an_error_not_a_deny_of_nothing() -> None:
    scp = policy({"Effect": "Allow", "Action": "*", "Resource": "*"},
                 {"Effect": "Deny", "Action": "s3:GetObject", "Resource": [None]})
    with pytest.raises(qiam.PolicyInvalidError):
        qiam.compile_policies([policy({"Effect": "Allow", "Action": "*", "Resource": "*"})], scps=[[scp]])


@pytest.mark.parametrize("element", ["Resource", "NotResource"])
def test_null_members_beside_strings_are_ignored(element: str) -> None:
    with_nulls = policy({"Effect": "Allow", "Action": "s3:GetObject",
                         element: [None, "arn:aws:s3:::b/*", None]})
    without = policy({"Effect": "Allow", "Action": "s3:GetObject", element: ["arn:aws:s3:::b/*"]})
    assert qiam.validate_policy(qiam.parse_policy(with_nulls)).valid
    for resource in ("arn:aws:s3:::b/k", "arn:aws:s3:::c/k"):
        request = qiam.Request("s3:GetObject", resource, principal=ALICE)
        assert (qiam.compile_policies([with_nulls]).evaluate(request).decision
                is qiam.compile_policies([without]).evaluate(request).decision)


def _null_in(profile: str, where: str) -> dict[str, Any] | None:
    """A statement of ``profile`` with a null member in ``where``; None where the profile has no such element."""
    p = qiam.PROFILES[profile]
    if where in ("Action", "NotAction"):
        if p.kind == "rcp" and where == "NotAction":
            return None
        st = _statement(profile, Resource="*") if p.resource != "forbidden" else {
            "Effect": "Allow", "Principal": {"AWS": ALICE}}
        st.pop("Action", None)
        st[where] = [None] if where == "NotAction" else [None, "s3:GetObject"]
        if p.resource == "forbidden":
            st[where] = [None, "sts:AssumeRole"] if where == "Action" else [None]
        return st
    if where in ("Principal", "NotPrincipal"):
        if not p.principal or p.kind == "rcp" or (where == "NotPrincipal" and p.kind == "role-trust"):
            return None
        st = {"Effect": "Deny" if where == "NotPrincipal" else "Allow",
              "Action": "sts:AssumeRole" if p.kind == "role-trust" else "s3:GetObject",
              where: {"AWS": [None]}}
        if p.resource != "forbidden":
            st["Resource"] = "*"
        return st
    # a condition value list
    st = _statement(profile, Resource="*") if p.resource != "forbidden" else {
        "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": ALICE}}
    st["Condition"] = {"StringNotEquals": {"aws:PrincipalTag/team": [None]}}
    return st


_OTHER_PLACES = {"Action": "/Statement/0/Action/0", "NotAction": "/Statement/0/NotAction/0",
                 "Principal": "/Statement/0/Principal/AWS/0", "NotPrincipal": "/Statement/0/NotPrincipal/AWS/0",
                 "Condition": "/Statement/0/Condition/StringNotEquals/aws:PrincipalTag~1team/0"}


_ELSEWHERE = [(profile, where) for profile in sorted(qiam.PROFILES) for where in sorted(_OTHER_PLACES)
              if _null_in(profile, where) is not None]


@pytest.mark.parametrize(("profile", "where"), _ELSEWHERE)
def test_null_member_elsewhere_is_a_type_error_in_every_profile(profile: str, where: str) -> None:
    document = policy(_null_in(profile, where))
    for given_as in (document, json.dumps(document)):
        report = qiam.validate_policy(qiam.parse_policy(given_as), profile=profile)
        assert_diagnostic(report, code="wrong-type", pointer=_OTHER_PLACES[where], severity="error")
        with pytest.raises(qiam.PolicyInvalidError):
            qiam.compile_policy(given_as, profile)


# ----- the property: Resource null members are ignored, whatever else the policy says -----

_arns = st.sampled_from(["*", "arn:aws:s3:::b/*", "arn:aws:s3:::b", "arn:aws:iam::111122223333:role/R",
                         "not-an-arn", "arn:aws:iam::111122223333:bogus/x", "arn:aws:s3:us-east-1::b",
                         "arn:aws:sqs:us-east-1:111122223333:q", "arn:aws:s3:::${aws:username}/*"])
_resource_lists = st.lists(st.one_of(st.none(), _arns), max_size=4)
_statements = st.fixed_dictionaries(
    {"Effect": st.sampled_from(["Allow", "Deny"]), "Action": st.sampled_from(["s3:GetObject", "*", ["s3:Get*"]])},
    optional={"Condition": st.just({"StringEquals": {"aws:username": "alice"}})},
).flatmap(lambda s: st.tuples(st.just(s), st.sampled_from(["Resource", "NotResource"]), _resource_lists))


def _drop_nulls(value: list[Any]) -> list[Any]:
    return [v for v in value if v is not None]


@given(st.lists(_statements, min_size=1, max_size=3), st.sampled_from(RESOURCE_PROFILES))
def test_property_dropping_resource_nulls_first_changes_no_validation_result(
        statements: list[tuple[dict[str, Any], str, list[Any]]], profile: str) -> None:
    raw_statements = []
    dropped_statements = []
    for base, element, members in statements:
        st_raw = dict(base, **{element: members})
        st_dropped = dict(base, **{element: _drop_nulls(members)})
        if qiam.PROFILES[profile].principal:
            st_raw["Principal"] = st_dropped["Principal"] = "*"
        raw_statements.append(st_raw)
        dropped_statements.append(st_dropped)
    raw = qiam.validate_policy(qiam.parse_policy(policy(*raw_statements)), profile=profile)
    dropped = qiam.validate_policy(qiam.parse_policy(policy(*dropped_statements)), profile=profile)
    assert raw.valid == dropped.valid
    assert sorted(d.code for d in raw.diagnostics) == sorted(d.code for d in dropped.diagnostics)
