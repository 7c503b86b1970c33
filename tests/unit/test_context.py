"""The request context AWS supplies (qiam.context, semantics.md §4.1a): each derived key, who gets it,
and that given context always wins."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import qiam
from qiam.context import Environment
from qiam.request import Request

USER = "arn:aws:iam::111122223333:user/dev/alice"
SESSION = "arn:aws:sts::111122223333:assumed-role/QAdmin/me"
ROLE = "arn:aws:iam::111122223333:role/QAdmin"
ROOT = "arn:aws:iam::111122223333:root"
FED = "arn:aws:sts::111122223333:federated-user/fed"
AT = Environment(time="2026-03-04T05:06:07Z", region="eu-west-1")


def derived(principal: str | None, resource: str = "arn:aws:s3:::b/k", **kw: Any) -> dict[str, Any]:
    env = kw.pop("environment", AT)
    return dict(Request("s3:GetObject", resource, principal=principal, environment=env, **kw).derived)


def test_user_keys() -> None:
    d = derived(USER)
    assert d["aws:principalarn"] == USER
    assert d["aws:principalaccount"] == "111122223333"
    assert d["aws:principaltype"] == "User"
    assert d["aws:username"] == "alice"
    assert d["aws:principalisawsservice"] == "false"
    assert d["aws:requestedregion"] == "eu-west-1"
    assert d["aws:currenttime"] == "2026-03-04T05:06:07Z"
    assert d["aws:epochtime"] == "1772600767"
    assert d["aws:securetransport"] == "true"
    assert d["aws:viaawsservice"] == "false"
    assert d["aws:multifactorauthpresent"] == "true"
    assert d["aws:resourceaccount"] == "111122223333"
    assert "aws:userid" not in d  # an unknown id is left out, never invented


def test_role_session_principal_arn_is_the_role_with_its_path() -> None:
    d = derived(SESSION)
    assert d["aws:principalarn"] == ROLE
    assert d["aws:principaltype"] == "AssumedRole"
    assert "aws:username" not in d
    # The role's path comes from a given aws:PrincipalArn (session ARNs drop it).
    r = Request("s3:GetObject", "*", principal=SESSION,
                context={"aws:PrincipalArn": "arn:aws:iam::111122223333:role/team/QAdmin"})
    assert r.context["aws:principalarn"] == "arn:aws:iam::111122223333:role/team/QAdmin"
    assert "aws:principalarn" in r.given and "aws:principalarn" not in r.derived


def test_a_role_arn_stands_for_a_session_of_the_role() -> None:
    d = derived(ROLE)
    assert d["aws:principalarn"] == ROLE and d["aws:principaltype"] == "AssumedRole"


def test_root_federated_anonymous_and_service() -> None:
    assert derived(ROOT)["aws:principaltype"] == "Account"
    assert derived(ROOT)["aws:principalarn"] == ROOT
    assert derived(FED)["aws:principaltype"] == "FederatedUser"
    anonymous = derived("anonymous")
    assert anonymous["aws:principaltype"] == "Anonymous"
    assert "aws:principalarn" not in anonymous and "aws:multifactorauthpresent" not in anonymous
    service = derived("sns.amazonaws.com")
    assert service["aws:principalisawsservice"] == "true" and "aws:principalarn" not in service


def test_ids_tags_organizations_and_mfa() -> None:
    env = Environment(time="2026-01-01T00:00:00Z", principal_tags={"Team": "red"}, principal_id="AROAEXAMPLEID",
                      principal_org_id="o-abc", resource_org_id="o-def", mfa=False)
    d = derived(SESSION, environment=env)
    assert d["aws:userid"] == "AROAEXAMPLEID:me"
    assert d["aws:principaltag/team"] == "red"
    assert d["aws:principalorgid"] == "o-abc" and d["aws:resourceorgid"] == "o-def"
    assert d["aws:multifactorauthpresent"] == "false"
    assert "aws:multifactorauthpresent" not in derived(USER, environment=Environment(mfa=None))


def test_region_from_the_resource_else_us_east_1() -> None:
    env = Environment(time="2026-01-01T00:00:00Z")
    assert derived(USER, "arn:aws:sqs:ap-south-1:111122223333:q", environment=env)["aws:requestedregion"] == \
        "ap-south-1"
    assert derived(USER, "arn:aws:iam::111122223333:role/R", environment=env)["aws:requestedregion"] == "us-east-1"


def test_resource_account_follows_the_resource() -> None:
    assert derived(USER, "arn:aws:sqs:us-east-1:444455556666:q")["aws:resourceaccount"] == "444455556666"
    assert derived(USER, "arn:aws:s3:::b/k", resource_account="444455556666")["aws:resourceaccount"] == "444455556666"
    assert "aws:resourceaccount" not in derived(USER, "*")  # an action without a resource


def test_given_context_wins_and_is_listed_apart() -> None:
    r = Request("s3:GetObject", "arn:aws:s3:::b/k", principal=USER, environment=AT,
                context={"aws:RequestedRegion": "us-west-2", "aws:SourceIp": "10.0.0.1"})
    assert r.context["aws:requestedregion"] == "us-west-2"
    assert dict(r.given) == {"aws:requestedregion": "us-west-2", "aws:sourceip": "10.0.0.1"}
    assert "aws:requestedregion" not in r.derived and "aws:sourceip" not in r.derived


def test_call_path_keys_are_never_derived() -> None:
    d = derived(USER)
    for key in ("aws:sourceip", "aws:useragent", "aws:sourcevpc", "aws:calledvia", "aws:sourcevpce"):
        assert key not in d


def test_derivation_can_be_turned_off() -> None:
    r = Request("s3:GetObject", "arn:aws:s3:::b/k", principal=USER, derive_context=False)
    assert dict(r.context) == {} and dict(r.derived) == {} and r.environment is None


def test_the_batch_format_derives_only_when_a_line_asks() -> None:
    data = {"principal": USER, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}
    assert dict(Request.from_json(data).context) == {}
    asked = Request.from_json({**data, "derive_context": True, "region": "eu-central-1",
                               "time": "2026-01-01T00:00:00Z", "principal_tags": {"team": "red"}})
    assert asked.context["aws:requestedregion"] == "eu-central-1"
    assert asked.context["aws:principaltag/team"] == "red"
    with pytest.raises(qiam.RequestError, match="ISO 8601"):
        Request.from_json({**data, "derive_context": True, "time": "yesterday"})


def test_a_bad_time_is_a_request_error() -> None:
    with pytest.raises(qiam.RequestError):
        Request("s3:GetObject", environment=Environment(time="not a time"))


def test_derived_keys_decide_as_aws_would() -> None:
    scp = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}}]}
    admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    pset = qiam.compile_policies([admin], scps=[[scp]])
    inside = Request("q:CreatePlugin", "*", principal=SESSION, environment=Environment(region="eu-west-1"))
    outside = Request("q:CreatePlugin", "*", principal=SESSION, environment=Environment(region="us-west-2"))
    bare = Request("q:CreatePlugin", "*", principal=SESSION, derive_context=False)
    assert pset.evaluate(inside).allowed
    assert pset.evaluate(outside).decision is qiam.Decision.EXPLICIT_DENY
    assert pset.evaluate(bare).decision is qiam.Decision.EXPLICIT_DENY  # the key missing: the deny fires


def test_requests_are_immutable_and_pickle_with_their_context() -> None:
    r = Request("s3:GetObject", "arn:aws:s3:::b/k", principal=SESSION, context={"k:x": "1"}, environment=AT)
    with pytest.raises(TypeError):
        r.context["aws:principalarn"] = "arn:aws:iam::111122223333:role/Other"  # type: ignore[index]
    with pytest.raises(AttributeError):
        r.resource = "*"  # type: ignore[misc]
    again = pickle.loads(pickle.dumps(r))
    assert again == r and again.key == r.key
    assert dict(again.derived) == dict(r.derived) and dict(again.given) == dict(r.given)
