"""PolicySet.evaluate / explain on identity policies, against semantics.md.

Covers §2.1 (actions), §2.2 (resources), §2.4 (NotAction / NotResource), §3.1 to
§3.6 (conditions, missing keys, every operator, IfExists, set operators, policy
variables) and the edge cases E18 to E83 of §5.2 to §5.7 that concern them.
Where the spec marks a point DISPUTED, the tests follow its recommendation.

Conditions are checked through ``cond``: the same condition is put in an Allow
statement and in a Deny statement next to an allow-all, so every answer is
checked from both effects and is three-valued (True, False, or None when the
condition cannot be read and the engine fails closed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from qiam import Decision, Request, Result, compile_policies, compile_policy
from qiam.evaluate import PolicySet

ALLOW = Decision.ALLOW
EXPLICIT_DENY = Decision.EXPLICIT_DENY
IMPLICIT_DENY = Decision.IMPLICIT_DENY

V2012 = "2012-10-17"
V2008 = "2008-10-17"
ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}

UNDECIDABLE = "undecidable-condition"
MULTIVALUED = "multivalued-key-without-set-operator"


# ----- building policies and requests -----


def _statement(
    effect: str, action: Any, resource: Any, elements: Mapping[str, Any]
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect}
    if "NotAction" not in elements:
        statement["Action"] = action
    if "NotResource" not in elements:
        statement["Resource"] = resource
    statement.update(elements)
    return statement


def allow(action: Any = "*", resource: Any = "*", **elements: Any) -> dict[str, Any]:
    """An Allow statement; keyword arguments are further elements (Condition=..., Sid=...)."""
    return _statement("Allow", action, resource, elements)


def deny(action: Any = "*", resource: Any = "*", **elements: Any) -> dict[str, Any]:
    """A Deny statement; keyword arguments are further elements."""
    return _statement("Deny", action, resource, elements)


def policy(*statements: dict[str, Any], version: str | None = V2012) -> dict[str, Any]:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        doc["Version"] = version
    return doc


def pset(*statements: dict[str, Any]) -> PolicySet:
    """One identity policy (Version 2012-10-17) holding the statements."""
    return compile_policies([policy(*statements)])


def pset_2008(*statements: dict[str, Any]) -> PolicySet:
    """One identity policy with Version 2008-10-17 (an inline profile accepts that version)."""
    compiled = compile_policy(policy(*statements, version=V2008), "iam-user-inline")
    return PolicySet(identity=(compiled,))


def evaluate(
    policies: PolicySet | Sequence[dict[str, Any]],
    action: str,
    resource: str = "*",
    context: Mapping[str, Any] | None = None,
) -> Result:
    ps = policies if isinstance(policies, PolicySet) else pset(*policies)
    # The context exactly as given: these examples are the engine's semantics, not derivation's.
    return ps.evaluate(Request(action, resource, context=context, derive_context=False))


def decide(
    policies: PolicySet | Sequence[dict[str, Any]],
    action: str,
    resource: str = "*",
    context: Mapping[str, Any] | None = None,
) -> Decision:
    return evaluate(policies, action, resource, context).decision


def codes(result: Result) -> set[str]:
    return {d.code for d in result.diagnostics}


ACTION = "s3:GetObject"
RESOURCE = "arn:aws:s3:::b/k"


def cond(condition: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> bool | None:
    """Whether ``condition`` holds for a request with ``context``: True, False or None (unreadable).

    Checked from both effects: an Allow carrying the condition must apply exactly
    when a Deny carrying it applies, except for an unreadable condition, where the
    Deny applies and the Allow does not, with an ``undecidable-condition`` note.
    """
    granted = evaluate([allow(Condition=condition)], ACTION, RESOURCE, context)
    denied = evaluate([ALLOW_ALL, deny(Condition=condition)], ACTION, RESOURCE, context)
    if granted.decision is ALLOW:
        assert denied.decision is EXPLICIT_DENY, (
            "an Allow applied but the same condition in a Deny did not"
        )
        assert [m.index for m in denied.matched] == [1]
        assert UNDECIDABLE not in codes(granted) | codes(denied)
        return True
    assert granted.decision is IMPLICIT_DENY
    if denied.decision is EXPLICIT_DENY:
        assert UNDECIDABLE in codes(granted), (
            "a Deny applied but the Allow did not: must be fail-closed"
        )
        assert UNDECIDABLE in codes(denied)
        return None
    assert denied.decision is ALLOW
    assert UNDECIDABLE not in codes(granted) | codes(denied)
    return False


# ======================================================================
# §4.3 flow on identity policies: deny wins, allow, implicit deny
# ======================================================================


def test_evaluate_no_policies_is_implicit_deny() -> None:
    result = compile_policies([]).evaluate(Request(ACTION, RESOURCE))
    assert result.decision is IMPLICIT_DENY
    assert result.matched == ()


def test_evaluate_no_matching_statement_is_implicit_deny() -> None:
    result = evaluate([allow("ec2:*")], ACTION, RESOURCE)
    assert result.decision is IMPLICIT_DENY
    assert result.matched == ()


def test_evaluate_allow_reports_every_applying_allow() -> None:
    result = evaluate(
        [allow("s3:*", Sid="A"), allow("ec2:*", Sid="B"), allow("s3:Get*", Sid="C")],
        ACTION,
        RESOURCE,
    )
    assert result.decision is ALLOW
    assert [(m.index, m.sid, m.effect) for m in result.matched] == [
        (0, "A", "Allow"),
        (2, "C", "Allow"),
    ]


def test_evaluate_deny_wins_over_allow_in_any_order() -> None:
    for statements in (
        [allow("s3:*"), deny("s3:GetObject")],
        [deny("s3:GetObject"), allow("s3:*")],
    ):
        result = evaluate(statements, ACTION, RESOURCE)
        assert result.decision is EXPLICIT_DENY
        assert [m.effect for m in result.matched] == ["Deny"]


def test_evaluate_explicit_deny_reports_every_applying_deny_and_no_allow() -> None:
    result = evaluate(
        [allow(), deny("s3:*", Sid="D1"), deny("ec2:*", Sid="D2"), deny("*", Sid="D3")],
        ACTION,
        RESOURCE,
    )
    assert result.decision is EXPLICIT_DENY
    assert [(m.index, m.sid) for m in result.matched] == [(1, "D1"), (3, "D3")]


def test_evaluate_deny_alone_is_explicit_deny() -> None:
    assert decide([deny()], ACTION, RESOURCE) is EXPLICIT_DENY


def test_evaluate_deny_in_one_policy_beats_allow_in_another() -> None:
    ps = compile_policies([policy(allow()), policy(deny("s3:GetObject"))])
    result = ps.evaluate(Request(ACTION, RESOURCE))
    assert result.decision is EXPLICIT_DENY
    assert [(m.policy, m.index) for m in result.matched] == [("identity[1]", 0)]


def test_evaluate_allow_in_second_policy_counts() -> None:
    ps = compile_policies([policy(allow("ec2:*")), policy(allow("s3:GetObject"))])
    result = ps.evaluate(Request(ACTION, RESOURCE))
    assert result.decision is ALLOW
    assert [(m.policy, m.index) for m in result.matched] == [("identity[1]", 0)]


def test_evaluate_e22_explicit_vs_implicit_deny_with_wildcards() -> None:
    statements = [allow(["iam:Get*", "iam:List*"]), deny("iam:*Report")]
    assert decide(statements, "iam:GetCredentialReport") is EXPLICIT_DENY
    assert decide(statements, "iam:GetUser") is ALLOW
    assert decide(statements, "iam:CreatePolicy") is IMPLICIT_DENY


def test_evaluate_statement_object_equals_one_element_list() -> None:
    single = {"Version": V2012, "Statement": allow("s3:GetObject", "arn:aws:s3:::b/*")}
    ps = compile_policies([single])
    assert ps.evaluate(Request(ACTION, RESOURCE)).decision is ALLOW


def test_evaluate_matched_location_points_at_statement_in_text() -> None:
    text = (
        "{\n"
        '  "Version": "2012-10-17",\n'
        '  "Statement": [\n'
        '    {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},\n'
        '      {"Sid": "D", "Effect": "Deny", "Action": "s3:Get*", "Resource": "*"}\n'
        "  ]\n"
        "}\n"
    )
    ps = compile_policies([text])
    denied = ps.evaluate(Request(ACTION, RESOURCE))
    assert denied.decision is EXPLICIT_DENY
    (ref,) = denied.matched
    assert (ref.index, ref.sid, ref.effect) == (1, "D", "Deny")
    assert (ref.location.line, ref.location.column) == (5, 7)
    allowed = ps.evaluate(Request("s3:PutObject", RESOURCE))
    (ref,) = allowed.matched
    assert (ref.location.line, ref.location.column) == (4, 5)


def test_evaluate_result_allowed_property() -> None:
    assert evaluate([allow()], ACTION, RESOURCE).allowed is True
    assert evaluate([deny()], ACTION, RESOURCE).allowed is False


# ======================================================================
# §2.1 Actions
# ======================================================================


def test_action_star_matches_every_service() -> None:
    for action in ("s3:GetObject", "iam:CreateUser", "ec2:RunInstances", "kms:Decrypt"):
        assert decide([allow("*")], action) is ALLOW


def test_action_e18_case_insensitive_policy_side() -> None:
    statements = [allow("IAM:listaccesskeys")]
    assert decide(statements, "iam:ListAccessKeys", "arn:aws:iam::111122223333:user/alice") is ALLOW


def test_action_case_insensitive_request_side() -> None:
    assert decide([allow("s3:GetObject")], "S3:GETOBJECT") is ALLOW
    assert decide([allow("s3:get*")], "S3:GetObject") is ALLOW


def test_action_e19_wildcards_inside_name() -> None:
    statements = [allow("iam:*AccessKey*")]
    assert decide(statements, "iam:CreateAccessKey") is ALLOW
    assert decide(statements, "iam:UpdateAccessKey") is ALLOW
    assert decide(statements, "iam:ListAccessKeys") is ALLOW
    assert decide(statements, "iam:ListUsers") is IMPLICIT_DENY


def test_action_e20_question_mark_is_exactly_one_character() -> None:
    assert decide([allow("s3:Get?bject")], "s3:GetObject") is ALLOW
    assert decide([allow("s3:Get?")], "s3:GetObject") is IMPLICIT_DENY
    assert decide([allow("s3:GetObject?")], "s3:GetObject") is IMPLICIT_DENY
    assert decide([allow("s3:Get??bject")], "s3:GetObject") is IMPLICIT_DENY


def test_action_star_matches_empty_run() -> None:
    assert decide([allow("s3:GetObject*")], "s3:GetObject") is ALLOW
    assert decide([allow("s3:*GetObject")], "s3:GetObject") is ALLOW


def test_action_service_prefix_is_literal() -> None:
    # s3:* covers the s3 service only, not another service whose prefix starts with s3.
    assert decide([allow("s3:*")], "s3-outposts:GetObject") is IMPLICIT_DENY
    assert decide([allow("s3:*")], "s3:GetObject") is ALLOW


def test_action_name_wildcard_does_not_reach_service() -> None:
    assert decide([allow("s3:*")], "ec2:s3") is IMPLICIT_DENY


def test_action_special_characters_are_literal() -> None:
    assert decide([allow("s3:Get.bject")], "s3:GetObject") is IMPLICIT_DENY
    assert decide([allow("s3:Get[O]bject")], "s3:GetObject") is IMPLICIT_DENY
    assert decide([allow("s3:Get[O]bject")], "s3:Get[O]bject") is ALLOW


def test_action_backslash_is_not_an_escape() -> None:
    # IAM has no escape character: `\*` is a literal backslash followed by a wildcard.
    statements = [allow("s3:Get\\*")]
    assert decide(statements, "s3:GetObject") is IMPLICIT_DENY
    assert decide(statements, "s3:Get\\Object") is ALLOW


@pytest.mark.parametrize(
    "written", ["s3:GetObject ", "s3: GetObject", "s3:Get Object", "s3:GetObject\t"]
)
def test_action_whitespace_is_not_trimmed(written: str) -> None:
    assert decide([allow(written)], "s3:GetObject") is IMPLICIT_DENY


def test_action_empty_name_matches_nothing() -> None:
    assert decide([allow("s3:")], "s3:GetObject") is IMPLICIT_DENY


def test_action_whitespace_entry_in_notaction_excludes_nothing() -> None:
    statements = [allow(NotAction=["s3:GetObject ", "s3: PutObject"])]
    assert decide(statements, "s3:GetObject") is ALLOW
    assert decide(statements, "s3:PutObject") is ALLOW


def test_action_unknown_action_never_matches() -> None:
    assert decide([allow("s3:NoSuchAction")], "s3:GetObject") is IMPLICIT_DENY


def test_action_list_entries_are_ored() -> None:
    statements = [allow(["ec2:RunInstances", "s3:GetObject"])]
    assert decide(statements, "s3:GetObject") is ALLOW
    assert decide(statements, "ec2:RunInstances") is ALLOW
    assert decide(statements, "s3:PutObject") is IMPLICIT_DENY


# ======================================================================
# §2.2 Resources
# ======================================================================


def test_resource_star_matches_arns_and_literal_star() -> None:
    assert decide([allow("s3:*", "*")], "s3:GetObject", RESOURCE) is ALLOW
    assert decide([allow("s3:*", "*")], "s3:ListAllMyBuckets", "*") is ALLOW


def test_resource_e35_arn_pattern_never_matches_literal_star() -> None:
    assert decide([allow("s3:ListAllMyBuckets", "*")], "s3:ListAllMyBuckets", "*") is ALLOW
    assert (
        decide([allow("s3:ListAllMyBuckets", "arn:aws:s3:::*")], "s3:ListAllMyBuckets", "*")
        is IMPLICIT_DENY
    )
    assert (
        decide([allow("s3:ListAllMyBuckets", "arn:*:*:*:*:*")], "s3:ListAllMyBuckets", "*")
        is IMPLICIT_DENY
    )


def test_resource_literal_star_request_matched_only_by_star_entry() -> None:
    statements = [allow("s3:ListAllMyBuckets", ["arn:aws:s3:::*", "arn:aws:s3:::b*"])]
    assert decide(statements, "s3:ListAllMyBuckets", "*") is IMPLICIT_DENY
    statements = [allow("s3:ListAllMyBuckets", ["arn:aws:s3:::*", "*"])]
    assert decide(statements, "s3:ListAllMyBuckets", "*") is ALLOW


def test_resource_object_pattern_does_not_match_bucket() -> None:
    statements = [allow("s3:*", "arn:aws:s3:::b/*")]
    assert decide(statements, "s3:ListBucket", "arn:aws:s3:::b") is IMPLICIT_DENY
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/k") is ALLOW


@pytest.mark.parametrize(
    ("bucket", "expected"),
    [
        ("arn:aws:s3:::b", ALLOW),
        ("arn:aws:s3:::b-logs", ALLOW),
        ("arn:aws:s3:::b/k", ALLOW),
        ("arn:aws:s3:::b/k/deeper:with:colons", ALLOW),
        ("arn:aws:s3:::a", IMPLICIT_DENY),
        ("arn:aws:s3:::ab", IMPLICIT_DENY),
    ],
)
def test_resource_e30_prefix_wildcard_on_bucket_names(bucket: str, expected: Decision) -> None:
    assert decide([allow("s3:*", "arn:aws:s3:::b*")], "s3:GetObject", bucket) is expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("1/2/test/3/object.jpg", ALLOW),
        ("1///test///object.jpg", ALLOW),
        ("/test/object.jpg", ALLOW),
        ("1/test/", ALLOW),
        ("test/object.jpg", IMPLICIT_DENY),
        ("1-test/object.jpg", IMPLICIT_DENY),
        ("1/2/test.jpg", IMPLICIT_DENY),
    ],
)
def test_resource_e29_star_crosses_slash(key: str, expected: Decision) -> None:
    statements = [allow("s3:GetObject", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*/test/*")]
    assert decide(statements, "s3:GetObject", f"arn:aws:s3:::DOC-EXAMPLE-BUCKET/{key}") is expected


def test_resource_e33_star_in_resource_part_crosses_colons() -> None:
    statements = [allow("logs:PutLogEvents", "arn:aws:logs:us-east-1:111122223333:log-group:app*")]
    arn = "arn:aws:logs:us-east-1:111122223333:log-group:app:log-stream:s1"
    assert decide(statements, "logs:PutLogEvents", arn) is ALLOW


def test_resource_e34_region_wildcard_does_not_cross_colons() -> None:
    statements = [allow("sqs:SendMessage", "arn:aws:sqs:*:111122223333:q")]
    contrived = "arn:aws:sqs:us-east-1:999988887777:x:111122223333:q"
    assert decide(statements, "sqs:SendMessage", contrived) is IMPLICIT_DENY
    assert decide(statements, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q") is ALLOW


def test_resource_wildcard_stays_inside_each_field() -> None:
    statements = [allow("sqs:*", "arn:aws:sqs:us-*:111122223333:q")]
    assert decide(statements, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q") is ALLOW
    assert (
        decide(statements, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:q")
        is IMPLICIT_DENY
    )
    # The account field is matched on its own: a `*` in the account cannot absorb the resource.
    statements = [allow("sqs:*", "arn:aws:sqs:us-east-1:*q")]
    assert (
        decide(statements, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q")
        is IMPLICIT_DENY
    )


def test_resource_question_mark_in_field_is_one_character() -> None:
    statements = [allow("sqs:*", "arn:aws:sqs:us-east-?:111122223333:q")]
    assert decide(statements, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q") is ALLOW
    assert (
        decide(statements, "sqs:SendMessage", "arn:aws:sqs:us-east-10:111122223333:q")
        is IMPLICIT_DENY
    )


def test_resource_empty_fields_matched_by_empty_or_star() -> None:
    assert decide([allow("s3:*", "arn:aws:s3:*:*:b")], "s3:ListBucket", "arn:aws:s3:::b") is ALLOW
    assert decide([allow("s3:*", "arn:aws:s3:::b")], "s3:ListBucket", "arn:aws:s3:::b") is ALLOW
    # An empty pattern field matches only an empty field.
    statements = [allow("sqs:*", "arn:aws:sqs:::q")]
    assert (
        decide(statements, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q")
        is IMPLICIT_DENY
    )


def test_resource_bucket_wildcard_does_not_match_access_point() -> None:
    statements = [allow("s3:*", "arn:aws:s3:::*")]
    access_point = "arn:aws:s3:us-east-1:111122223333:accesspoint/ap"
    assert decide(statements, "s3:GetObject", access_point) is IMPLICIT_DENY


def test_resource_e31_resource_part_is_case_sensitive() -> None:
    statements = [allow("s3:GetObject", "arn:aws:s3:::Bucket/*")]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::bucket/k") is IMPLICIT_DENY
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::Bucket/k") is ALLOW
    statements = [allow("s3:GetObject", "arn:aws:s3:::b/Key")]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/key") is IMPLICIT_DENY


def test_resource_region_and_account_are_case_sensitive() -> None:
    statements = [allow("sqs:*", "arn:aws:sqs:us-east-1:111122223333:q")]
    assert (
        decide(statements, "sqs:SendMessage", "arn:aws:sqs:US-EAST-1:111122223333:q")
        is IMPLICIT_DENY
    )


def test_resource_list_entries_are_ored() -> None:
    statements = [allow("s3:*", ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"])]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::a/k") is ALLOW
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/k") is ALLOW
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::c/k") is IMPLICIT_DENY


def test_resource_backslash_is_literal() -> None:
    statements = [allow("s3:*", "arn:aws:s3:::b/a\\*")]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/a\\x") is ALLOW
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/a*") is IMPLICIT_DENY


def test_resource_exact_arn_requires_equality() -> None:
    statements = [allow("s3:*", "arn:aws:s3:::b/k")]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/k") is ALLOW
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/k2") is IMPLICIT_DENY
    assert decide(statements, "s3:GetObject", "arn:aws-cn:s3:::b/k") is IMPLICIT_DENY


# ======================================================================
# §2.4 NotAction / NotResource
# ======================================================================


def test_notaction_e23_allow_grants_everything_else() -> None:
    statements = [allow(NotAction="iam:*")]
    assert (
        decide(statements, "ec2:RunInstances", "arn:aws:ec2:us-east-1:111122223333:instance/i-1")
        is ALLOW
    )
    assert decide(statements, "iam:CreateUser", "arn:aws:iam::111122223333:user/x") is IMPLICIT_DENY


def test_notaction_e24_scoped_by_resource() -> None:
    statements = [allow("*", "arn:aws:s3:::*", NotAction="s3:DeleteBucket")]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/k") is ALLOW
    assert decide(statements, "s3:DeleteBucket", "arn:aws:s3:::b") is IMPLICIT_DENY
    assert decide(statements, "s3:ListAllMyBuckets", "*") is IMPLICIT_DENY
    assert decide(statements, "ec2:DescribeInstances", "*") is IMPLICIT_DENY


def test_notaction_deny_denies_everything_else_within_resource() -> None:
    statements = [ALLOW_ALL, deny("*", "arn:aws:s3:::b/*", NotAction="s3:GetObject")]
    assert decide(statements, "s3:PutObject", "arn:aws:s3:::b/k") is EXPLICIT_DENY
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/k") is ALLOW
    assert decide(statements, "s3:PutObject", "arn:aws:s3:::c/k") is ALLOW


def test_notaction_entries_are_case_insensitive_globs() -> None:
    statements = [allow(NotAction=["S3:get*", "iam:?etUser"])]
    assert decide(statements, "s3:GetObject") is IMPLICIT_DENY
    assert decide(statements, "iam:GetUser") is IMPLICIT_DENY
    assert decide(statements, "iam:SetUser") is IMPLICIT_DENY
    assert decide(statements, "iam:GetUsers") is ALLOW
    assert decide(statements, "s3:PutObject") is ALLOW


def test_notaction_scoped_by_condition() -> None:
    statements = [allow(NotAction="iam:*", Condition={"StringEquals": {"aws:username": "alice"}})]
    assert decide(statements, "s3:GetObject", context={"aws:username": "alice"}) is ALLOW
    assert decide(statements, "s3:GetObject", context={"aws:username": "bob"}) is IMPLICIT_DENY


def test_notresource_allow_grants_everything_else() -> None:
    statements = [allow("s3:*", NotResource=["arn:aws:s3:::secret", "arn:aws:s3:::secret/*"])]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/k") is ALLOW
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::secret/k") is IMPLICIT_DENY
    assert decide(statements, "s3:ListBucket", "arn:aws:s3:::secret") is IMPLICIT_DENY


def test_notresource_deny_denies_everything_else() -> None:
    statements = [ALLOW_ALL, deny("s3:*", NotResource="arn:aws:s3:::b/*")]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/k") is ALLOW
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::c/k") is EXPLICIT_DENY
    assert decide(statements, "ec2:RunInstances", "arn:aws:s3:::c/k") is ALLOW


def test_notresource_arn_entry_cannot_exclude_literal_star() -> None:
    statements = [allow("s3:*", NotResource="arn:aws:s3:::*")]
    assert decide(statements, "s3:ListAllMyBuckets", "*") is ALLOW
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/k") is IMPLICIT_DENY


def test_notresource_star_entry_excludes_literal_star_and_all_arns() -> None:
    statements = [allow("s3:*", NotResource="*")]
    assert decide(statements, "s3:ListAllMyBuckets", "*") is IMPLICIT_DENY
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/k") is IMPLICIT_DENY


def test_notresource_deny_with_literal_star_request() -> None:
    statements = [ALLOW_ALL, deny("s3:*", NotResource=["arn:aws:s3:::b", "arn:aws:s3:::b/*"])]
    # ListAllMyBuckets has no resource-level permissions: its resource `*` is not excluded.
    assert decide(statements, "s3:ListAllMyBuckets", "*") is EXPLICIT_DENY


def test_notaction_with_notresource() -> None:
    statements = [ALLOW_ALL, deny(NotAction="s3:GetObject", NotResource="arn:aws:s3:::public/*")]
    assert decide(statements, "s3:PutObject", "arn:aws:s3:::b/k") is EXPLICIT_DENY
    assert decide(statements, "s3:PutObject", "arn:aws:s3:::public/k") is ALLOW
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/k") is ALLOW


# ======================================================================
# §3.1 Structure and boolean combination
# ======================================================================


def test_condition_absent_means_true() -> None:
    assert decide([allow()], ACTION, RESOURCE, {"aws:username": "x"}) is ALLOW


def test_condition_e55_values_of_a_key_are_ored() -> None:
    c = {"StringEquals": {"aws:PrincipalTag/dept": ["finance", "hr"]}}
    assert cond(c, {"aws:PrincipalTag/dept": "hr"}) is True
    assert cond(c, {"aws:PrincipalTag/dept": "finance"}) is True
    assert cond(c, {"aws:PrincipalTag/dept": "it"}) is False


def test_condition_e56_negated_values_are_nored() -> None:
    statements = [
        ALLOW_ALL,
        deny(
            Condition={
                "StringNotEquals": {"aws:PrincipalAccount": ["111122223333", "444455556666"]}
            }
        ),
    ]
    assert decide(statements, ACTION, RESOURCE, {"aws:PrincipalAccount": "111122223333"}) is ALLOW
    assert decide(statements, ACTION, RESOURCE, {"aws:PrincipalAccount": "444455556666"}) is ALLOW
    assert (
        decide(statements, ACTION, RESOURCE, {"aws:PrincipalAccount": "777788889999"})
        is EXPLICIT_DENY
    )


E57 = {
    "StringEqualsIgnoreCase": {
        "aws:PrincipalTag/department": ["finance", "hr", "legal"],
        "aws:PrincipalTag/role": ["audit", "security"],
    },
    "StringEquals": {"aws:PrincipalAccount": "123456789012"},
}


def test_condition_e57_keys_and_operators_are_anded() -> None:
    assert (
        cond(
            E57,
            {
                "aws:PrincipalTag/department": "HR",
                "aws:PrincipalTag/role": "audit",
                "aws:PrincipalAccount": "123456789012",
            },
        )
        is True
    )
    assert (
        cond(E57, {"aws:PrincipalTag/department": "hr", "aws:PrincipalAccount": "123456789012"})
        is False
    )
    assert (
        cond(
            E57,
            {
                "aws:PrincipalTag/department": "hr",
                "aws:PrincipalTag/role": "audit",
                "aws:PrincipalAccount": "111122223333",
            },
        )
        is False
    )


def test_condition_keys_under_one_operator_are_anded() -> None:
    c = {"StringEquals": {"aws:username": "alice", "aws:PrincipalTag/team": "red"}}
    assert cond(c, {"aws:username": "alice", "aws:PrincipalTag/team": "red"}) is True
    assert cond(c, {"aws:username": "alice", "aws:PrincipalTag/team": "blue"}) is False
    assert cond(c, {"aws:username": "bob", "aws:PrincipalTag/team": "red"}) is False


def test_condition_e83_empty_block_is_unconditional() -> None:
    # DISPUTED: reading 1 (recommended) — an empty Condition has no influence.
    assert decide([allow("s3:GetObject", Condition={})], ACTION, RESOURCE) is ALLOW


def test_condition_e83_empty_value_list_positive_false_negated_true() -> None:
    # DISPUTED: iam-simulate's behaviour (recommended) — no values: positive false, negated true.
    assert cond({"StringEquals": {"aws:username": []}}, {"aws:username": "alice"}) is False
    assert cond({"StringNotEquals": {"aws:username": []}}, {"aws:username": "alice"}) is True


def test_condition_keys_are_case_insensitive() -> None:
    assert (
        cond({"IpAddress": {"AWS:SourceIP": "203.0.113.0/24"}}, {"aws:sourceip": "203.0.113.1"})
        is True
    )
    assert (
        cond({"StringEquals": {"aws:PrincipalTag/Dept": "hr"}}, {"AWS:PRINCIPALTAG/DEPT": "hr"})
        is True
    )
    assert (
        cond({"StringEquals": {"aws:principaltag/dept": "hr"}}, {"aws:PrincipalTag/Dept": "it"})
        is False
    )


def test_condition_json_boolean_and_number_policy_values() -> None:
    assert cond({"Bool": {"aws:SecureTransport": False}}, {"aws:SecureTransport": "false"}) is True
    assert cond({"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "false"}) is False
    assert cond({"NumericEquals": {"s3:max-keys": 10}}, {"s3:max-keys": "10"}) is True
    assert cond({"NumericLessThan": {"s3:max-keys": 9.5}}, {"s3:max-keys": "9"}) is True
    assert cond({"NumericLessThan": {"s3:max-keys": 9.5}}, {"s3:max-keys": "10"}) is False
    assert cond({"StringEquals": {"ex:flag": True}}, {"ex:flag": "true"}) is True
    assert cond({"StringEquals": {"ex:count": 10}}, {"ex:count": "10"}) is True


def test_condition_json_boolean_and_number_request_values() -> None:
    assert cond({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": True}) is True
    assert cond({"NumericEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": 10}) is True
    assert cond({"StringEquals": {"ex:flag": "false"}}, {"ex:flag": False}) is True


# ======================================================================
# §3.2 Missing context keys — every family
# ======================================================================

# operator -> (key, policy value, a request value for which the operator is true)
SAMPLES: dict[str, tuple[str, str, str]] = {
    "StringEquals": ("aws:username", "alice", "alice"),
    "StringNotEquals": ("aws:username", "alice", "bob"),
    "StringEqualsIgnoreCase": ("aws:username", "alice", "ALICE"),
    "StringNotEqualsIgnoreCase": ("aws:username", "alice", "bob"),
    "StringLike": ("aws:username", "al*", "alice"),
    "StringNotLike": ("aws:username", "al*", "bob"),
    "NumericEquals": ("s3:max-keys", "10", "10"),
    "NumericNotEquals": ("s3:max-keys", "10", "11"),
    "NumericLessThan": ("s3:max-keys", "10", "9"),
    "NumericLessThanEquals": ("s3:max-keys", "10", "10"),
    "NumericGreaterThan": ("s3:max-keys", "10", "11"),
    "NumericGreaterThanEquals": ("s3:max-keys", "10", "10"),
    "DateEquals": ("aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z"),
    "DateNotEquals": ("aws:CurrentTime", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"),
    "DateLessThan": ("aws:CurrentTime", "2020-01-01T00:00:00Z", "2019-12-31T23:59:59Z"),
    "DateLessThanEquals": ("aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z"),
    "DateGreaterThan": ("aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:01Z"),
    "DateGreaterThanEquals": ("aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z"),
    "Bool": ("aws:SecureTransport", "true", "true"),
    "BinaryEquals": ("ex:blob", "QmluYXJ5", "QmluYXJ5"),
    "IpAddress": ("aws:SourceIp", "203.0.113.0/24", "203.0.113.7"),
    "NotIpAddress": ("aws:SourceIp", "203.0.113.0/24", "198.51.100.7"),
    "ArnEquals": (
        "aws:SourceArn",
        "arn:aws:sns:us-east-1:111122223333:t*",
        "arn:aws:sns:us-east-1:111122223333:t1",
    ),
    "ArnLike": (
        "aws:SourceArn",
        "arn:aws:sns:us-east-1:111122223333:t*",
        "arn:aws:sns:us-east-1:111122223333:t1",
    ),
    "ArnNotEquals": (
        "aws:SourceArn",
        "arn:aws:sns:us-east-1:111122223333:t*",
        "arn:aws:sns:us-east-1:111122223333:x1",
    ),
    "ArnNotLike": (
        "aws:SourceArn",
        "arn:aws:sns:us-east-1:111122223333:t*",
        "arn:aws:sns:us-east-1:111122223333:x1",
    ),
}
NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "NotIpAddress",
    "ArnNotEquals",
    "ArnNotLike",
}
POSITIVE = sorted(set(SAMPLES) - NEGATED)


def test_missing_key_samples_cover_every_operator() -> None:
    from qiam.operators import OPERATORS

    assert set(SAMPLES) | {"Null"} == set(OPERATORS)


@pytest.mark.parametrize("operator", POSITIVE)
def test_missing_key_positive_operator_is_false(operator: str) -> None:
    key, value, _ = SAMPLES[operator]
    assert cond({operator: {key: value}}, {"ex:other": "x"}) is False


@pytest.mark.parametrize("operator", sorted(NEGATED))
def test_missing_key_negated_operator_is_true(operator: str) -> None:
    key, value, _ = SAMPLES[operator]
    assert cond({operator: {key: value}}, {"ex:other": "x"}) is True


@pytest.mark.parametrize("operator", sorted(SAMPLES))
def test_missing_key_ifexists_is_true(operator: str) -> None:
    key, value, _ = SAMPLES[operator]
    assert cond({operator + "IfExists": {key: value}}) is True


@pytest.mark.parametrize("operator", sorted(SAMPLES))
def test_missing_key_forallvalues_is_true(operator: str) -> None:
    key, value, _ = SAMPLES[operator]
    assert cond({"ForAllValues:" + operator: {key: value}}) is True


@pytest.mark.parametrize("operator", sorted(SAMPLES))
def test_missing_key_foranyvalue_is_false(operator: str) -> None:
    key, value, _ = SAMPLES[operator]
    assert cond({"ForAnyValue:" + operator: {key: value}}) is False


@pytest.mark.parametrize("operator", sorted(SAMPLES))
def test_present_key_sample_value_is_true(operator: str) -> None:
    key, value, request_value = SAMPLES[operator]
    assert cond({operator: {key: value}}, {key: request_value}) is True
    assert cond({operator + "IfExists": {key: value}}, {key: request_value}) is True


def test_missing_key_e58_positive_allow_does_not_apply() -> None:
    statements = [
        allow(
            "iam:*AccessKey*",
            Condition={"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}},
        )
    ]
    assert decide(statements, "iam:CreateAccessKey") is IMPLICIT_DENY
    ctx = {"aws:PrincipalTag/job-category": "iamuser-admin"}
    assert decide(statements, "iam:CreateAccessKey", context=ctx) is ALLOW


def test_missing_key_e58_negated_deny_applies() -> None:
    statements = [ALLOW_ALL, deny(Condition={"StringNotEquals": {"aws:PrincipalTag/dept": "x"}})]
    assert decide(statements, ACTION, RESOURCE) is EXPLICIT_DENY
    assert decide(statements, ACTION, RESOURCE, {"aws:PrincipalTag/dept": "x"}) is ALLOW


def test_missing_key_e77_notipaddress_deny_through_vpc_endpoint() -> None:
    statements = [ALLOW_ALL, deny(Condition={"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}})]
    assert decide(statements, ACTION, RESOURCE, {"aws:SourceIp": "203.0.113.9"}) is ALLOW
    assert decide(statements, ACTION, RESOURCE, {"aws:SourceIp": "198.51.100.1"}) is EXPLICIT_DENY
    assert decide(statements, ACTION, RESOURCE) is EXPLICIT_DENY
    assert decide(statements, ACTION, RESOURCE, {"aws:SourceIp": "2001:db8::1"}) is EXPLICIT_DENY


def test_null_e63_true_matches_absent_key() -> None:
    c = {"Null": {"aws:TokenIssueTime": "true"}}
    assert cond(c) is True
    assert cond(c, {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}) is False


def test_null_e63_false_matches_present_key() -> None:
    c = {"Null": {"aws:TokenIssueTime": "false"}}
    assert cond(c) is False
    assert cond(c, {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}) is True


def test_null_true_matches_empty_string_value() -> None:
    assert cond({"Null": {"aws:RequestTag/team": "true"}}, {"aws:RequestTag/team": ""}) is True
    assert cond({"Null": {"aws:RequestTag/team": "false"}}, {"aws:RequestTag/team": ""}) is False


def test_null_value_is_case_insensitive_and_json_boolean() -> None:
    assert cond({"Null": {"aws:TokenIssueTime": "TRUE"}}) is True
    assert cond({"Null": {"aws:TokenIssueTime": True}}) is True
    assert cond({"Null": {"aws:TokenIssueTime": False}}, {"aws:TokenIssueTime": "x"}) is True


def test_null_on_multivalued_key() -> None:
    assert cond({"Null": {"aws:TagKeys": "false"}}, {"aws:TagKeys": ["a", "b"]}) is True
    assert cond({"Null": {"aws:TagKeys": "true"}}, {"aws:TagKeys": ["a", "b"]}) is False


# ======================================================================
# §3.3 Operators, present keys: positive and negated forms
# ======================================================================


def test_string_equals_is_exact_and_case_sensitive() -> None:
    c = {"StringEquals": {"aws:username": "Alice"}}
    assert cond(c, {"aws:username": "Alice"}) is True
    assert cond(c, {"aws:username": "alice"}) is False
    assert cond(c, {"aws:username": "Alice "}) is False
    assert cond(c, {"aws:username": "Alic"}) is False


def test_string_equals_wildcards_are_literal() -> None:
    c = {"StringEquals": {"aws:username": "a*"}}
    assert cond(c, {"aws:username": "ab"}) is False
    assert cond(c, {"aws:username": "a*"}) is True
    c = {"StringEquals": {"aws:username": "a?"}}
    assert cond(c, {"aws:username": "ab"}) is False


def test_string_equals_no_unicode_normalisation() -> None:
    # precomposed ê (U+00EA) versus e + combining circumflex (U+0065 U+0302)
    c = {"StringEquals": {"aws:username": "ren\u00ea"}}
    assert cond(c, {"aws:username": "ren\u00ea"}) is True
    assert cond(c, {"aws:username": "rene\u0302"}) is False


def test_string_not_equals_negates() -> None:
    c = {"StringNotEquals": {"aws:username": "alice"}}
    assert cond(c, {"aws:username": "alice"}) is False
    assert cond(c, {"aws:username": "Alice"}) is True


def test_string_equals_ignore_case() -> None:
    c = {"StringEqualsIgnoreCase": {"aws:PrincipalTag/dept": "Finance"}}
    assert cond(c, {"aws:PrincipalTag/dept": "FINANCE"}) is True
    assert cond(c, {"aws:PrincipalTag/dept": "finance"}) is True
    assert cond(c, {"aws:PrincipalTag/dept": "finances"}) is False
    assert cond({"StringEqualsIgnoreCase": {"ex:k": "\u00c0b"}}, {"ex:k": "\u00e0B"}) is True


def test_string_equals_ignore_case_no_full_case_folding() -> None:
    c = {"StringEqualsIgnoreCase": {"ex:k": "stra\u00dfe"}}
    assert cond(c, {"ex:k": "STRASSE"}) is False
    assert cond(c, {"ex:k": "strasse"}) is False
    assert cond(c, {"ex:k": "STRA\u00dfE"}) is True


def test_string_not_equals_ignore_case() -> None:
    c = {"StringNotEqualsIgnoreCase": {"ex:k": ["Red", "BLUE"]}}
    assert cond(c, {"ex:k": "red"}) is False
    assert cond(c, {"ex:k": "blue"}) is False
    assert cond(c, {"ex:k": "green"}) is True


def test_string_like_glob() -> None:
    c = {"StringLike": {"s3:prefix": "home/*/docs/?"}}
    assert cond(c, {"s3:prefix": "home/alice/docs/a"}) is True
    assert cond(c, {"s3:prefix": "home/a/b/docs/a"}) is True
    assert cond(c, {"s3:prefix": "home//docs/a"}) is True
    assert cond(c, {"s3:prefix": "home/alice/docs/ab"}) is False
    assert cond(c, {"s3:prefix": "home/alice/docs/"}) is False
    assert cond(c, {"s3:prefix": "xhome/alice/docs/a"}) is False


def test_string_like_star_crosses_newlines_and_colons() -> None:
    c = {"StringLike": {"ex:k": "a*z"}}
    assert cond(c, {"ex:k": "a\nb:c/z"}) is True
    assert cond(c, {"ex:k": "az"}) is True


def test_string_like_is_case_sensitive() -> None:
    c = {"StringLike": {"ex:k": "Home/*"}}
    assert cond(c, {"ex:k": "Home/x"}) is True
    assert cond(c, {"ex:k": "home/x"}) is False


def test_string_not_like_nor() -> None:
    c = {"StringNotLike": {"ex:k": ["a*", "*z"]}}
    assert cond(c, {"ex:k": "abc"}) is False
    assert cond(c, {"ex:k": "xyz"}) is False
    assert cond(c, {"ex:k": "mmm"}) is True


@pytest.mark.parametrize(
    ("operator", "request_value", "expected"),
    [
        ("NumericEquals", "10", True),
        ("NumericEquals", "10.0", True),
        ("NumericEquals", "11", False),
        ("NumericNotEquals", "10", False),
        ("NumericNotEquals", "10.00", False),
        ("NumericNotEquals", "9", True),
        ("NumericLessThan", "9.99", True),
        ("NumericLessThan", "10", False),
        ("NumericLessThan", "11", False),
        ("NumericLessThanEquals", "10", True),
        ("NumericLessThanEquals", "10.01", False),
        ("NumericGreaterThan", "10.5", True),
        ("NumericGreaterThan", "10", False),
        ("NumericGreaterThanEquals", "10", True),
        ("NumericGreaterThanEquals", "9", False),
        ("NumericLessThan", "-1", True),
        ("NumericGreaterThan", "-11", False),
    ],
)
def test_numeric_operators(operator: str, request_value: str, expected: bool) -> None:
    assert cond({operator: {"s3:max-keys": "10"}}, {"s3:max-keys": request_value}) is expected


def test_numeric_e72() -> None:
    c = {"NumericLessThanEquals": {"s3:max-keys": "10"}}
    assert cond(c, {"s3:max-keys": "10"}) is True
    assert cond(c, {"s3:max-keys": "11"}) is False
    assert cond(c) is False
    assert cond({"NumericNotEquals": {"s3:max-keys": "10"}}) is True


def test_numeric_decimal_values_are_exact() -> None:
    # With binary floats 0.1 + 0.2 != 0.3 and 0.29999999999999999 == 0.3; decimals are exact.
    assert cond({"NumericEquals": {"ex:n": "0.3"}}, {"ex:n": "0.30000000000000004"}) is False
    assert cond({"NumericLessThan": {"ex:n": "0.3"}}, {"ex:n": "0.29999999999999999"}) is True
    assert cond({"NumericEquals": {"ex:n": "0.30"}}, {"ex:n": "0.3"}) is True
    big = "9007199254740993"  # 2**53 + 1: a float cannot hold it
    assert cond({"NumericEquals": {"ex:n": big}}, {"ex:n": "9007199254740992"}) is False
    assert cond({"NumericGreaterThan": {"ex:n": "9007199254740992"}}, {"ex:n": big}) is True


def test_numeric_several_values_or_and_nor() -> None:
    assert cond({"NumericEquals": {"ex:n": ["1", "2"]}}, {"ex:n": "2"}) is True
    assert cond({"NumericEquals": {"ex:n": ["1", "2"]}}, {"ex:n": "3"}) is False
    assert cond({"NumericNotEquals": {"ex:n": ["1", "2"]}}, {"ex:n": "2"}) is False
    assert cond({"NumericNotEquals": {"ex:n": ["1", "2"]}}, {"ex:n": "3"}) is True


def test_date_e73() -> None:
    c = {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}
    assert cond(c, {"aws:TokenIssueTime": "2020-01-01T00:00:02Z"}) is True
    assert cond(c, {"aws:TokenIssueTime": "2019-12-31T23:59:59Z"}) is False
    assert cond(c, {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}) is False
    assert cond(c) is False


def test_date_e74_epoch_values_are_seconds() -> None:
    # DISPUTED: seconds (docs, PMapper), not iam-simulate's milliseconds.
    assert (
        cond(
            {"DateLessThan": {"aws:CurrentTime": "1577836800"}},
            {"aws:CurrentTime": "2019-12-31T23:59:59Z"},
        )
        is True
    )
    assert (
        cond(
            {"DateLessThan": {"aws:EpochTime": "2020-01-01T00:00:00Z"}},
            {"aws:EpochTime": "1577836801"},
        )
        is False
    )
    assert (
        cond(
            {"DateEquals": {"aws:EpochTime": "2020-01-01T00:00:00Z"}},
            {"aws:EpochTime": "1577836800"},
        )
        is True
    )
    assert (
        cond(
            {"DateEquals": {"aws:EpochTime": "2024-01-01T00:00:00Z"}},
            {"aws:EpochTime": "1704067200000"},
        )
        is False
    )


@pytest.mark.parametrize(
    "same_instant",
    [
        "2020-01-01T00:00:00Z",
        "2020-01-01T01:00:00+01:00",
        "2019-12-31T19:00:00-05:00",
        "2020-01-01T05:30+05:30",
        "2020-01-01T00:00Z",
        "2020-01-01",
        "2020-01",
        "2020",
        "2020-01-01T00:00:00.000Z",
        "2020-01-01t00:00:00z",
        "1577836800",
        "2020-01-01T00:00:00",
        "2020-01-01T01:00:00+01",
    ],
)
def test_date_equals_every_iso_form_and_offset(same_instant: str) -> None:
    c = {"DateEquals": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
    assert cond(c, {"aws:CurrentTime": same_instant}) is True
    c = {"DateEquals": {"aws:CurrentTime": same_instant}}
    assert cond(c, {"aws:CurrentTime": "2020-01-01T00:00:00Z"}) is True
    assert cond(c, {"aws:CurrentTime": "2020-01-01T00:00:01Z"}) is False


def test_date_offsets_move_the_instant() -> None:
    c = {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
    assert cond(c, {"aws:CurrentTime": "2020-01-01T00:30:00+01:00"}) is True
    assert cond(c, {"aws:CurrentTime": "2019-12-31T23:30:00-01:00"}) is False


def test_date_fractional_seconds() -> None:
    c = {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00.5Z"}}
    assert cond(c, {"aws:CurrentTime": "2020-01-01T00:00:00.4Z"}) is True
    assert cond(c, {"aws:CurrentTime": "2020-01-01T00:00:00.500000001Z"}) is False


def test_date_other_operators() -> None:
    assert (
        cond(
            {"DateNotEquals": {"aws:CurrentTime": "2020-01-01"}},
            {"aws:CurrentTime": "2020-01-01T00:00Z"},
        )
        is False
    )
    c = {"DateNotEquals": {"aws:CurrentTime": ["2020-01-01", "2021-01-01"]}}
    assert cond(c, {"aws:CurrentTime": "2021-01-01T00:00:00Z"}) is False
    assert cond(c, {"aws:CurrentTime": "2022-01-01T00:00:00Z"}) is True
    c = {"DateLessThanEquals": {"aws:CurrentTime": "2020-01-01"}}
    assert cond(c, {"aws:CurrentTime": "2020-01-01T00:00:00Z"}) is True
    assert cond(c, {"aws:CurrentTime": "2020-01-02"}) is False
    c = {"DateGreaterThanEquals": {"aws:CurrentTime": "2020-01-01"}}
    assert cond(c, {"aws:CurrentTime": "2019-12-31"}) is False
    assert cond(c, {"aws:CurrentTime": "1577836800"}) is True


def test_bool_e75_deny_on_insecure_transport() -> None:
    for value in ("false", False):
        statements = [ALLOW_ALL, deny("s3:*", Condition={"Bool": {"aws:SecureTransport": value}})]
        assert (
            decide(statements, ACTION, RESOURCE, {"aws:SecureTransport": "false"}) is EXPLICIT_DENY
        )
        assert decide(statements, ACTION, RESOURCE, {"aws:SecureTransport": "true"}) is ALLOW


def test_bool_is_case_insensitive() -> None:
    assert cond({"Bool": {"aws:SecureTransport": "True"}}, {"aws:SecureTransport": "TRUE"}) is True
    assert (
        cond({"Bool": {"aws:SecureTransport": "FALSE"}}, {"aws:SecureTransport": "false"}) is True
    )
    assert (
        cond({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "False"}) is False
    )


@pytest.mark.parametrize("request_value", ["yes", "1", "", "truee", "0", "garbage"])
def test_bool_request_value_other_than_true_false_cannot_be_read(request_value: str) -> None:
    """Fail closed (semantics.md §3.3 says no match, under which a Deny on `false` would not fire):
    a Deny applies and an Allow does not, under either policy value."""
    assert cond({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": request_value}) is None
    assert cond({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": request_value}) is None


def test_bool_ifexists_mfa_idiom() -> None:
    c = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    assert cond(c) is True
    assert cond(c, {"aws:MultiFactorAuthPresent": "false"}) is True
    assert cond(c, {"aws:MultiFactorAuthPresent": "true"}) is False


def test_binary_equals_compares_base64_bytes() -> None:
    c = {"BinaryEquals": {"ex:blob": "QmluYXJ5"}}  # b"Binary"
    assert cond(c, {"ex:blob": "QmluYXJ5"}) is True
    assert cond(c, {"ex:blob": "T3RoZXI="}) is False
    assert (
        cond({"BinaryEquals": {"ex:blob": ["T3RoZXI=", "QmluYXJ5"]}}, {"ex:blob": "QmluYXJ5"})
        is True
    )


def test_ip_e76_cidr_blocks_and_ipv6() -> None:
    c = {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}
    assert cond(c, {"aws:SourceIp": "203.0.113.45"}) is True
    assert cond(c, {"aws:SourceIp": "198.51.100.7"}) is False
    assert cond(c, {"aws:SourceIp": "2001:db8:1234:5678::abcd"}) is True
    assert cond(c, {"aws:SourceIp": "2001:0DB8:1234:5678:0:0:0:1"}) is True
    assert cond(c, {"aws:SourceIp": "2001:db8:1234:5679::1"}) is False


def test_ip_bare_addresses_are_single_hosts() -> None:
    c = {"IpAddress": {"aws:SourceIp": "203.0.113.5"}}
    assert cond(c, {"aws:SourceIp": "203.0.113.5"}) is True
    assert cond(c, {"aws:SourceIp": "203.0.113.6"}) is False
    c = {"IpAddress": {"aws:SourceIp": "2001:db8::5"}}
    assert cond(c, {"aws:SourceIp": "2001:DB8:0::5"}) is True
    assert cond(c, {"aws:SourceIp": "2001:db8::6"}) is False


def test_ip_versions_never_mix() -> None:
    assert (
        cond({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {"aws:SourceIp": "2001:db8::1"}) is False
    )
    assert cond({"IpAddress": {"aws:SourceIp": "::/0"}}, {"aws:SourceIp": "203.0.113.1"}) is False
    assert (
        cond({"NotIpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {"aws:SourceIp": "2001:db8::1"})
        is True
    )
    assert cond({"NotIpAddress": {"aws:SourceIp": "::/0"}}, {"aws:SourceIp": "203.0.113.1"}) is True


def test_ip_not_ip_address_nor() -> None:
    c = {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}
    assert cond(c, {"aws:SourceIp": "203.0.113.1"}) is False
    assert cond(c, {"aws:SourceIp": "2001:db8::1"}) is False
    assert cond(c, {"aws:SourceIp": "198.51.100.1"}) is True


def test_arn_equals_honours_wildcards_like_arn_like() -> None:
    for operator in ("ArnEquals", "ArnLike"):
        c = {operator: {"aws:SourceArn": "arn:aws:sns:*:111122223333:t?"}}
        assert cond(c, {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t1"}) is True
        assert cond(c, {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t12"}) is False
        assert cond(c, {"aws:SourceArn": "arn:aws:sns:us-east-1:444455556666:t1"}) is False


def test_arn_e51_service_principal_source_arn() -> None:
    c = {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t1"}}
    assert cond(c, {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t1"}) is True
    assert cond(c, {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t2"}) is False
    assert cond(c) is False


def test_arn_e59_arnlike_is_field_wise_stringlike_is_not() -> None:
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    assert cond({"StringLike": {"aws:SourceArn": pattern}}, {"aws:SourceArn": value}) is True
    assert cond({"ArnLike": {"aws:SourceArn": pattern}}, {"aws:SourceArn": value}) is False
    assert cond({"ArnNotLike": {"aws:SourceArn": pattern}}, {"aws:SourceArn": value}) is True


def test_arn_is_case_sensitive() -> None:
    c = {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}}
    assert cond(c, {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Admin"}) is True
    assert cond(c, {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/admin"}) is False


def test_arn_resource_field_star_crosses_colons_and_slashes() -> None:
    c = {"ArnLike": {"aws:SourceArn": "arn:aws:logs:us-east-1:111122223333:log-group:*"}}
    assert (
        cond(c, {"aws:SourceArn": "arn:aws:logs:us-east-1:111122223333:log-group:a/b:log-stream:c"})
        is True
    )


def test_arn_e82_not_like_against_non_arn_value() -> None:
    statements = [
        ALLOW_ALL,
        deny(Condition={"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin"}}),
    ]
    assert (
        decide(
            statements, ACTION, RESOURCE, {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/dev"}
        )
        is EXPLICIT_DENY
    )
    assert (
        decide(
            statements,
            ACTION,
            RESOURCE,
            {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/admin"},
        )
        is ALLOW
    )
    # E82 reads a value that is no ARN as no match, so the Deny would not fire; qiam cannot read it,
    # and fails closed: the Deny applies, with the value reported (a departure from E82, by design).
    assert decide(statements, ACTION, RESOURCE, {"aws:PrincipalArn": "not-an-arn"}) is EXPLICIT_DENY


def test_arn_operators_cannot_read_a_value_that_is_no_arn() -> None:
    """Fail closed: an Arn condition over a value that is no ARN cannot be read, under every Arn operator
    (a Deny applies and an Allow does not; ``cond`` checks both effects)."""
    assert cond({"ArnLike": {"ex:arn": "*"}}, {"ex:arn": "not-an-arn"}) is None
    assert cond({"ArnLike": {"ex:arn": "arn:*:*:*:*:*"}}, {"ex:arn": "arn:aws:s3"}) is None
    assert cond({"ArnNotEquals": {"ex:arn": "arn:aws:s3:::b"}}, {"ex:arn": "arn:aws:s3"}) is None
    assert cond({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}},
                {"aws:PrincipalArn": "not-an-arn"}) is None
    assert cond({"ArnEquals": {"ex:arn": "arn:aws:s3:::b"}}, {"ex:arn": "arn:aws:s3:::b"}) is True


def test_arn_not_equals_nor() -> None:
    c = {"ArnNotEquals": {"aws:SourceArn": ["arn:aws:sns:*:*:a", "arn:aws:sns:*:*:b"]}}
    assert cond(c, {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:a"}) is False
    assert cond(c, {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:b"}) is False
    assert cond(c, {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:c"}) is True


# ======================================================================
# §3.4 IfExists
# ======================================================================


def test_ifexists_positive_present_compares() -> None:
    c = {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*"]}}
    assert cond(c) is True
    assert cond(c, {"ec2:InstanceType": "t2.micro"}) is True
    assert cond(c, {"ec2:InstanceType": "m5.large"}) is False


def test_ifexists_negated_present_compares() -> None:
    c = {"StringNotEqualsIfExists": {"aws:ResourceOrgID": "o-abc"}}
    assert cond(c) is True
    assert cond(c, {"aws:ResourceOrgID": "o-abc"}) is False
    assert cond(c, {"aws:ResourceOrgID": "o-xyz"}) is True


def test_ifexists_e62_negated_deny_key_absent() -> None:
    statements = [
        ALLOW_ALL,
        deny("s3:*", Condition={"StringNotEqualsIfExists": {"aws:ResourceOrgID": "o-abc"}}),
    ]
    assert decide(statements, ACTION, RESOURCE) is EXPLICIT_DENY
    assert decide(statements, ACTION, RESOURCE, {"aws:ResourceOrgID": "o-abc"}) is ALLOW
    assert decide(statements, ACTION, RESOURCE, {"aws:ResourceOrgID": "o-xyz"}) is EXPLICIT_DENY


def test_ifexists_numeric_and_date_and_ip() -> None:
    assert cond({"NumericLessThanIfExists": {"s3:max-keys": "10"}}, {"s3:max-keys": "11"}) is False
    assert (
        cond(
            {"DateLessThanIfExists": {"aws:CurrentTime": "2020-01-01"}},
            {"aws:CurrentTime": "2021-01-01"},
        )
        is False
    )
    assert (
        cond({"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "11.0.0.1"})
        is False
    )
    assert (
        cond({"ArnLikeIfExists": {"ex:a": "arn:aws:s3:::b"}}, {"ex:a": "arn:aws:s3:::c"}) is False
    )


# ======================================================================
# §3.5 Set operators
# ======================================================================


def test_set_e64_forallvalues_missing_key_is_true() -> None:
    statements = [
        allow(
            "iam:TagUser", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["CostCenter"]}}
        )
    ]
    assert decide(statements, "iam:TagUser") is ALLOW
    assert decide(statements, "iam:TagUser", context={"aws:TagKeys": ["CostCenter"]}) is ALLOW
    assert (
        decide(statements, "iam:TagUser", context={"aws:TagKeys": ["CostCenter", "Owner"]})
        is IMPLICIT_DENY
    )


def test_set_e65_foranyvalue_missing_key_is_false() -> None:
    statements = [
        ALLOW_ALL,
        deny(
            "dynamodb:PutItem",
            "arn:aws:dynamodb:*:*:table/Thread",
            Condition={"ForAnyValue:StringEquals": {"dynamodb:Attributes": ["ID", "PostDateTime"]}},
        ),
    ]
    table = "arn:aws:dynamodb:us-east-1:111122223333:table/Thread"
    assert (
        decide(
            statements,
            "dynamodb:PutItem",
            table,
            {"dynamodb:Attributes": ["UserName", "Message", "PostDateTime"]},
        )
        is EXPLICIT_DENY
    )
    assert (
        decide(statements, "dynamodb:PutItem", table, {"dynamodb:Attributes": ["UserName"]})
        is ALLOW
    )
    assert decide(statements, "dynamodb:PutItem", table) is ALLOW


def test_set_e66_forallvalues_is_subset_test() -> None:
    c = {"ForAllValues:StringEquals": {"dynamodb:Attributes": ["PostDateTime", "Message", "Tags"]}}
    assert cond(c, {"dynamodb:Attributes": ["PostDateTime", "UserName"]}) is False
    assert cond(c, {"dynamodb:Attributes": ["Message", "Tags"]}) is True
    assert cond(c, {"dynamodb:Attributes": ["Message", "Tags", "PostDateTime"]}) is True


def test_set_empty_request_set() -> None:
    assert cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": []}) is True
    assert cond({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": []}) is False


@pytest.mark.parametrize(
    ("tag_keys", "expected"),
    [
        (["key1:legal"], ALLOW),
        (["key1:hr", "key1:personnel"], ALLOW),
        (["key2:audit"], EXPLICIT_DENY),
        (None, EXPLICIT_DENY),
        (["key1:hr", "key2:audit"], ALLOW),
    ],
)
def test_set_e67_forallvalues_negated_base_aws_table(
    tag_keys: list[str] | None, expected: Decision
) -> None:
    statements = [
        ALLOW_ALL,
        deny(
            ["iam:Tag*", "iam:UnTag*"],
            Condition={"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}},
        ),
    ]
    context = None if tag_keys is None else {"aws:TagKeys": tag_keys}
    assert decide(statements, "iam:TagUser", context=context) is expected


def test_set_forallvalues_string_not_equals_is_disjointness() -> None:
    c = {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["a", "b"]}}
    assert cond(c, {"aws:TagKeys": ["c", "d"]}) is True
    assert cond(c, {"aws:TagKeys": ["c", "a"]}) is False
    assert cond(c, {"aws:TagKeys": ["b"]}) is False


def test_set_foranyvalue_string_not_equals_is_some_outside() -> None:
    c = {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a", "b"]}}
    assert cond(c, {"aws:TagKeys": ["a", "c"]}) is True
    assert cond(c, {"aws:TagKeys": ["a", "b"]}) is False
    assert cond(c, {"aws:TagKeys": ["a"]}) is False


def test_set_foranyvalue_positive() -> None:
    c = {"ForAnyValue:StringLike": {"aws:TagKeys": ["env*", "team"]}}
    assert cond(c, {"aws:TagKeys": ["x", "environment"]}) is True
    assert cond(c, {"aws:TagKeys": ["x", "Team"]}) is False


def test_set_operators_on_other_families() -> None:
    assert cond({"ForAllValues:NumericLessThan": {"ex:n": "10"}}, {"ex:n": ["1", "9.5"]}) is True
    assert cond({"ForAllValues:NumericLessThan": {"ex:n": "10"}}, {"ex:n": ["1", "10"]}) is False
    assert (
        cond(
            {"ForAnyValue:IpAddress": {"ex:ips": "10.0.0.0/8"}}, {"ex:ips": ["1.1.1.1", "10.1.1.1"]}
        )
        is True
    )
    assert (
        cond(
            {"ForAnyValue:ArnLike": {"ex:arns": "arn:aws:s3:::b*"}},
            {"ex:arns": ["arn:aws:s3:::a", "arn:aws:s3:::b1"]},
        )
        is True
    )
    assert (
        cond({"ForAllValues:StringEqualsIgnoreCase": {"ex:k": ["A", "b"]}}, {"ex:k": ["a", "B"]})
        is True
    )


def test_set_e69_forallvalues_on_single_valued_key() -> None:
    c = {"ForAllValues:StringEquals": {"aws:ResourceTag/env": "dev"}}
    assert cond(c) is True
    assert cond(c, {"aws:ResourceTag/env": "prod"}) is False
    assert cond(c, {"aws:ResourceTag/env": "dev"}) is True
    assert (
        cond(
            {"ForAnyValue:StringEquals": {"aws:ResourceTag/env": "dev"}},
            {"aws:ResourceTag/env": "dev"},
        )
        is True
    )


def test_set_empty_policy_list() -> None:
    assert cond({"ForAllValues:StringEquals": {"aws:TagKeys": []}}) is True
    assert cond({"ForAllValues:StringEquals": {"aws:TagKeys": []}}, {"aws:TagKeys": ["a"]}) is False
    assert cond({"ForAnyValue:StringEquals": {"aws:TagKeys": []}}, {"aws:TagKeys": ["a"]}) is False
    assert cond({"ForAnyValue:StringEquals": {"aws:TagKeys": []}}) is False


def test_set_e79_plain_operator_on_multivalued_key_is_false() -> None:
    # DISPUTED: iam-simulate's reading — false for every operator, negated included, with a note.
    for operator in (
        "StringEquals",
        "StringNotEquals",
        "StringLike",
        "StringNotLike",
        "StringEqualsIfExists",
    ):
        c = {operator: {"aws:TagKeys": "a"}}
        assert cond(c, {"aws:TagKeys": ["a", "b"]}) is False, operator
        assert cond(c, {"aws:TagKeys": ["x", "y"]}) is False, operator
    result = evaluate(
        [allow(Condition={"StringEquals": {"aws:TagKeys": "a"}})],
        ACTION,
        RESOURCE,
        {"aws:TagKeys": ["a", "b"]},
    )
    assert MULTIVALUED in codes(result)


def test_set_e79_plain_operator_on_one_element_list_is_false() -> None:
    # Single- vs multivalued is a property of the request: a list is multivalued even with one item.
    assert cond({"StringEquals": {"aws:TagKeys": "a"}}, {"aws:TagKeys": ["a"]}) is False
    assert cond({"NumericEquals": {"ex:n": "1"}}, {"ex:n": ["1"]}) is False
    assert cond({"NotIpAddress": {"ex:ip": "10.0.0.0/8"}}, {"ex:ip": ["1.1.1.1"]}) is False


def test_set_e80_empty_strings_are_a_null_set() -> None:
    # DISPUTED: the docs' reading — [""] is a null set, so ForAllValues is true, ForAnyValue false.
    assert (
        cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": [""]}) is True
    )
    assert cond({"ForAnyValue:StringEquals": {"aws:TagKeys": [""]}}, {"aws:TagKeys": [""]}) is False
    assert (
        cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ["", "a"]})
        is True
    )
    assert (
        cond({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ["", "a"]})
        is True
    )


def test_set_e80_empty_string_scalar_is_a_null_set() -> None:
    assert (
        cond(
            {"ForAllValues:StringEquals": {"aws:ResourceTag/env": "dev"}},
            {"aws:ResourceTag/env": ""},
        )
        is True
    )
    assert (
        cond({"ForAnyValue:StringEquals": {"aws:ResourceTag/env": ""}}, {"aws:ResourceTag/env": ""})
        is False
    )


def test_null_true_matches_set_of_empty_strings() -> None:
    assert cond({"Null": {"aws:TagKeys": "true"}}, {"aws:TagKeys": [""]}) is True
    assert cond({"Null": {"aws:TagKeys": "false"}}, {"aws:TagKeys": [""]}) is False


def test_set_e81_foranyvalue_ifexists_missing_key_is_true() -> None:
    # DISPUTED: the IfExists rule (docs) — absent key makes the condition true.
    assert cond({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": ["a"]}}) is True
    assert cond({"ForAllValues:StringEqualsIfExists": {"aws:TagKeys": ["a"]}}) is True
    assert (
        cond({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ["b"]})
        is False
    )
    assert (
        cond(
            {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": ["a"]}},
            {"aws:TagKeys": ["b", "a"]},
        )
        is True
    )


# ======================================================================
# §3.6 Policy variables
# ======================================================================


def test_variable_e36_username_in_resource() -> None:
    statements = [allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*")]
    ctx = {"aws:username": "alice"}
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/alice/x", ctx) is ALLOW
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/alice/x/y", ctx) is ALLOW
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/bob/x", ctx) is IMPLICIT_DENY


def test_variable_names_are_case_insensitive() -> None:
    statements = [allow("s3:GetObject", "arn:aws:s3:::b/${AWS:UserName}/*")]
    assert (
        decide(statements, "s3:GetObject", "arn:aws:s3:::b/alice/x", {"aws:username": "alice"})
        is ALLOW
    )


def test_variable_e39_default_value() -> None:
    statements = [allow("s3:ListBucket", "arn:aws:s3:::b-${aws:PrincipalTag/team, 'company-wide'}")]
    assert decide(statements, "s3:ListBucket", "arn:aws:s3:::b-company-wide") is ALLOW
    tagged = {"aws:PrincipalTag/team": "yellow"}
    assert decide(statements, "s3:ListBucket", "arn:aws:s3:::b-yellow", tagged) is ALLOW
    assert (
        decide(statements, "s3:ListBucket", "arn:aws:s3:::b-company-wide", tagged) is IMPLICIT_DENY
    )


def test_variable_default_is_literal() -> None:
    statements = [allow("s3:ListBucket", "arn:aws:s3:::b-${aws:PrincipalTag/team, 'a*'}")]
    assert decide(statements, "s3:ListBucket", "arn:aws:s3:::b-a*") is ALLOW
    assert decide(statements, "s3:ListBucket", "arn:aws:s3:::b-ab") is IMPLICIT_DENY


def test_variable_e40_special_star_is_literal() -> None:
    statements = [allow("s3:GetObject", "arn:aws:s3:::b/file${*}")]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/file*") is ALLOW
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/file1") is IMPLICIT_DENY


def test_variable_special_question_mark_and_dollar_are_literal() -> None:
    statements = [allow("s3:GetObject", "arn:aws:s3:::b/file${?}")]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/file?") is ALLOW
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/file1") is IMPLICIT_DENY
    statements = [allow("s3:GetObject", "arn:aws:s3:::b/${$}{x}")]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/${x}") is ALLOW


def test_variable_specials_in_condition_values() -> None:
    assert cond({"StringLike": {"ex:k": "a${*}"}}, {"ex:k": "a*"}) is True
    assert cond({"StringLike": {"ex:k": "a${*}"}}, {"ex:k": "ab"}) is False
    assert cond({"StringLike": {"ex:k": "a${?}*"}}, {"ex:k": "a?bc"}) is True
    assert cond({"StringLike": {"ex:k": "a${?}*"}}, {"ex:k": "abc"}) is False
    assert cond({"StringEquals": {"ex:k": "price${$}"}}, {"ex:k": "price$"}) is True


def test_variable_dollar_without_brace_is_ordinary() -> None:
    statements = [allow("s3:GetObject", "arn:aws:s3:::b/$x")]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/$x") is ALLOW
    assert cond({"StringEquals": {"ex:k": "a$b"}}, {"ex:k": "a$b"}) is True


@pytest.mark.parametrize("username", ["a*", "a?", "*"])
def test_variable_resolved_value_is_literal_in_resource(username: str) -> None:
    statements = [allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}")]
    ctx = {"aws:username": username}
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/ab", ctx) is IMPLICIT_DENY
    assert decide(statements, "s3:GetObject", f"arn:aws:s3:::b/{username}", ctx) is ALLOW


def test_variable_resolved_value_is_literal_in_like_conditions() -> None:
    c = {"StringLike": {"s3:prefix": "home/${aws:username}/*"}}
    assert cond(c, {"aws:username": "a*", "s3:prefix": "home/ab/x"}) is False
    assert cond(c, {"aws:username": "a*", "s3:prefix": "home/a*/x"}) is True
    c = {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/${aws:username}"}}
    assert (
        cond(c, {"aws:username": "a*", "aws:PrincipalArn": "arn:aws:iam::111122223333:user/ab"})
        is False
    )
    assert (
        cond(c, {"aws:username": "a*", "aws:PrincipalArn": "arn:aws:iam::111122223333:user/a*"})
        is True
    )


def test_variable_resolved_value_with_backslash_is_literal() -> None:
    statements = [allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}")]
    ctx = {"aws:username": "a\\*"}
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/a\\*", ctx) is ALLOW
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/a\\x", ctx) is IMPLICIT_DENY


def test_variable_surrounding_wildcards_still_work() -> None:
    c = {"StringLike": {"s3:prefix": ["home/${aws:username}/*", "home/${aws:username}"]}}
    assert cond(c, {"aws:username": "alice", "s3:prefix": "home/alice/docs"}) is True
    assert cond(c, {"aws:username": "alice", "s3:prefix": "home/alice"}) is True
    assert cond(c, {"aws:username": "alice", "s3:prefix": "home/bob/docs"}) is False


def test_variable_in_string_equals_and_ignore_case() -> None:
    assert (
        cond(
            {"StringEquals": {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}},
            {"aws:PrincipalTag/team": "red", "aws:ResourceTag/team": "red"},
        )
        is True
    )
    assert (
        cond(
            {"StringEquals": {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}},
            {"aws:PrincipalTag/team": "red", "aws:ResourceTag/team": "blue"},
        )
        is False
    )
    assert (
        cond(
            {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}},
            {"aws:PrincipalTag/team": "RED", "aws:ResourceTag/team": "red"},
        )
        is True
    )
    assert (
        cond(
            {"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}},
            {"aws:PrincipalTag/team": "a*", "aws:username": "a*"},
        )
        is True
    )


def test_variable_default_in_condition_value() -> None:
    c = {"StringEquals": {"s3:prefix": "${aws:PrincipalTag/home, 'shared'}"}}
    assert cond(c, {"s3:prefix": "shared"}) is True
    assert cond(c, {"s3:prefix": "shared", "aws:PrincipalTag/home": "mine"}) is False
    assert cond(c, {"s3:prefix": "mine", "aws:PrincipalTag/home": "mine"}) is True


def test_variable_unresolved_positive_condition_never_matches() -> None:
    assert (
        cond({"StringEquals": {"s3:prefix": "${aws:PrincipalTag/team}"}}, {"s3:prefix": ""})
        is False
    )
    assert (
        cond(
            {"StringEquals": {"s3:prefix": "${aws:PrincipalTag/team}"}},
            {"s3:prefix": "${aws:PrincipalTag/team}"},
        )
        is False
    )
    assert (
        cond({"StringLike": {"s3:prefix": "${aws:PrincipalTag/team}*"}}, {"s3:prefix": "x"})
        is False
    )
    assert (
        cond(
            {"StringEqualsIgnoreCase": {"s3:prefix": "${aws:PrincipalTag/team}"}},
            {"s3:prefix": "x"},
        )
        is False
    )
    assert (
        cond(
            {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:${aws:PrincipalTag/team}"}},
            {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"},
        )
        is False
    )


def test_variable_unresolved_negated_condition_matches() -> None:
    # DISPUTED E42: the docs' reading — any request value differs from a null.
    assert (
        cond({"StringNotEquals": {"s3:prefix": "${aws:PrincipalTag/team}"}}, {"s3:prefix": "x"})
        is True
    )
    assert (
        cond({"StringNotLike": {"s3:prefix": "${aws:PrincipalTag/team}*"}}, {"s3:prefix": "x"})
        is True
    )
    assert (
        cond(
            {"StringNotEqualsIgnoreCase": {"s3:prefix": "${aws:PrincipalTag/team}"}},
            {"s3:prefix": "x"},
        )
        is True
    )
    assert (
        cond(
            {"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:${aws:PrincipalTag/team}"}},
            {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"},
        )
        is True
    )


def test_variable_e42_unresolved_in_negated_deny() -> None:
    statements = [
        allow("s3:GetObject"),
        deny(
            "s3:GetObject",
            Condition={
                "StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}
            },
        ),
    ]
    ctx = {"s3:ExistingObjectTag/Team": "red"}
    assert decide(statements, ACTION, RESOURCE, ctx) is EXPLICIT_DENY
    ctx_matching = {"s3:ExistingObjectTag/Team": "red", "aws:PrincipalTag/Team": "red"}
    assert decide(statements, ACTION, RESOURCE, ctx_matching) is ALLOW
    positive = [
        allow(
            "s3:GetObject",
            Condition={"StringEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}},
        )
    ]
    assert decide(positive, ACTION, RESOURCE, ctx) is IMPLICIT_DENY


def test_variable_unresolved_resource_matches_nothing() -> None:
    statements = [allow("s3:GetObject", "arn:aws:s3:::b/${aws:PrincipalTag/team}/*")]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/x/y") is IMPLICIT_DENY
    assert (
        decide(statements, "s3:GetObject", "arn:aws:s3:::b/${aws:PrincipalTag/team}/y")
        is IMPLICIT_DENY
    )
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b//y") is IMPLICIT_DENY


def test_variable_e43_unresolved_notresource_excludes_nothing() -> None:
    # DISPUTED: the docs' reading — the entry matches nothing, so the Deny applies.
    statements = [ALLOW_ALL, deny("s3:*", NotResource="arn:aws:s3:::b/${aws:PrincipalTag/team}/*")]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/x/y") is EXPLICIT_DENY
    assert (
        decide(statements, "s3:GetObject", "arn:aws:s3:::b/x/y", {"aws:PrincipalTag/team": "x"})
        is ALLOW
    )


def test_variable_unresolved_notresource_in_allow_grants() -> None:
    statements = [allow("s3:*", NotResource="arn:aws:s3:::b/${aws:PrincipalTag/team}/*")]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::b/x/y") is ALLOW
    assert (
        decide(statements, "s3:GetObject", "arn:aws:s3:::b/x/y", {"aws:PrincipalTag/team": "x"})
        is IMPLICIT_DENY
    )


def test_variable_unresolved_is_reported() -> None:
    # §4.6: the diagnostics name unresolved variables.
    statements = [allow("s3:GetObject", "arn:aws:s3:::b/${aws:PrincipalTag/team}/*")]
    result = evaluate(statements, "s3:GetObject", "arn:aws:s3:::b/x/y")
    assert result.decision is IMPLICIT_DENY
    assert "unresolved-variable" in codes(result)
    resolved = evaluate(
        statements, "s3:GetObject", "arn:aws:s3:::b/x/y", {"aws:PrincipalTag/team": "x"}
    )
    assert resolved.decision is ALLOW
    assert "unresolved-variable" not in codes(resolved)


def test_variable_multivalued_key_is_unresolved() -> None:
    statements = [allow("s3:GetObject", "arn:aws:s3:::b/${aws:TagKeys}/*")]
    assert (
        decide(statements, "s3:GetObject", "arn:aws:s3:::b/a/k", {"aws:TagKeys": ["a"]})
        is IMPLICIT_DENY
    )
    assert (
        cond(
            {"StringEquals": {"s3:prefix": "${aws:TagKeys}"}},
            {"s3:prefix": "a", "aws:TagKeys": ["a"]},
        )
        is False
    )
    assert (
        cond(
            {"StringNotEquals": {"s3:prefix": "${aws:TagKeys}"}},
            {"s3:prefix": "a", "aws:TagKeys": ["a"]},
        )
        is True
    )


def test_variable_version_2008_is_literal_in_resource() -> None:
    ps = pset_2008(allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"))
    ctx = {"aws:username": "alice"}
    assert decide(ps, "s3:GetObject", "arn:aws:s3:::b/alice/x", ctx) is IMPLICIT_DENY
    assert decide(ps, "s3:GetObject", "arn:aws:s3:::b/${aws:username}/x", ctx) is ALLOW


def test_variable_version_2008_special_is_literal_text_with_wildcard() -> None:
    # Under 2008-10-17 `${*}` is the characters `$`, `{`, `*`, `}`: the `*` stays a wildcard.
    ps = pset_2008(allow("s3:GetObject", "arn:aws:s3:::b/${*}"))
    assert decide(ps, "s3:GetObject", "arn:aws:s3:::b/${anything}") is ALLOW
    assert decide(ps, "s3:GetObject", "arn:aws:s3:::b/*") is IMPLICIT_DENY


def test_variable_version_2008_is_literal_in_conditions() -> None:
    ps = pset_2008(
        allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": "${aws:username}"}})
    )
    assert (
        decide(ps, ACTION, RESOURCE, {"s3:prefix": "alice", "aws:username": "alice"})
        is IMPLICIT_DENY
    )
    assert (
        decide(ps, ACTION, RESOURCE, {"s3:prefix": "${aws:username}", "aws:username": "alice"})
        is ALLOW
    )


def test_variable_missing_version_is_literal() -> None:
    compiled = compile_policy(
        policy(allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}"), version=None),
        "iam-user-inline",
    )
    ps = PolicySet(identity=(compiled,))
    assert (
        decide(ps, "s3:GetObject", "arn:aws:s3:::b/alice", {"aws:username": "alice"})
        is IMPLICIT_DENY
    )
    assert decide(ps, "s3:GetObject", "arn:aws:s3:::b/${aws:username}") is ALLOW


# ======================================================================
# Fail-closed: conditions that cannot be read
# ======================================================================


def test_fail_closed_numeric_policy_value_not_a_number() -> None:
    c = {"NumericEquals": {"s3:max-keys": "ten"}}
    assert cond(c, {"s3:max-keys": "10"}) is None
    assert cond({"NumericNotEquals": {"s3:max-keys": "ten"}}, {"s3:max-keys": "10"}) is None
    assert cond({"NumericLessThan": {"s3:max-keys": "ten"}}, {"s3:max-keys": "10"}) is None


def test_fail_closed_numeric_request_value_not_a_number() -> None:
    for operator in (
        "NumericEquals",
        "NumericNotEquals",
        "NumericGreaterThan",
        "NumericLessThanEqualsIfExists",
    ):
        assert cond({operator: {"s3:max-keys": "10"}}, {"s3:max-keys": "ten"}) is None, operator


def test_fail_closed_diagnostic_and_matched_statement() -> None:
    result = evaluate(
        [ALLOW_ALL, deny(Sid="Guard", Condition={"NumericLessThan": {"s3:max-keys": "10"}})],
        ACTION,
        RESOURCE,
        {"s3:max-keys": "lots"},
    )
    assert result.decision is EXPLICIT_DENY
    assert [(m.index, m.sid) for m in result.matched] == [(1, "Guard")]
    assert UNDECIDABLE in codes(result)
    result = evaluate(
        [allow(Condition={"NumericLessThan": {"s3:max-keys": "10"}})],
        ACTION,
        RESOURCE,
        {"s3:max-keys": "lots"},
    )
    assert result.decision is IMPLICIT_DENY
    assert result.matched == ()
    assert UNDECIDABLE in codes(result)


def test_fail_closed_readable_request_is_unaffected() -> None:
    # A readable condition leaves no undecidable note behind.
    result = evaluate(
        [allow(Condition={"NumericLessThan": {"s3:max-keys": "10"}})],
        ACTION,
        RESOURCE,
        {"s3:max-keys": "5"},
    )
    assert result.decision is ALLOW
    assert UNDECIDABLE not in codes(result)


def test_fail_closed_unreadable_policy_value_is_ored_with_the_others() -> None:
    c = {"NumericEquals": {"s3:max-keys": ["ten", "5"]}}
    assert cond(c, {"s3:max-keys": "5"}) is True
    assert cond(c, {"s3:max-keys": "6"}) is None


def test_fail_closed_false_condition_beats_unreadable_one() -> None:
    c = {"NumericEquals": {"s3:max-keys": "10"}, "StringEquals": {"aws:username": "alice"}}
    assert cond(c, {"s3:max-keys": "ten", "aws:username": "bob"}) is False
    assert cond(c, {"s3:max-keys": "ten", "aws:username": "alice"}) is None


def test_fail_closed_numeric_request_value_with_non_ascii_digits() -> None:
    # Numbers are ASCII integers or decimals ("10", "9.5"): Arabic-Indic or full-width digits
    # are not numbers, so the condition cannot be read.
    assert cond({"NumericEquals": {"s3:max-keys": "12"}}, {"s3:max-keys": "\u0661\u0662"}) is None
    assert cond({"NumericEquals": {"s3:max-keys": "1"}}, {"s3:max-keys": "\uff11"}) is None


def test_fail_closed_date_request_value() -> None:
    for value in ("yesterday", "2020-02-30", "2020-01-01T25:00:00Z", "1.5"):
        assert (
            cond({"DateLessThan": {"aws:CurrentTime": "2020-01-01"}}, {"aws:CurrentTime": value})
            is None
        ), value
    assert (
        cond({"DateNotEquals": {"aws:CurrentTime": "2020-01-01"}}, {"aws:CurrentTime": "soon"})
        is None
    )


def test_fail_closed_ip_request_value() -> None:
    for value in ("not-an-ip", "300.1.1.1", "10.0.0.0/8", ""):
        assert (
            cond({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": value}) is None
        ), value
        assert (
            cond({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": value}) is None
        ), value


def test_fail_closed_binary_request_value() -> None:
    assert cond({"BinaryEquals": {"ex:blob": "QmluYXJ5"}}, {"ex:blob": "not base64!"}) is None


def test_fail_closed_bool_policy_value() -> None:
    assert cond({"Bool": {"aws:SecureTransport": "yes"}}, {"aws:SecureTransport": "true"}) is None


def test_fail_closed_under_set_operators() -> None:
    c = {"ForAllValues:NumericLessThan": {"ex:n": "10"}}
    assert cond(c, {"ex:n": ["1", "x"]}) is None
    assert cond(c, {"ex:n": ["11", "x"]}) is False  # one value already fails
    c = {"ForAnyValue:NumericLessThan": {"ex:n": "10"}}
    assert cond(c, {"ex:n": ["1", "x"]}) is True  # one value already succeeds
    assert cond(c, {"ex:n": ["11", "x"]}) is None


def test_fail_closed_absent_key_is_not_unreadable() -> None:
    # An unreadable policy value with the key absent: the missing-key rules decide.
    assert cond({"NumericEquals": {"s3:max-keys": "ten"}}) is False
    assert cond({"NumericNotEquals": {"s3:max-keys": "ten"}}) is True


# ======================================================================
# Explain
# ======================================================================


def explain_and_evaluate(
    statements: list[dict[str, Any]],
    action: str,
    resource: str = "*",
    context: Mapping[str, Any] | None = None,
) -> tuple[Any, Result]:
    ps = pset(*statements)
    request = Request(action, resource, context=context, derive_context=False)
    explanation = ps.explain(request)
    result = ps.evaluate(request)
    assert explanation.decision is result.decision
    return explanation, result


def test_explain_names_failing_action() -> None:
    explanation, result = explain_and_evaluate([allow("ec2:*")], ACTION, RESOURCE)
    assert result.decision is IMPLICIT_DENY
    (trace,) = explanation.statements
    assert (trace.index, trace.outcome, trace.element) == (0, False, "Action")


def test_explain_names_failing_notaction() -> None:
    explanation, _ = explain_and_evaluate([allow(NotAction="s3:*")], ACTION, RESOURCE)
    (trace,) = explanation.statements
    assert (trace.outcome, trace.element) == (False, "NotAction")


def test_explain_names_failing_resource() -> None:
    explanation, _ = explain_and_evaluate([allow("s3:*", "arn:aws:s3:::other/*")], ACTION, RESOURCE)
    (trace,) = explanation.statements
    assert (trace.outcome, trace.element) == (False, "Resource")


def test_explain_names_failing_notresource() -> None:
    explanation, _ = explain_and_evaluate(
        [allow("s3:*", NotResource="arn:aws:s3:::b/*")], ACTION, RESOURCE
    )
    (trace,) = explanation.statements
    assert (trace.outcome, trace.element) == (False, "NotResource")


def test_explain_names_failing_condition() -> None:
    statements = [allow("s3:*", Condition={"StringEquals": {"aws:username": "alice"}})]
    explanation, _ = explain_and_evaluate(statements, ACTION, RESOURCE, {"aws:username": "bob"})
    (trace,) = explanation.statements
    assert (trace.outcome, trace.element) == (False, "Condition")
    (condition,) = trace.conditions
    assert condition.result is False
    assert condition.present is True
    assert condition.request_values == ("bob",)
    assert condition.policy_values == ("alice",)


def test_explain_condition_reason_for_absent_key() -> None:
    statements = [ALLOW_ALL, deny(Condition={"StringNotEquals": {"aws:PrincipalTag/dept": "x"}})]
    explanation, result = explain_and_evaluate(statements, ACTION, RESOURCE)
    assert result.decision is EXPLICIT_DENY
    trace = explanation.statements[1]
    assert trace.outcome is True
    assert trace.element is None
    (condition,) = trace.conditions
    assert (condition.present, condition.result) == (False, True)
    assert "absent" in condition.reason


def test_explain_unreadable_condition_outcome_is_none() -> None:
    statements = [ALLOW_ALL, deny(Condition={"NumericEquals": {"s3:max-keys": "10"}})]
    explanation, result = explain_and_evaluate(statements, ACTION, RESOURCE, {"s3:max-keys": "ten"})
    assert result.decision is EXPLICIT_DENY
    trace = explanation.statements[1]
    assert trace.outcome is None
    assert trace.element == "Condition"
    assert trace.conditions[0].result is None


def test_explain_traces_every_statement_in_order() -> None:
    statements = [allow("ec2:*"), allow("s3:*", "arn:aws:s3:::x/*"), deny("s3:Get*"), allow("s3:*")]
    explanation, result = explain_and_evaluate(statements, ACTION, RESOURCE)
    assert result.decision is EXPLICIT_DENY
    assert [(t.index, t.outcome, t.element) for t in explanation.statements] == [
        (0, False, "Action"),
        (1, False, "Resource"),
        (2, True, None),
        (3, True, None),
    ]
    assert [t.effect for t in explanation.statements] == ["Allow", "Allow", "Deny", "Allow"]


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        ("s3:GetObject", "arn:aws:s3:::b/k", {}),
        ("s3:PutObject", "arn:aws:s3:::b/k", {"aws:username": "alice"}),
        ("s3:ListAllMyBuckets", "*", {}),
        ("iam:CreateUser", "arn:aws:iam::111122223333:user/x", {"aws:SourceIp": "203.0.113.9"}),
        (
            "ec2:RunInstances",
            "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
            {"aws:SourceIp": "10.0.0.1"},
        ),
        ("s3:GetObject", "arn:aws:s3:::secret/k", {"aws:username": "alice", "s3:max-keys": "x"}),
    ],
)
def test_explain_decision_equals_evaluate(
    action: str, resource: str, context: dict[str, Any]
) -> None:
    statements = [
        allow(
            "s3:*",
            "arn:aws:s3:::b/*",
            Condition={"StringEqualsIfExists": {"aws:username": "alice"}},
        ),
        allow("s3:ListAllMyBuckets"),
        allow(NotAction="iam:*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
        deny(
            "s3:*",
            NotResource="arn:aws:s3:::b/*",
            Condition={"NumericLessThanIfExists": {"s3:max-keys": "5"}},
        ),
        deny("ec2:*", Condition={"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
    ]
    explanation, result = explain_and_evaluate(statements, action, resource, context)
    assert len(explanation.statements) == len(statements)
    applying = {
        t.index
        for t in explanation.statements
        if t.outcome is True or (t.outcome is None and t.effect == "Deny")
    }
    if result.decision is ALLOW:
        assert {m.index for m in result.matched} == {
            i for i in applying if statements[i]["Effect"] == "Allow"
        }
    elif result.decision is EXPLICIT_DENY:
        assert {m.index for m in result.matched} == {
            i for i in applying if statements[i]["Effect"] == "Deny"
        }
    else:
        assert not applying
    for trace in explanation.statements:
        assert (trace.element is None) is (trace.outcome is True)
        assert trace.element in (
            None,
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Condition",
        )


def test_explain_render_mentions_decision_and_statements() -> None:
    ps = pset(allow("s3:*", Sid="Reads"), deny("s3:Put*", Sid="NoWrites"))
    text = ps.explain(Request("s3:PutObject", RESOURCE)).render()
    assert "explicitDeny" in text
    assert "Reads" in text and "NoWrites" in text


def test_request_facts_follow_their_names() -> None:
    from qiam.request import FACTS

    r = Request("S3:GetObject", "arn:aws-cn:s3:::b/k", principal="arn:aws:iam::111122223333:user/u",
                context={"aws:SourceIp": "10.0.0.1"}, resource_account="444455556666")
    facts = dict(zip(FACTS, r.facts, strict=True))
    assert facts["action"] == "S3:GetObject" and facts["action_lower"] == "s3:getobject"
    assert facts["service"] == "s3" and facts["resource"] == "arn:aws-cn:s3:::b/k"
    assert facts["caller_account"] == "111122223333" and facts["owner_account"] == "444455556666"
    assert facts["caller_partition"] == "aws" and facts["owner_partition"] == "aws-cn"
    assert facts["same_account"] is False and facts["same_partition"] is False
    same = dict(zip(FACTS, Request("s3:GetObject", "arn:aws:s3:::b/k",
                                   principal="arn:aws:iam::111122223333:user/u").facts, strict=True))
    assert same["same_account"] is True and same["same_partition"] is True
