"""The validator's fast path (one match over a whole Action or Resource list) is invisible.

It may skip the per-entry checks only where they have nothing to report: every
policy validates to the same diagnostics with and without it.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qiam
from qiam import validate as validate_module

PARTITIONS = ["aws", "aws-cn", "aws-us-gov", "*", "aws*", "awz", ""]
SERVICES = ["ec2", "kms", "iam", "s3", "EC2", "*", "c*de", "sqs", "", "a.b-c"]
REGIONS = ["", "*", "us-east-1", "eu-west-2", "region", "us-*", "US-EAST-1", "${aws:region}", "x"]
ACCOUNTS = ["", "*", "111122223333", "123456789012", "aws", "account-id", "1111*", "12", "${aws:account}"]
RESOURCES = ["*", "b/*", "role/R", "user/${aws:username}", "key/k1", "root", "u*", "a:b:c", "x\ny", "é", "€"]
ACTIONS = ["*", "s3:GetObject", "s3:Get*", "iam: asdf ", "s3GetObject", "s3:a:b", "s3*:x", "kms:${x}", ":x",
           "EC2:Run*", "a\nb:c"]


@st.composite
def arns(draw: Any) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(["*", "arn:aws:sqs", "arn:aws", "nocolon", "arn:aws:s3::b", "**"]))
    fields = ["arn", draw(st.sampled_from(PARTITIONS)), draw(st.sampled_from(SERVICES)),
              draw(st.sampled_from(REGIONS)), draw(st.sampled_from(ACCOUNTS)), draw(st.sampled_from(RESOURCES))]
    return ":".join(fields)


def _one_or_many(strategy: Any) -> Any:
    return st.one_of(strategy, st.lists(st.one_of(strategy, st.none()), min_size=0, max_size=4))


@settings(max_examples=400, deadline=None)
@given(actions=_one_or_many(st.sampled_from(ACTIONS)), resources=_one_or_many(arns()),
       version=st.sampled_from(["2012-10-17", "2008-10-17"]),
       profile=st.sampled_from(["identity", "iam-role-inline", "resource", "scp", "rcp"]))
def test_fastpath_changes_no_diagnostic(actions: Any, resources: Any, version: str, profile: str) -> None:
    statement: dict[str, Any] = {"Effect": "Deny", "Action": actions, "Resource": resources}
    if profile in ("resource", "rcp"):
        statement["Principal"] = "*"
    policy = qiam.parse_policy({"Version": version, "Statement": [statement]})
    fast = qiam.validate_policy(policy, profile).diagnostics
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validate_module, "_all_plain", lambda value, plain: False)
        slow = qiam.validate_policy(policy, profile).diagnostics
    assert [(d.code, d.location.pointer, d.message) for d in fast] == \
        [(d.code, d.location.pointer, d.message) for d in slow]


@pytest.mark.parametrize(("value", "plain"), [
    ("*", True),
    (["arn:aws:ec2:us-east-1:111122223333:instance/*", "*", "arn:aws:kms:*:*:key/k"], True),
    ("arn:aws-cn:sqs::aws:q", True),
    ("arn:aws:ec2:region:111122223333:x", False),  # a placeholder region: the checks warn
    ("arn:aws:ec2:*:123456789012:x", False),  # the documentation's example account
    ("arn:aws:iam::111122223333:role/R", True),  # IAM and S3 have rules of their own, met here
    ("arn:aws:s3:::b", True),
    ("arn:aws:iam::111122223333:thing/R", False),  # not an IAM resource type
    ("arn:aws:iam:us-east-1:111122223333:role/R", False),  # IAM resources have no region
    ("arn:aws:s3:us-east-1::b", False),  # nor S3 buckets
    ("arn:aws:ec2:::${aws:username}", False),
    (["arn:aws:ec2:::x", None], False),
    ("arn:aws:sqs", False),
])
def test_fastpath_recognises_plain_resource_lists(value: Any, plain: bool) -> None:
    assert validate_module._all_plain(value, validate_module._PLAIN_ARNS) is plain


@pytest.mark.parametrize(("value", "plain"), [
    (["s3:GetObject", "kms:GenerateDataKey*", "*"], True),
    ("iam: asdf safdsf af ", True),
    ("s3GetObject", False),
    ("s3:a:b", False),
    ("s3*:x", False),
    ([], False),
])
def test_fastpath_recognises_plain_action_lists(value: Any, plain: bool) -> None:
    assert validate_module._all_plain(value, validate_module._PLAIN_ACTIONS) is plain
