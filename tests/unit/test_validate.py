"""validate_policy against semantics.md §1 (grammar, profiles, what is an error and what a warning).

Each case names the stable ``code``, the JSON pointer of the element at fault and
the severity; the message is checked second. Where §1 or the acceptance cases
of §5.1 (E01-E16) give a valid counterpart, it is tested too.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qiam import parse_policy, validate_policy
from qiam.errors import CODES, Severity
from qiam.validate import PROFILES, ValidationReport
from tests.conftest import shared_path
from tests.helpers import assert_diagnostic, describe, policy

# ----- building blocks -----

DROP: Any = object()  # marks an element to remove from a statement

ALICE = "arn:aws:iam::111122223333:user/alice"
ALLOW: dict[str, Any] = {
    "Effect": "Allow",
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::b/*",
}
BUCKET: dict[str, Any] = {
    "Effect": "Allow",
    "Principal": {"AWS": ALICE},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::b/*",
}
TRUST: dict[str, Any] = {
    "Effect": "Allow",
    "Principal": {"Service": "ec2.amazonaws.com"},
    "Action": "sts:AssumeRole",
}
RCP_FULL_ACCESS: dict[str, Any] = {
    "Effect": "Allow",
    "Principal": "*",
    "Action": "*",
    "Resource": "*",
}
RCP_DENY: dict[str, Any] = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": "*",
    "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}},
}


def changed(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with elements replaced, added, or removed (value ``DROP``)."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def stmt(**changes: Any) -> dict[str, Any]:
    """An identity-policy statement (Allow s3:GetObject on arn:aws:s3:::b/*) with changes."""
    return changed(ALLOW, **changes)


def bucket(**changes: Any) -> dict[str, Any]:
    """A bucket-policy statement (Principal alice) with changes."""
    return changed(BUCKET, **changes)


def cond(condition: Any, **top: Any) -> dict[str, Any]:
    """An identity policy of one statement with this Condition."""
    return policy(stmt(Condition=condition), **top)


EMITTED: set[str] = set()


def check(document: Any, profile: str = "identity", *, storage: bool = False) -> ValidationReport:
    """Parse and validate, remembering every code emitted (see the last test)."""
    report = validate_policy(parse_policy(document), profile, storage=storage)
    EMITTED.update(d.code for d in report.diagnostics)
    return report


def case(
    id: str,
    document: Any,
    code: str,
    pointer: str,
    severity: str = "error",
    *,
    profile: str = "identity",
    storage: bool = False,
    message: str | None = None,
    hint: str | None = None,
) -> Any:
    return pytest.param(document, profile, storage, code, pointer, severity, message, hint, id=id)


def valid(id: str, document: Any, profile: str = "identity", *, clean: bool = True) -> Any:
    """A policy with no error; ``clean`` ones have no finding at all."""
    return pytest.param(document, profile, clean, id=id)


CASE_ARGS = "document, profile, storage, code, pointer, severity, message, hint"


def run_case(
    document: Any,
    profile: str,
    storage: bool,
    code: str,
    pointer: str,
    severity: str,
    message: str | None,
    hint: str | None,
) -> None:
    report = check(document, profile, storage=storage)
    assert_diagnostic(
        report,
        code=code,
        pointer=pointer,
        severity=severity,
        message_contains=message,
        hint_contains=hint,
    )
    if severity == "error":
        assert not report.valid
    else:
        assert report.valid, describe(report.diagnostics)


def run_valid(document: Any, profile: str, clean: bool) -> None:
    report = check(document, profile)
    assert report.valid, describe(report.diagnostics)
    assert report.errors == ()
    if clean:
        assert report.diagnostics == (), describe(report.diagnostics)


# ----- §1.1 document shape, §1.9 item 1: unknown elements, wrong types, Statement -----

DOCUMENT_CASES = [
    case("unknown-top-level", policy(ALLOW, Foo="bar"), "unknown-element", "/Foo", message="Foo"),
    case(
        "unknown-top-level-case",
        policy(ALLOW, statement=[]),
        "unknown-element",
        "/statement",
        hint="Statement",
    ),
    case(
        "unknown-top-level-version-case",
        policy(ALLOW) | {"version": "2012-10-17"},
        "unknown-element",
        "/version",
        hint="Version",
    ),
    case(
        "unknown-statement-element",
        policy(stmt(Foo="x")),
        "unknown-element",
        "/Statement/0/Foo",
        message="Foo",
    ),
    case(
        "unknown-statement-element-case",
        policy(stmt(effect="Allow")),
        "unknown-element",
        "/Statement/0/effect",
        hint="Effect",
    ),
    case(
        "unknown-statement-element-near",
        policy(stmt(Resources="*")),
        "unknown-element",
        "/Statement/0/Resources",
        hint="Resource",
    ),
    case("missing-statement", {"Version": "2012-10-17"}, "missing-statement", ""),
    case("empty-statement", policy(), "empty-statement", "/Statement"),
    case("statement-string", policy(Statement="x"), "wrong-type", "/Statement"),
    case("statement-null", policy(Statement=None), "wrong-type", "/Statement"),
    case("statement-item-not-object", policy(ALLOW, 3), "wrong-type", "/Statement/1"),
    case("statement-item-list", policy([ALLOW]), "wrong-type", "/Statement/0"),
    case("id-not-string", policy(ALLOW, Id=3), "wrong-type", "/Id"),
    case("sid-not-string", policy(stmt(Sid=5)), "wrong-type", "/Statement/0/Sid"),
    case("action-not-string", policy(stmt(Action=3)), "wrong-type", "/Statement/0/Action"),
    case("action-null", policy(stmt(Action=None)), "wrong-type", "/Statement/0/Action"),
    case(
        "action-item-not-string",
        policy(stmt(Action=["s3:GetObject", 3])),
        "wrong-type",
        "/Statement/0/Action/1",
    ),
    case(
        "resource-not-string",
        policy(stmt(Resource={"a": 1})),
        "wrong-type",
        "/Statement/0/Resource",
    ),
    case("condition-list", cond([]), "wrong-type", "/Statement/0/Condition"),
    case("condition-string", cond("aws:SecureTransport"), "wrong-type", "/Statement/0/Condition"),
    case(
        "condition-operator-body-string",
        cond({"StringEquals": "x"}),
        "wrong-type",
        "/Statement/0/Condition/StringEquals",
    ),
    case(
        "condition-value-object",
        cond({"StringEquals": {"aws:username": {"a": "b"}}}),
        "wrong-type",
        "/Statement/0/Condition/StringEquals/aws:username",
    ),
    case(
        "condition-value-null",
        cond({"StringEquals": {"aws:username": None}}),
        "wrong-type",
        "/Statement/0/Condition/StringEquals/aws:username",
    ),
    case(
        "condition-value-list-item-object",
        cond({"StringEquals": {"aws:username": ["a", {"b": 1}]}}),
        "wrong-type",
        "/Statement/0/Condition/StringEquals/aws:username/1",
    ),
    case(
        "principal-list",
        policy(bucket(Principal=["*"])),
        "wrong-type",
        "/Statement/0/Principal",
        profile="resource",
    ),
    case(
        "principal-bare-string",
        policy(bucket(Principal=ALICE)),
        "wrong-type",
        "/Statement/0/Principal",
        profile="resource",
    ),
    case(
        "principal-entry-not-string",
        policy(bucket(Principal={"AWS": 111122223333})),
        "wrong-type",
        "/Statement/0/Principal/AWS",
        profile="resource",
    ),
]


@pytest.mark.parametrize(CASE_ARGS, DOCUMENT_CASES)
def test_validate_rejects_malformed_document_shape(
    document: Any,
    profile: str,
    storage: bool,
    code: str,
    pointer: str,
    severity: str,
    message: str | None,
    hint: str | None,
) -> None:
    run_case(document, profile, storage, code, pointer, severity, message, hint)


def test_validate_statement_object_equals_one_element_list() -> None:
    # E01: a single statement object is the same as a one-element array.
    as_object = check(policy(Statement=dict(ALLOW)))
    as_list = check(policy(ALLOW))
    assert as_object.diagnostics == () and as_list.diagnostics == ()
    bad_object = check(policy(Statement=stmt(Effect="allow")))
    bad_list = check(policy(stmt(Effect="allow")))
    assert_diagnostic(
        bad_object, code="invalid-effect", pointer="/Statement/Effect", severity="error"
    )
    assert_diagnostic(
        bad_list, code="invalid-effect", pointer="/Statement/0/Effect", severity="error"
    )


def test_validate_element_order_does_not_matter() -> None:
    reordered = {
        "Statement": [{"Resource": "*", "Action": "s3:GetObject", "Effect": "Allow"}],
        "Version": "2012-10-17",
    }
    assert check(reordered).diagnostics == ()


# ----- §1.1 Effect, Action/NotAction, Resource/NotResource pairs (E02, E03) -----

STATEMENT_CASES = [
    case(
        "effect-lower-case",
        policy(stmt(Effect="allow")),
        "invalid-effect",
        "/Statement/0/Effect",
        message="allow",
        hint="Allow",
    ),
    case(
        "effect-upper-case",
        policy(stmt(Effect="DENY")),
        "invalid-effect",
        "/Statement/0/Effect",
        hint="Deny",
    ),
    case("effect-other", policy(stmt(Effect="Permit")), "invalid-effect", "/Statement/0/Effect"),
    case("effect-boolean", policy(stmt(Effect=True)), "invalid-effect", "/Statement/0/Effect"),
    case("effect-missing", policy(stmt(Effect=DROP)), "missing-effect", "/Statement/0"),
    case(
        "action-and-notaction",
        policy(stmt(NotAction="s3:PutObject")),
        "action-and-notaction",
        "/Statement/0/NotAction",
    ),
    case(
        "resource-and-notresource",
        policy(stmt(NotResource="arn:aws:s3:::c/*")),
        "resource-and-notresource",
        "/Statement/0/NotResource",
    ),
    case(
        "principal-and-notprincipal",
        policy(bucket(NotPrincipal={"AWS": ALICE}, Effect="Deny")),
        "principal-and-notprincipal",
        "/Statement/0/NotPrincipal",
        profile="resource",
    ),
    case("action-missing", policy(stmt(Action=DROP)), "missing-action", "/Statement/0"),
    case("action-empty", policy(stmt(Action=[])), "empty-action", "/Statement/0/Action"),
    case(
        "notaction-empty",
        policy(stmt(Action=DROP, NotAction=[])),
        "empty-action",
        "/Statement/0/NotAction",
    ),
    case("resource-missing", policy(stmt(Resource=DROP)), "missing-resource", "/Statement/0"),
    case("resource-empty", policy(stmt(Resource=[])), "empty-resource", "/Statement/0/Resource"),
    case(
        "notresource-empty",
        policy(stmt(Resource=DROP, NotResource=[])),
        "empty-resource",
        "/Statement/0/NotResource",
    ),
    case(
        "second-statement",
        policy(ALLOW, stmt(Effect="deny")),
        "invalid-effect",
        "/Statement/1/Effect",
    ),
]


@pytest.mark.parametrize(CASE_ARGS, STATEMENT_CASES)
def test_validate_rejects_bad_statement_elements(
    document: Any,
    profile: str,
    storage: bool,
    code: str,
    pointer: str,
    severity: str,
    message: str | None,
    hint: str | None,
) -> None:
    run_case(document, profile, storage, code, pointer, severity, message, hint)


# ----- §1.3 Version (E07) -----


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("version", ["2013-10-17", "2012-10-18", "", 2012, None])
def test_validate_version_other_than_the_two_dates_is_an_error_in_every_profile(
    version: Any, profile: str
) -> None:
    report = check(policy(ALLOW, version=None) | {"Version": version}, profile)
    assert_diagnostic(
        report,
        code="invalid-version",
        pointer="/Version",
        severity="error",
        message_contains="2012-10-17",
    )


@pytest.mark.parametrize("profile", ["identity", "iam-identity-managed", "rcp"])
def test_validate_version_missing_is_an_error_where_2012_is_required(profile: str) -> None:
    statement = RCP_DENY if profile == "rcp" else ALLOW
    report = check(policy(statement, version=None), profile)
    assert_diagnostic(
        report, code="version-required", pointer="", severity="error", message_contains="2012-10-17"
    )


@pytest.mark.parametrize("profile", ["identity", "iam-identity-managed", "rcp"])
def test_validate_version_2008_is_an_error_where_2012_is_required(profile: str) -> None:
    statement = RCP_DENY if profile == "rcp" else ALLOW
    report = check(policy(statement, version="2008-10-17"), profile)
    assert_diagnostic(
        report,
        code="version-required",
        pointer="/Version",
        severity="error",
        message_contains="2012-10-17",
    )


@pytest.mark.parametrize(
    "profile, statement",
    [
        ("iam-identity-inline", ALLOW),
        ("iam-user-inline", ALLOW),
        ("session", ALLOW),
        ("resource", BUCKET),
        ("role-trust", TRUST),
        ("scp", ALLOW),
    ],
)
def test_validate_version_missing_only_warns_elsewhere(
    profile: str, statement: dict[str, Any]
) -> None:
    # E07: a bucket policy without Version is VALID with a WARNING, and so are inline policies.
    report = check(policy(statement, version=None), profile)
    assert_diagnostic(
        report,
        code="missing-version",
        pointer="",
        severity="warning",
        message_contains="2008-10-17",
    )
    assert report.valid


@pytest.mark.parametrize(
    "profile, statement", [("resource", BUCKET), ("scp", ALLOW), ("session", ALLOW)]
)
def test_validate_version_2008_is_accepted_outside_managed_profiles(
    profile: str, statement: dict[str, Any]
) -> None:
    assert check(policy(statement, version="2008-10-17"), profile).diagnostics == ()


def test_validate_variable_in_a_2008_policy_is_an_error() -> None:
    # §1.3: "Using a variable in a policy whose version is not 2012-10-17 => [AA] ERROR
    # 'Variable unsupported in version'" (code `variable-unsupported-version`). An error for
    # storing; when evaluating AWS reads the text literally (E37), so it only warns.
    document = policy(bucket(Resource="arn:aws:s3:::b/${aws:username}/*"), version="2008-10-17")
    assert_diagnostic(
        check(document, "resource", storage=True),
        code="variable-unsupported-version",
        pointer="/Statement/0/Resource",
        severity="error",
    )
    assert_diagnostic(
        check(document, "resource"),
        code="variable-unsupported-version",
        pointer="/Statement/0/Resource",
        severity="warning",
    )


# ----- §1.1 Id -----


@pytest.mark.parametrize(
    "profile", ["identity", "iam-identity-inline", "permissions-boundary", "session"]
)
def test_validate_id_in_identity_policy_warns(profile: str) -> None:
    report = check(policy(ALLOW, Id="my-policy id"), profile)
    assert_diagnostic(report, code="id-in-identity-policy", pointer="/Id", severity="warning")
    assert report.valid


def test_validate_id_in_resource_policy_is_fine() -> None:
    assert check(policy(BUCKET, Id="S3PolicyId1"), "resource").diagnostics == ()


# ----- §1.7 Sid -----


@pytest.mark.parametrize("sid", ["a b", "a-b", "a_b", "Sid.1", "é", "${aws:username}"])
@pytest.mark.parametrize(
    "profile", ["identity", "iam-identity-inline", "permissions-boundary", "session"]
)
def test_validate_sid_not_alphanumeric_is_an_error_under_iam_profiles(
    sid: str, profile: str
) -> None:
    report = check(policy(stmt(Sid=sid)), profile)
    assert_diagnostic(
        report,
        code="invalid-sid",
        pointer="/Statement/0/Sid",
        severity="error",
        message_contains=sid,
    )


def test_validate_sid_not_alphanumeric_is_an_error_in_trust_policies() -> None:
    report = check(policy(changed(TRUST, Sid="Allow EC2")), "role-trust")
    assert_diagnostic(report, code="invalid-sid", pointer="/Statement/0/Sid", severity="error")


@pytest.mark.parametrize("sid", ["", "A", "Stmt1", "0123456789abcdefABCDEF"])
def test_validate_sid_alphanumeric_or_empty_is_valid(sid: str) -> None:
    assert check(policy(stmt(Sid=sid))).diagnostics == ()


def test_validate_sid_with_spaces_is_fine_in_resource_policies() -> None:
    # §1.7: S3 bucket and KMS key policies accept spaces; the character rule is per profile.
    assert check(policy(bucket(Sid="Allow alice to read")), "resource").diagnostics == ()


def test_validate_sid_duplicate_is_an_error_under_iam_profiles() -> None:
    report = check(policy(stmt(Sid="A"), stmt(Sid="B", Action="s3:PutObject"), stmt(Sid="A")))
    found = assert_diagnostic(
        report,
        code="duplicate-sid",
        pointer="/Statement/2/Sid",
        severity="error",
        message_contains="A",
    )
    assert found.hint is not None and "unique" in found.hint
    assert [d.location.pointer for d in report.errors] == ["/Statement/2/Sid"]


def test_validate_sid_duplicate_only_warns_in_resource_policies() -> None:
    report = check(policy(bucket(Sid="A"), bucket(Sid="A")), "resource")
    assert_diagnostic(report, code="duplicate-sid", pointer="/Statement/1/Sid", severity="warning")
    assert report.valid


def test_validate_sid_empty_duplicates_are_allowed() -> None:
    assert check(policy(stmt(Sid=""), stmt(Sid=""))).diagnostics == ()


def test_validate_sid_differing_in_case_are_distinct() -> None:
    assert check(policy(stmt(Sid="Read"), stmt(Sid="READ"))).diagnostics == ()


# ----- §1.9 items 6-8: actions (E09) -----

ACTION_CASES = [
    case(
        "no-colon",
        policy(stmt(Action="s3GetObject")),
        "action-missing-vendor",
        "/Statement/0/Action",
        message="s3GetObject",
    ),
    case(
        "two-colons",
        policy(stmt(Action="s3:Get:Object")),
        "action-too-many-colons",
        "/Statement/0/Action",
        message="s3:Get:Object",
    ),
    case(
        "vendor-star",
        policy(stmt(Action="s3*:GetObject")),
        "invalid-vendor",
        "/Statement/0/Action",
        message="s3*",
    ),
    case(
        "vendor-question",
        policy(stmt(Action="s?:GetObject")),
        "invalid-vendor",
        "/Statement/0/Action",
    ),
    case(
        "vendor-star-only",
        policy(stmt(Action="*:GetObject")),
        "invalid-vendor",
        "/Statement/0/Action",
    ),
    case(
        "vendor-space",
        policy(stmt(Action="s3 :GetObject")),
        "invalid-vendor",
        "/Statement/0/Action",
    ),
    case(
        "in-list",
        policy(stmt(Action=["s3:GetObject", "ec2"])),
        "action-missing-vendor",
        "/Statement/0/Action/1",
    ),
    case(
        "notaction",
        policy(stmt(Action=DROP, NotAction="iam")),
        "action-missing-vendor",
        "/Statement/0/NotAction",
    ),
    case(
        "variable",
        policy(stmt(Action="s3:${aws:username}")),
        "variable-not-allowed",
        "/Statement/0/Action",
    ),
    case(
        "variable-in-list",
        policy(stmt(Action=["s3:GetObject", "s3:Get${aws:username}"])),
        "variable-not-allowed",
        "/Statement/0/Action/1",
    ),
]


@pytest.mark.parametrize(CASE_ARGS, ACTION_CASES)
def test_validate_rejects_malformed_actions(
    document: Any,
    profile: str,
    storage: bool,
    code: str,
    pointer: str,
    severity: str,
    message: str | None,
    hint: str | None,
) -> None:
    run_case(document, profile, storage, code, pointer, severity, message, hint)


ACTION_VALID = [
    valid("star", policy(stmt(Action="*"))),
    valid("spaces-stored-by-iam", policy(stmt(Action="iam: asdf safdsf af "))),
    valid("service-star", policy(stmt(Action="s3:*"))),
    valid("wildcards-in-name", policy(stmt(Action=["iam:*AccessKey*", "s3:Get?bject"]))),
    valid("upper-case", policy(stmt(Action="IAM:listaccesskeys"))),
    valid(
        "vendor-dash-dot", policy(stmt(Action=["ec2-instance-connect:SendSSHPublicKey", "a.b:C"]))
    ),
    valid("notaction", policy(stmt(Action=DROP, NotAction=["iam:*", "organizations:*"]))),
    valid(
        "dollar-in-2008",
        policy(stmt(Action="s3:Get${x}", Resource="*"), version="2008-10-17"),
        "iam-identity-inline",
    ),
]


@pytest.mark.parametrize("document, profile, clean", ACTION_VALID)
def test_validate_accepts_well_formed_actions(document: Any, profile: str, clean: bool) -> None:
    run_valid(document, profile, clean)


# ----- §1.9 items 9-13: resources and ARNs -----

ARN_CASES = [
    case(
        "no-colon",
        policy(stmt(Resource="bucket")),
        "invalid-arn",
        "/Statement/0/Resource",
        message="bucket",
    ),
    case(
        "not-arn-prefix",
        policy(stmt(Resource="urn:aws:s3:::b")),
        "invalid-arn",
        "/Statement/0/Resource",
    ),
    case(
        "bad-partition",
        policy(stmt(Resource="arn:foo:s3:::b")),
        "invalid-partition",
        "/Statement/0/Resource",
        message="foo",
    ),
    case(
        "partition-upper-case",
        policy(stmt(Resource="arn:AWS:s3:::b")),
        "invalid-partition",
        "/Statement/0/Resource",
    ),
    case(
        "arn-aws-alone",
        policy(stmt(Resource="arn:aws")),
        "arn-missing-service",
        "/Statement/0/Resource",
    ),
    case(
        "arn-aws-empty-service",
        policy(stmt(Resource="arn:aws::us-east-1:1:x")),
        "arn-missing-service",
        "/Statement/0/Resource",
    ),
    case(
        "double-colon-too-few-fields",
        policy(stmt(Resource="arn:aws:s3::bucket")),
        "invalid-arn",
        "/Statement/0/Resource",
    ),
    case(
        "short-arn",
        policy(stmt(Resource="arn:aws:fdsasf")),
        "short-arn",
        "/Statement/0/Resource",
        "warning",
    ),
    case(
        "short-arn-with-region",
        policy(stmt(Resource="arn:aws:sqs:us-east-1")),
        "short-arn",
        "/Statement/0/Resource",
        "warning",
    ),
    case(
        "service-upper-case",
        policy(stmt(Resource="arn:aws:S3:::b")),
        "arn-service-case",
        "/Statement/0/Resource",
        hint="s3",
    ),
    case(
        "iam-with-region",
        policy(stmt(Resource="arn:aws:iam:us-east-1:111122223333:user/x")),
        "arn-region-not-allowed",
        "/Statement/0/Resource",
    ),
    case(
        "s3-bucket-with-region",
        policy(stmt(Resource="arn:aws:s3:us-east-1::b")),
        "arn-region-not-allowed",
        "/Statement/0/Resource",
    ),
    case(
        "iam-unknown-type",
        policy(stmt(Resource="arn:aws:iam::111122223333:bogus/x")),
        "invalid-iam-resource",
        "/Statement/0/Resource",
    ),
    case(
        "iam-no-type",
        policy(stmt(Resource="arn:aws:iam::111122223333:alice")),
        "invalid-iam-resource",
        "/Statement/0/Resource",
    ),
    case(
        "iam-wildcard-type",
        policy(stmt(Resource="arn:aws:iam::111122223333:u*")),
        "wildcard-in-resource-type",
        "/Statement/0/Resource",
        "warning",
    ),
    case(
        "in-list",
        policy(stmt(Resource=["arn:aws:s3:::b", "arn:aws:iam:us-east-1:1:user/x"])),
        "arn-region-not-allowed",
        "/Statement/0/Resource/1",
    ),
    case(
        "notresource",
        policy(stmt(Resource=DROP, NotResource=["arn:aws:s3:::b", "bucket"])),
        "invalid-arn",
        "/Statement/0/NotResource/1",
    ),
    case(
        "variable-in-region",
        policy(stmt(Resource="arn:aws:sqs:${aws:RequestedRegion}:1:q")),
        "variable-not-allowed",
        "/Statement/0/Resource",
    ),
    case(
        "variable-missing-brace",
        policy(stmt(Resource="arn:aws:s3:::b/${aws:username/*")),
        "variable-syntax",
        "/Statement/0/Resource",
    ),
]


@pytest.mark.parametrize(CASE_ARGS, ARN_CASES)
def test_validate_rejects_malformed_resources(
    document: Any,
    profile: str,
    storage: bool,
    code: str,
    pointer: str,
    severity: str,
    message: str | None,
    hint: str | None,
) -> None:
    run_case(document, profile, storage, code, pointer, severity, message, hint)


def test_validate_wildcard_in_arn_service_is_accepted_with_a_note() -> None:
    # §1.9 WARNING list / §5.10: AWS accepts arn:aws:*code*:..., DISPUTED: accept and warn.
    report = check(policy(stmt(Resource="arn:aws:*code*:us-east-1:111122223333:*")))
    found = assert_diagnostic(
        report, code="wildcard-in-arn-service", pointer="/Statement/0/Resource", severity=None
    )
    assert found.severity in (Severity.WARNING, Severity.SUGGESTION)
    assert report.valid


RESOURCE_VALID = [
    valid("star", policy(stmt(Resource="*"))),
    valid("s3-object", policy(stmt(Resource="arn:aws:s3:::b/*"))),
    *[
        valid(f"partition-{p}", policy(stmt(Resource=f"arn:{p}:s3:::b")))
        for p in ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "*")
    ],
    valid(
        "s3-access-point-with-region",
        policy(stmt(Resource="arn:aws:s3:us-east-1:111122223333:accesspoint/ap")),
    ),
    valid(
        "iam-types",
        policy(
            stmt(
                Resource=[
                    "arn:aws:iam::111122223333:user/alice",
                    "arn:aws:iam::111122223333:role/team/R",
                    "arn:aws:iam::111122223333:group/g",
                    "arn:aws:iam::aws:policy/AdministratorAccess",
                    "arn:aws:iam::111122223333:instance-profile/p",
                    "arn:aws:iam::111122223333:mfa/alice",
                    "arn:aws:iam::111122223333:server-certificate/c",
                    "arn:aws:iam::111122223333:saml-provider/s",
                    "arn:aws:iam::111122223333:oidc-provider/o",
                    "arn:aws:iam::111122223333:federated-user/f",
                    "arn:aws:iam::111122223333:sms-mfa/x",
                    "arn:aws:iam::111122223333:report/r",
                    "arn:aws:iam::111122223333:access-report/a",
                    "arn:aws:iam::111122223333:*",
                    "arn:aws:iam::*:role/*",
                ]
            )
        ),
    ),
    valid(
        "resource-field-with-colons",
        policy(stmt(Resource="arn:aws:logs:us-east-1:111122223333:log-group:app:log-stream:s1")),
    ),
    valid("null-entry-ignored", policy(stmt(Resource=["arn:aws:s3:::b", None]))),
    valid("variable-in-resource-part", policy(stmt(Resource="arn:aws:s3:::b/${aws:username}/*"))),
    valid(
        "variable-with-default",
        policy(stmt(Resource="arn:aws:s3:::b-${aws:PrincipalTag/team, 'company-wide'}")),
    ),
    valid("special-variables", policy(stmt(Resource="arn:aws:s3:::b/file${*}${?}${$}"))),
    valid(
        "broken-variable-in-2008-is-literal",
        policy(bucket(Resource="arn:aws:s3:::b/${x"), version="2008-10-17"),
        "resource",
    ),
]


@pytest.mark.parametrize("document, profile, clean", RESOURCE_VALID)
def test_validate_accepts_well_formed_resources(document: Any, profile: str, clean: bool) -> None:
    run_valid(document, profile, clean)


# ----- §1.6, §1.9 items 19-20, §2.3: principals (E11, E12) -----

PRINCIPAL_CASES = [
    case(
        "partial-wildcard-role",
        policy(bucket(Principal={"AWS": "arn:aws:iam::111122223333:role/*"})),
        "partial-wildcard-principal",
        "/Statement/0/Principal/AWS",
        profile="resource",
    ),
    case(
        "partial-wildcard-question",
        policy(bucket(Principal={"AWS": "arn:aws:iam::111122223333:user/a?"})),
        "partial-wildcard-principal",
        "/Statement/0/Principal/AWS",
        profile="resource",
    ),
    case(
        "partial-wildcard-session",
        policy(bucket(Principal={"AWS": ["*", "arn:aws:sts::111122223333:assumed-role/R/*"]})),
        "partial-wildcard-principal",
        "/Statement/0/Principal/AWS/1",
        profile="resource",
    ),
    case(
        "partial-wildcard-service",
        policy(bucket(Principal={"Service": "*.amazonaws.com"})),
        "partial-wildcard-principal",
        "/Statement/0/Principal/Service",
        profile="resource",
    ),
    case(
        "partial-wildcard-notprincipal",
        policy(
            bucket(
                Effect="Deny",
                Principal=DROP,
                NotPrincipal={"AWS": "arn:aws:iam::111122223333:user/a*"},
            )
        ),
        "partial-wildcard-principal",
        "/Statement/0/NotPrincipal/AWS",
        profile="resource",
    ),
    case(
        "partial-wildcard-trust",
        policy(changed(TRUST, Principal={"AWS": "arn:aws:iam::1:role/*"})),
        "partial-wildcard-principal",
        "/Statement/0/Principal/AWS",
        profile="role-trust",
    ),
    case(
        "unknown-type",
        policy(bucket(Principal={"User": ALICE})),
        "unknown-principal-type",
        "/Statement/0/Principal/User",
        profile="resource",
        message="User",
    ),
    case(
        "unknown-type-case",
        policy(bucket(Principal={"aws": ALICE})),
        "unknown-principal-type",
        "/Statement/0/Principal/aws",
        profile="resource",
        hint="AWS",
    ),
    case(
        "missing-in-resource-policy",
        policy(ALLOW),
        "missing-principal",
        "/Statement/0",
        profile="resource",
    ),
    case(
        "missing-in-trust-policy",
        policy(changed(TRUST, Principal=DROP)),
        "missing-principal",
        "/Statement/0",
        profile="role-trust",
    ),
    case(
        "empty-object",
        policy(bucket(Principal={})),
        "empty-principal",
        "/Statement/0/Principal",
        "warning",
        profile="resource",
    ),
    case(
        "empty-list",
        policy(bucket(Principal={"AWS": []})),
        "empty-principal",
        "/Statement/0/Principal/AWS",
        "warning",
        profile="resource",
    ),
    case(
        "resource-in-trust",
        policy(changed(TRUST, Resource="*")),
        "resource-not-allowed",
        "/Statement/0/Resource",
        profile="role-trust",
    ),
    case(
        "notresource-in-trust",
        policy(changed(TRUST, NotResource="*")),
        "resource-not-allowed",
        "/Statement/0/NotResource",
        profile="role-trust",
    ),
    case(
        "notprincipal-in-trust",
        policy(changed(TRUST, Effect="Deny", Principal=DROP, NotPrincipal={"AWS": ALICE})),
        "principal-not-allowed",
        "/Statement/0/NotPrincipal",
        profile="role-trust",
    ),
    *[
        case(
            f"principal-in-{p}",
            policy(stmt(Principal={"AWS": ALICE})),
            "principal-not-allowed",
            "/Statement/0/Principal",
            profile=p,
            message="Principal",
        )
        for p in (
            "identity",
            "iam-identity-managed",
            "iam-identity-inline",
            "permissions-boundary",
            "session",
            "scp",
        )
    ],
    *[
        case(
            f"notprincipal-in-{p}",
            policy(stmt(Effect="Deny", NotPrincipal={"AWS": ALICE})),
            "principal-not-allowed",
            "/Statement/0/NotPrincipal",
            profile=p,
        )
        for p in ("identity", "permissions-boundary", "session", "scp")
    ],
]


@pytest.mark.parametrize(CASE_ARGS, PRINCIPAL_CASES)
def test_validate_rejects_misplaced_or_malformed_principals(
    document: Any,
    profile: str,
    storage: bool,
    code: str,
    pointer: str,
    severity: str,
    message: str | None,
    hint: str | None,
) -> None:
    run_case(document, profile, storage, code, pointer, severity, message, hint)


def test_validate_principal_variable_is_an_error() -> None:
    # §1.9 item 17 and §3.6: variables are not read in Principal
    # ([AA] "Variable unsupported in element").
    document = policy(bucket(Principal={"AWS": "arn:aws:iam::111122223333:user/${aws:username}"}))
    report = check(document, "resource")
    assert_diagnostic(
        report, code="variable-not-allowed", pointer="/Statement/0/Principal/AWS", severity="error"
    )


PRINCIPAL_VALID = [
    valid("star", policy(bucket(Principal="*")), "resource"),
    valid("aws-star", policy(bucket(Principal={"AWS": "*"})), "resource"),
    valid(
        "account-forms",
        policy(bucket(Principal={"AWS": ["111122223333", "arn:aws:iam::111122223333:root"]})),
        "resource",
    ),
    valid(
        "every-type",
        policy(
            bucket(
                Principal={
                    "AWS": ALICE,
                    "Service": "sqs.amazonaws.com",
                    "Federated": "accounts.google.com",
                    "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",  # noqa: E501
                }
            )
        ),
        "resource",
    ),
    valid(
        "deny-notprincipal",
        policy(bucket(Effect="Deny", Principal=DROP, NotPrincipal={"AWS": ALICE})),
        "resource",
    ),
    valid("trust", policy(TRUST), "role-trust"),
    valid(
        "trust-federated",
        policy(
            changed(
                TRUST,
                Principal={"Federated": "arn:aws:iam::111122223333:saml-provider/X"},
                Action="sts:AssumeRoleWithSAML",
            )
        ),
        "role-trust",
    ),
]


@pytest.mark.parametrize("document, profile, clean", PRINCIPAL_VALID)
def test_validate_accepts_well_formed_principals(document: Any, profile: str, clean: bool) -> None:
    run_valid(document, profile, clean)


# ----- §1.6, §1.9 item 19: RCPs (E11) -----

RCP_CASES = [
    case(
        "principal-account",
        policy(changed(RCP_DENY, Principal={"AWS": "123456789012"})),
        "rcp-principal",
        "/Statement/0/Principal",
        profile="rcp",
    ),
    case(
        "principal-service",
        policy(changed(RCP_DENY, Principal={"Service": "s3.amazonaws.com"})),
        "rcp-principal",
        "/Statement/0/Principal",
        profile="rcp",
    ),
    case(
        "allow",
        policy(changed(RCP_DENY, Effect="Allow")),
        "rcp-allow",
        "/Statement/0/Effect",
        profile="rcp",
    ),
    case(
        "allow-full-access-with-condition",
        policy(changed(RCP_FULL_ACCESS, Condition={"Bool": {"aws:SecureTransport": "true"}})),
        "rcp-allow",
        "/Statement/0/Effect",
        profile="rcp",
    ),
    case(
        "notaction",
        policy(changed(RCP_DENY, Action=DROP, NotAction="s3:GetObject")),
        "rcp-notaction",
        "/Statement/0/NotAction",
        profile="rcp",
    ),
    case(
        "action-star",
        policy(changed(RCP_DENY, Action="*")),
        "rcp-action-star",
        "/Statement/0/Action",
        profile="rcp",
    ),
    case(
        "action-star-in-list",
        policy(changed(RCP_DENY, Action=["s3:*", "*"])),
        "rcp-action-star",
        "/Statement/0/Action/1",
        profile="rcp",
    ),
    case(
        "notprincipal",
        policy(changed(RCP_DENY, Principal=DROP, NotPrincipal={"AWS": ALICE})),
        "principal-not-allowed",
        "/Statement/0/NotPrincipal",
        profile="rcp",
    ),
    case(
        "missing-principal",
        policy(changed(RCP_DENY, Principal=DROP)),
        "missing-principal",
        "/Statement/0",
        profile="rcp",
    ),
]


@pytest.mark.parametrize(CASE_ARGS, RCP_CASES)
def test_validate_rcp_rules(
    document: Any,
    profile: str,
    storage: bool,
    code: str,
    pointer: str,
    severity: str,
    message: str | None,
    hint: str | None,
) -> None:
    run_case(document, profile, storage, code, pointer, severity, message, hint)


RCP_VALID = [
    valid("managed-full-access", policy(RCP_FULL_ACCESS), "rcp"),
    valid("full-access-and-deny", policy(RCP_FULL_ACCESS, RCP_DENY), "rcp"),
    valid("deny-aws-star", policy(changed(RCP_DENY, Principal={"AWS": "*"})), "rcp"),
    valid(
        "deny-notresource",
        policy(changed(RCP_DENY, Resource=DROP, NotResource="arn:aws:s3:::open/*")),
        "rcp",
    ),
]


@pytest.mark.parametrize("document, profile, clean", RCP_VALID)
def test_validate_rcp_accepts_full_access_and_denies(
    document: Any, profile: str, clean: bool
) -> None:
    run_valid(document, profile, clean)


# ----- §1.6: SCPs -----

SCP_VALID = [
    valid("allow-all", policy(stmt(Action="*", Resource="*")), "scp"),
    valid("notaction-allow", policy(stmt(Action=DROP, NotAction="iam:*", Resource="*")), "scp"),
    valid(
        "notaction-deny",
        policy(stmt(Effect="Deny", Action=DROP, NotAction="iam:*", Resource="*")),
        "scp",
    ),
    valid(
        "notresource",
        policy(stmt(Effect="Deny", Resource=DROP, NotResource="arn:aws:s3:::b")),
        "scp",
    ),
    valid("wildcards-in-action-names", policy(stmt(Action="s3:*Object*")), "scp"),
    valid(
        "allow-with-condition", cond({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}), "scp"
    ),
]


@pytest.mark.parametrize("document, profile, clean", SCP_VALID)
def test_validate_scp_accepts_the_2024_language(document: Any, profile: str, clean: bool) -> None:
    run_valid(document, profile, clean)


@pytest.mark.parametrize(
    "profile, statement",
    [
        ("identity", ALLOW),
        ("iam-identity-managed", ALLOW),
        ("iam-identity-inline", ALLOW),
        ("iam-user-inline", ALLOW),
        ("iam-group-inline", ALLOW),
        ("iam-role-inline", ALLOW),
        ("permissions-boundary", ALLOW),
        ("session", ALLOW),
        ("resource", BUCKET),
        ("role-trust", TRUST),
        ("scp", ALLOW),
        ("rcp", RCP_DENY),
        ("vpce", changed(BUCKET, Principal="*")),
    ],
)
def test_validate_profile_accepts_its_canonical_policy(
    profile: str, statement: dict[str, Any]
) -> None:
    assert profile in PROFILES
    report = check(policy(statement), profile)
    assert report.diagnostics == (), describe(report.diagnostics)
    assert report.profile in (profile, PROFILES[profile].name)


def test_validate_default_profile_is_identity() -> None:
    document = policy(stmt(Principal="*"))
    default = validate_policy(parse_policy(document))
    named = validate_policy(parse_policy(document), "identity")
    assert [(d.code, d.location.pointer) for d in default.diagnostics] == [
        (d.code, d.location.pointer) for d in named.diagnostics
    ]
    assert_diagnostic(
        default, code="principal-not-allowed", pointer="/Statement/0/Principal", severity="error"
    )


def test_validate_unknown_profile_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="identity"):
        validate_policy(parse_policy(policy(ALLOW)), "no-such-profile")


# ----- §1.8, §1.9 item 21: storage quotas (E15) and Allow + NotPrincipal -----


def identity_of_size(size: int, *, string_spaces: int = 0) -> dict[str, Any]:
    """An identity policy with exactly ``size`` characters outside whitespace between tokens."""
    document = policy(
        stmt(
            Resource="arn:aws:s3:::b/",
            Condition={"StringEquals": {"aws:userid": " " * string_spaces}},
        )
        if string_spaces
        else stmt(Resource="arn:aws:s3:::b/")
    )
    pad = size - len(json.dumps(document, separators=(",", ":")))
    assert pad > 0
    document["Statement"][0]["Resource"] += "k" * pad
    assert len(json.dumps(document, separators=(",", ":"))) == size
    return document


def indented(document: dict[str, Any], style: str) -> str:
    if style == "tabs-crlf":
        return "\r\n" + json.dumps(document, indent="\t").replace("\n", "\r\n") + "\r\n\r\n"
    return "  " + json.dumps(document, indent=8) + "\n" * 50


@pytest.mark.parametrize("style", ["spaces", "tabs-crlf"])
def test_validate_storage_managed_quota_exactly_6144_is_valid(style: str) -> None:
    text = indented(identity_of_size(6_144), style)
    assert len(text) > 6_144  # the whitespace alone would put it over
    report = check(text, "identity", storage=True)
    assert report.valid, describe(report.diagnostics)
    assert report.diagnostics == ()


@pytest.mark.parametrize("style", ["spaces", "tabs-crlf"])
def test_validate_storage_managed_quota_6145_is_an_error(style: str) -> None:
    report = check(indented(identity_of_size(6_145), style), "iam-identity-managed", storage=True)
    assert_diagnostic(
        report, code="policy-too-large", pointer="", severity="error", message_contains="6,145"
    )


def test_validate_storage_quota_counts_whitespace_inside_strings() -> None:
    document = identity_of_size(6_145, string_spaces=300)
    report = check(indented(document, "spaces"), "identity", storage=True)
    assert_diagnostic(
        report, code="policy-too-large", pointer="", severity="error", message_contains="6,145"
    )


def test_validate_quota_overrun_only_warns_outside_storage_mode() -> None:
    report = check(indented(identity_of_size(6_145), "spaces"), "identity")
    assert_diagnostic(report, code="policy-too-large", pointer="", severity="warning")
    assert report.valid


def scp_text_of_length(length: int) -> str:
    """An SCP whose text is ``length`` characters, about 4,000 of them outside whitespace."""
    document = policy(
        stmt(Effect="Deny", Action="s3:DeleteBucket", Resource="arn:aws:s3:::" + "k" * 3_900)
    )
    compact = json.dumps(document, separators=(",", ":"))
    assert len(compact) < 4_100
    text = "{\n" + " " * (length - len(compact) - 1) + compact[1:]
    assert len(text) == length
    return text


def test_validate_storage_scp_of_5121_characters_with_whitespace_is_an_error() -> None:
    report = check(scp_text_of_length(5_121), "scp", storage=True)
    assert_diagnostic(
        report, code="policy-too-large", pointer="", severity="error", message_contains="5,121"
    )


def test_validate_storage_scp_of_5120_characters_is_valid() -> None:
    report = check(scp_text_of_length(5_120), "scp", storage=True)
    assert report.diagnostics == (), describe(report.diagnostics)


def test_validate_scp_over_quota_only_warns_outside_storage_mode() -> None:
    report = check(scp_text_of_length(5_121), "scp")
    assert_diagnostic(report, code="policy-too-large", pointer="", severity="warning")


def _with_principal_of_size(size: int) -> dict[str, Any]:
    document = policy(changed(TRUST, Principal={"AWS": "arn:aws:iam::111122223333:user/"}))
    pad = size - len(json.dumps(document, separators=(",", ":")))
    document["Statement"][0]["Principal"]["AWS"] += "k" * pad
    return document


@pytest.mark.parametrize(
    "profile, quota",
    [
        ("iam-user-inline", 2_048),
        ("iam-group-inline", 5_120),
        ("iam-role-inline", 10_240),
        ("session", 2_048),
        ("role-trust", 2_048),
        ("permissions-boundary", 6_144),
    ],
)
def test_validate_storage_quota_per_profile(profile: str, quota: int) -> None:
    build = _with_principal_of_size if profile == "role-trust" else identity_of_size
    at_quota = json.dumps(build(quota), separators=(",", ":"))
    over = json.dumps(build(quota + 1), separators=(",", ":"))
    assert check(at_quota, profile, storage=True).valid
    report = check(over, profile, storage=True)
    assert_diagnostic(
        report, code="policy-too-large", pointer="", severity="error", message_contains=f"{quota:,}"
    )


def test_validate_storage_allow_with_notprincipal_is_an_error() -> None:
    document = policy(bucket(Principal=DROP, NotPrincipal={"AWS": ALICE}))
    report = check(document, "resource", storage=True)
    assert_diagnostic(
        report,
        code="allow-with-notprincipal",
        pointer="/Statement/0/NotPrincipal",
        severity="error",
    )


def test_validate_allow_with_notprincipal_only_warns_outside_storage_mode() -> None:
    document = policy(bucket(Principal=DROP, NotPrincipal={"AWS": ALICE}))
    report = check(document, "resource")
    assert_diagnostic(
        report,
        code="allow-with-notprincipal",
        pointer="/Statement/0/NotPrincipal",
        severity="warning",
    )
    assert report.valid


def test_validate_deny_with_notprincipal_is_fine_in_storage_mode() -> None:
    document = policy(bucket(Effect="Deny", Principal=DROP, NotPrincipal={"AWS": ALICE}))
    assert check(document, "resource", storage=True).diagnostics == ()


# ----- §1.8: character set (E16) -----

EURO_TEXT = (
    '{"Version": "2012-10-17", "Statement": '
    '[{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "%s"}]}'
)


@pytest.mark.parametrize(
    ("document", "pointer"),
    [
        # Decoded strings are located by path; raw text by the character's own position.
        pytest.param(policy(stmt(Resource="arn:aws:s3:::b/€")), "/Statement/0/Resource", id="dict"),
        pytest.param(EURO_TEXT % "arn:aws:s3:::b/€", "", id="text"),
        pytest.param((EURO_TEXT % "arn:aws:s3:::b/€").encode(), "", id="bytes"),
        pytest.param(EURO_TEXT % "arn:aws:s3:::b/\\u20ac", "/Statement/0/Resource", id="escape"),
        pytest.param(EURO_TEXT % "arn:aws:s3:::b/é\\u20ac", "/Statement/0/Resource", id="escape-after-latin1"),
    ],
)
def test_validate_charset_euro_is_an_error(document: Any, pointer: str) -> None:
    report = check(document)
    found = assert_diagnostic(
        report, code="invalid-character", pointer=pointer, severity="error", message_contains="U+20AC"
    )
    if pointer == "":  # located at the character itself
        assert found.location.column == EURO_TEXT.index("%s") + len("arn:aws:s3:::b/") + 1
    else:  # located at the string that holds it
        assert found.location.column == EURO_TEXT.index("%s")


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(policy(stmt(Resource="arn:aws:s3:::b/é")), id="dict"),
        pytest.param(EURO_TEXT % "arn:aws:s3:::b/é", id="text"),
        pytest.param((EURO_TEXT % "arn:aws:s3:::b/é").encode(), id="bytes"),
        pytest.param(EURO_TEXT % "arn:aws:s3:::b/\\u00e9", id="escape"),
        pytest.param(EURO_TEXT % "arn:aws:s3:::b/\\u00ff\\t", id="escape-ff-and-tab"),
        pytest.param(policy(stmt(Resource="arn:aws:s3:::b/\u00ff\t")), id="dict-ff-and-tab"),
    ],
)
def test_validate_charset_latin1_is_valid(document: Any) -> None:
    report = check(document)
    assert report.diagnostics == (), describe(report.diagnostics)


@pytest.mark.parametrize("char", ["\u0100", "\u0001", "\u001f", "\U0001f600"])
def test_validate_charset_outside_tab_lf_cr_and_latin1_is_an_error(char: str) -> None:
    report = check(policy(stmt(Resource="arn:aws:s3:::b/" + char)))
    assert_diagnostic(
        report,
        code="invalid-character",
        pointer="/Statement/0/Resource",
        severity="error",
        message_contains=f"U+{ord(char):04X}",
    )


def test_validate_charset_rule_is_for_iam_documents_only() -> None:
    assert check(policy(bucket(Resource="arn:aws:s3:::b/€")), "resource").diagnostics == ()


# ----- §1.9 items 15-18, 22 and the WARNING list: conditions -----

CONDITION_CASES = [
    case(
        "unknown-operator",
        cond({"StringEqual": {"aws:username": "a"}}),
        "unknown-operator",
        "/Statement/0/Condition/StringEqual",
        message="StringEqual",
        hint="StringEquals",
    ),
    case(
        "operator-wrong-case",
        cond({"stringequals": {"aws:username": "a"}}),
        "unknown-operator",
        "/Statement/0/Condition/stringequals",
        hint="StringEquals",
    ),
    case(
        "operator-wrong-case-ifexists",
        cond({"stringlikeifexists": {"aws:username": "a*"}}),
        "unknown-operator",
        "/Statement/0/Condition/stringlikeifexists",
        hint="StringLikeIfExists",
    ),
    case(
        "unknown-operator-empty-body",
        cond({"StringEqual": {}}),
        "unknown-operator",
        "/Statement/0/Condition/StringEqual",
        "warning",
    ),
    case(
        "set-prefix-lower-case",
        cond({"forallvalues:StringEquals": {"aws:TagKeys": "a"}}),
        "invalid-set-prefix",
        "/Statement/0/Condition/forallvalues:StringEquals",
        hint="ForAllValues:StringEquals",
    ),
    case(
        "set-prefix-double-colon",
        cond({"ForAnyValue::StringEquals": {"aws:TagKeys": "a"}}),
        "invalid-set-prefix",
        "/Statement/0/Condition/ForAnyValue::StringEquals",
    ),
    case(
        "set-prefix-unknown",
        cond({"ForSomeValues:StringEquals": {"aws:TagKeys": "a"}}),
        "invalid-set-prefix",
        "/Statement/0/Condition/ForSomeValues:StringEquals",
    ),
    case(
        "null-ifexists",
        cond({"NullIfExists": {"aws:TokenIssueTime": "true"}}),
        "null-with-ifexists",
        "/Statement/0/Condition/NullIfExists",
    ),
    case(
        "null-ifexists-with-set-prefix",
        cond({"ForAllValues:NullIfExists": {"aws:TagKeys": "true"}}),
        "null-with-ifexists",
        "/Statement/0/Condition/ForAllValues:NullIfExists",
    ),
    case(
        "duplicate-key-case",
        cond({"StringEquals": {"aws:SourceVpc": "vpc-1", "AWS:SourceVPC": "vpc-2"}}),
        "duplicate-condition-key",
        "/Statement/0/Condition/StringEquals/AWS:SourceVPC",
    ),
    case(
        "bool-multiple-values",
        cond({"Bool": {"aws:SecureTransport": ["true", "false"]}}),
        "bool-multiple-values",
        "/Statement/0/Condition/Bool/aws:SecureTransport",
    ),
    case(
        "bool-not-boolean",
        cond({"Bool": {"aws:SecureTransport": "yes"}}),
        "type-mismatch",
        "/Statement/0/Condition/Bool/aws:SecureTransport",
        "warning",
    ),
    *[
        case(
            f"date-{value}",
            cond({"DateGreaterThan": {"aws:CurrentTime": value}}),
            "invalid-condition-value",
            "/Statement/0/Condition/DateGreaterThan/aws:CurrentTime",
            message=value,
        )
        for value in (
            "2020-13-01",
            "2020-02-30",
            "yesterday",
            "2020-01-01T25:00:00Z",
            "01/02/2020",
            "9223372036854775808",
        )
    ],
    case(
        "date-in-list",
        cond({"DateLessThan": {"aws:CurrentTime": ["2020-01-01", "2020-1-1"]}}),
        "invalid-condition-value",
        "/Statement/0/Condition/DateLessThan/aws:CurrentTime/1",
    ),
    *[
        case(
            f"cidr-{value}",
            cond({"IpAddress": {"aws:SourceIp": value}}),
            "invalid-condition-value",
            "/Statement/0/Condition/IpAddress/aws:SourceIp",
            message=value,
        )
        for value in ("203.0.113.0/33", "300.1.1.1", "not-an-ip", "2001:db8::/129")
    ],
    case(
        "cidr-negated",
        cond({"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "x"]}}),
        "invalid-condition-value",
        "/Statement/0/Condition/NotIpAddress/aws:SourceIp/1",
    ),
    case(
        "base64",
        cond({"BinaryEquals": {"aws:username": "not base64!"}}),
        "invalid-condition-value",
        "/Statement/0/Condition/BinaryEquals/aws:username",
    ),
    case(
        "null-value",
        cond({"Null": {"aws:TokenIssueTime": "maybe"}}),
        "invalid-condition-value",
        "/Statement/0/Condition/Null/aws:TokenIssueTime",
    ),
    case(
        "numeric-not-a-number",
        cond({"NumericLessThan": {"s3:max-keys": "ten"}}),
        "type-mismatch",
        "/Statement/0/Condition/NumericLessThan/s3:max-keys",
        "warning",
        message="ten",
    ),
    *[
        case(
            f"variable-with-{op}",
            cond({op: {key: "${aws:username}"}}),
            "variable-not-allowed",
            f"/Statement/0/Condition/{op}/{key}",
            message=op.removesuffix("IfExists"),
        )
        for op, key in (
            ("NumericEquals", "s3:max-keys"),
            ("DateLessThan", "aws:CurrentTime"),
            ("IpAddress", "aws:SourceIp"),
            ("Bool", "aws:SecureTransport"),
            ("BinaryEquals", "aws:username"),
            ("Null", "aws:username"),
            ("NumericLessThanIfExists", "s3:max-keys"),
        )
    ],
    *[
        case(
            f"variable-syntax-{name}",
            cond({"StringEquals": {"aws:username": value}}),
            "variable-syntax",
            "/Statement/0/Condition/StringEquals/aws:username",
        )
        for name, value in (
            ("missing-brace", "${aws:username"),
            ("empty", "${}"),
            ("space-in-name", "${aws: username}"),
            ("leading-space", "${ aws:username}"),
            ("default-unquoted", "${aws:username, default}"),
            ("default-double-quoted", '${aws:username, "default"}'),
        )
    ],
    case(
        "variable-syntax-in-arnlike",
        cond({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::${aws:username"}}),
        "variable-syntax",
        "/Statement/0/Condition/ArnLike/aws:SourceArn",
    ),
    case(
        "for-all-values-single-valued-key",
        cond({"ForAllValues:StringEquals": {"aws:ResourceTag/env": "dev"}}),
        "set-operator-single-valued-key",
        "/Statement/0/Condition/ForAllValues:StringEquals/aws:ResourceTag~1env",
        "warning",
        message="aws:ResourceTag/env",
    ),
    case(
        "for-all-values-single-valued-key-case",
        cond({"ForAllValues:StringLike": {"AWS:SourceVpce": "vpce-*"}}),
        "set-operator-single-valued-key",
        "/Statement/0/Condition/ForAllValues:StringLike/AWS:SourceVpce",
        "warning",
    ),
    case("empty-condition", cond({}), "empty-condition", "/Statement/0/Condition", "warning"),
    case(
        "empty-operator-body",
        cond({"StringEquals": {}}),
        "empty-condition",
        "/Statement/0/Condition/StringEquals",
        "warning",
    ),
    case(
        "empty-values",
        cond({"StringEquals": {"aws:username": []}}),
        "empty-condition-values",
        "/Statement/0/Condition/StringEquals/aws:username",
        "warning",
    ),
    case(
        "wildcard-without-like",
        cond({"StringEquals": {"aws:username": "a*"}}),
        "wildcard-without-like",
        "/Statement/0/Condition/StringEquals/aws:username",
        "warning",
    ),
    case(
        "condition-key-without-vendor",
        cond({"StringEquals": {"username": "a"}}),
        "invalid-condition-key",
        "/Statement/0/Condition/StringEquals/username",
    ),
    case(
        "second-operator",
        cond({"StringEquals": {"aws:username": "a"}, "Bool": {"aws:SecureTransport": "x"}}),
        "type-mismatch",
        "/Statement/0/Condition/Bool/aws:SecureTransport",
        "warning",
    ),
]


@pytest.mark.parametrize(CASE_ARGS, CONDITION_CASES)
def test_validate_condition_rules(
    document: Any,
    profile: str,
    storage: bool,
    code: str,
    pointer: str,
    severity: str,
    message: str | None,
    hint: str | None,
) -> None:
    run_case(document, profile, storage, code, pointer, severity, message, hint)


CONDITION_VALID = [
    valid(
        "dates",
        cond(
            {
                "DateEquals": {
                    "aws:CurrentTime": [
                        "2020",
                        "2020-01",
                        "2020-01-01",
                        "2020-01-01T00:00Z",
                        "2020-01-01T00:00:01Z",
                        "2020-01-01T00:00:00.5Z",
                        "2020-01-01T00:00:00+01:00",
                        "2020-01-01t00:00:00.123456789+23",
                        "1577836800",
                        "0",
                        "9223372036854775807",
                    ]
                }
            }
        ),
    ),
    valid("date-as-json-number", cond({"DateLessThan": {"aws:EpochTime": 1577836800}})),
    valid(
        "cidrs",
        cond(
            {
                "IpAddress": {
                    "aws:SourceIp": [
                        "203.0.113.0/24",
                        "203.0.113.5",
                        "2001:DB8:1234:5678::/64",
                        "2001:db8::1",
                        "0.0.0.0/0",
                    ]
                }
            }
        ),
    ),
    valid("base64", cond({"BinaryEquals": {"aws:username": "QmluYXJ5VmFsdWU="}})),
    valid("numbers", cond({"NumericLessThanEquals": {"s3:max-keys": ["10", 10, "9.5", -1]}})),
    valid(
        "booleans",
        cond(
            {
                "Bool": {"aws:SecureTransport": False},
                "BoolIfExists": {"aws:MultiFactorAuthPresent": "False"},
            }
        ),
    ),
    valid("null", cond({"Null": {"aws:TokenIssueTime": "true", "aws:username": False}})),
    valid(
        "string-variables",
        cond(
            {
                "StringEquals": {"aws:username": "${aws:username}"},
                "StringLike": {"s3:prefix": ["home/${aws:username}/*", "${aws:userid, 'x'}"]},
                "ArnLike": {"aws:SourceArn": "arn:aws:s3:::${aws:PrincipalTag/team}"},
            }
        ),
    ),
    valid("special-variables", cond({"StringLike": {"s3:prefix": "a${*}b${?}c${$}*"}})),
    valid("dollar-without-brace", cond({"StringEquals": {"aws:username": "a$b"}})),
    valid(
        "set-operators-on-multivalued-keys",
        cond(
            {
                "ForAllValues:StringEquals": {"aws:TagKeys": ["CostCenter"]},
                "ForAnyValue:StringLikeIfExists": {"aws:PrincipalOrgPaths": "o-a/*"},
            }
        ),
    ),
    valid(
        "ifexists",
        cond(
            {
                "StringNotEqualsIfExists": {"aws:ResourceOrgID": "o-abc"},
                "ArnNotLikeIfExists": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin"},
            }
        ),
    ),
    valid(
        "same-key-under-two-operators",
        cond({"StringEquals": {"aws:username": "a"}, "StringLike": {"AWS:USERNAME": "a*"}}),
    ),
    valid(
        "keys-differing-beyond-case",
        cond({"StringEquals": {"aws:ResourceTag/a": "1", "aws:ResourceTag/b": "2"}}),
    ),
    valid("like-wildcards", cond({"StringLike": {"aws:username": ["a*", "b?"]}})),
    valid("escaped-wildcards-in-equals", cond({"StringEquals": {"aws:username": "a${*}"}})),
]


@pytest.mark.parametrize("document, profile, clean", CONDITION_VALID)
def test_validate_condition_accepts_well_formed_values(
    document: Any, profile: str, clean: bool
) -> None:
    run_valid(document, profile, clean)


def test_validate_unknown_operator_with_a_body_is_an_error_but_empty_body_warns() -> None:
    # §1.9 item 15: IAM accepts an unknown operator over an empty body.
    with_body = check(cond({"StringEqual": {"aws:username": "a"}}))
    empty = check(cond({"StringEqual": {}}))
    assert_diagnostic(
        with_body,
        code="unknown-operator",
        pointer="/Statement/0/Condition/StringEqual",
        severity="error",
    )
    assert_diagnostic(
        empty,
        code="unknown-operator",
        pointer="/Statement/0/Condition/StringEqual",
        severity="warning",
    )
    assert not with_body.valid and empty.valid


def test_validate_unknown_operator_far_from_any_name_has_no_suggestion() -> None:
    report = check(cond({"Xyzzy": {"aws:username": "a"}}))
    found = assert_diagnostic(
        report,
        code="unknown-operator",
        pointer="/Statement/0/Condition/Xyzzy",
        severity="error",
        message_contains="Xyzzy",
    )
    assert found.hint is None or "Xyzzy" not in found.hint


def test_validate_variable_space_hint_offers_a_working_fix() -> None:
    # The hint for `${aws: username}` must name a spelling that is itself valid.
    report = check(cond({"StringEquals": {"aws:username": "${aws: username}"}}))
    found = assert_diagnostic(
        report,
        code="variable-syntax",
        pointer="/Statement/0/Condition/StringEquals/aws:username",
        severity="error",
        message_contains="space",
    )
    assert found.hint is not None
    assert "${aws:username}" in found.hint, found.hint


def test_validate_variables_are_literal_text_in_2008_policies() -> None:
    # §1.3: outside 2012-10-17 `${...}` is literal, so its syntax is not checked.
    document = policy(
        bucket(Condition={"StringEquals": {"aws:username": "${oops"}}), version="2008-10-17"
    )
    report = check(document, "resource")
    assert not [d for d in report.diagnostics if d.code == "variable-syntax"], describe(
        report.diagnostics
    )


def test_validate_diagnostics_carry_line_and_column_of_text() -> None:
    text = (
        "{\n"
        '  "Version": "2012-10-17",\n'
        '  "Statement": [\n'
        '    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},\n'
        '    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",\n'
        '     "Condition": {"NullIfExists": {"aws:TokenIssueTime": "true"}}}\n'
        "  ]\n"
        "}\n"
    )
    report = check(text)
    found = assert_diagnostic(
        report,
        code="null-with-ifexists",
        pointer="/Statement/1/Condition/NullIfExists",
        severity="error",
    )
    assert (found.location.line, found.location.column) == (
        6,
        text.splitlines()[5].index('"NullIfExists"') + 1,
    )
    as_dict = found.to_dict()
    assert as_dict["path"] == "/Statement/1/Condition/NullIfExists"
    assert (as_dict["line"], as_dict["column"]) == (found.location.line, found.location.column)


# ----- the report -----


def test_validate_report_splits_errors_and_warnings() -> None:
    document = policy(
        stmt(Effect="allow", Condition={"StringEquals": {"aws:username": []}}), Id="x"
    )
    report = check(document)
    assert [d.code for d in report.errors] == ["invalid-effect"]
    assert sorted(d.code for d in report.warnings) == [
        "empty-condition-values",
        "id-in-identity-policy",
    ]
    assert not report.valid
    assert report.to_dict()["valid"] is False
    assert {d["code"] for d in report.to_dict()["diagnostics"]} == {
        "invalid-effect",
        "empty-condition-values",
        "id-in-identity-policy",
    }


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(
        ["*", "Allow", "Deny", "s3:GetObject", "arn:aws:s3:::b/*", "${aws:username}", "2012-10-17"]
    ),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Version",
                    "Statement",
                    "Sid",
                    "Effect",
                    "Action",
                    "NotAction",
                    "Resource",
                    "NotResource",
                    "Principal",
                    "NotPrincipal",
                    "Condition",
                    "AWS",
                    "StringEquals",
                    "Bool",
                    "ForAllValues:StringLike",
                    "NullIfExists",
                    "aws:username",
                    "x",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.dictionaries(
        st.sampled_from(["Version", "Id", "Statement", "Other"]), JSON_VALUES, max_size=4
    ),
    profile=st.sampled_from(sorted(PROFILES)),
    storage=st.booleans(),
)
def test_validate_never_raises_for_any_json_object(
    body: dict[str, Any], profile: str, storage: bool
) -> None:
    report = check(body, profile, storage=storage)
    for d in report.diagnostics:
        assert d.code in CODES, d.code
        assert isinstance(d.message, str) and d.message
        assert d.location.pointer == "" or d.location.pointer.startswith("/")


# ----- the AWS managed corpus -----


def managed_corpus() -> list[Path]:
    return sorted(shared_path("corpus", "aws-managed").glob("*.json"))


def test_validate_aws_managed_corpus_has_no_errors() -> None:
    files = managed_corpus()
    assert len(files) == 1_541
    failures = []
    for path in files:
        report = check(path.read_bytes())
        failures.extend(f"{path.name}: {d}" for d in report.errors)
    assert not failures, "\n".join(failures[:20])


def test_validate_aws_managed_corpus_quota_overruns_warn_unless_storing() -> None:
    # §1.8: 72 of the 1,541 AWS managed policies exceed the 6,144-character customer quota.
    warned, refused = set(), set()
    for path in managed_corpus():
        policy_ = parse_policy(path.read_bytes(), name=path.name)
        if any(
            d.code == "policy-too-large" and d.severity is Severity.WARNING
            for d in validate_policy(policy_).diagnostics
        ):
            warned.add(path.name)
        if any(
            d.code == "policy-too-large" and d.severity is Severity.ERROR
            for d in validate_policy(policy_, storage=True).diagnostics
        ):
            refused.add(path.name)
    assert len(warned) == 72
    assert refused == warned


# ----- the code table (keep last: it also sees what the tests above emitted) -----

ALL_CASES = (
    DOCUMENT_CASES
    + STATEMENT_CASES
    + ACTION_CASES
    + ARN_CASES
    + PRINCIPAL_CASES
    + RCP_CASES
    + CONDITION_CASES
)
ALL_VALID = (
    ACTION_VALID + RESOURCE_VALID + PRINCIPAL_VALID + RCP_VALID + SCP_VALID + CONDITION_VALID
)


def _replay() -> Iterator[str]:
    for param in ALL_CASES:
        document, profile, storage = param.values[:3]
        yield from (d.code for d in check(document, profile, storage=storage).diagnostics)
    for param in ALL_VALID:
        document, profile = param.values[:2]
        yield from (d.code for d in check(document, profile).diagnostics)


def test_validate_emits_only_codes_of_the_code_table() -> None:
    replayed = set(_replay())
    expected = {param.values[3] for param in ALL_CASES}
    assert expected <= set(CODES), sorted(expected - set(CODES))
    assert expected <= replayed | EMITTED, sorted(expected - replayed - EMITTED)
    unknown = (replayed | EMITTED) - set(CODES)
    assert not unknown, sorted(unknown)
    assert all(code == code.lower() and " " not in code for code in EMITTED)
