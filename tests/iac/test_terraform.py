"""Terraform plan JSON: each resource type gives the decisions of the same policies given as AWS's own
JSON; values known only after apply fail closed, with the plan's line and column and the address."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qiam import inventory
from qiam.queries import Asker
from tests.iac.test_cloudformation import (
    ACCOUNT,
    BUCKET_POLICY,
    IDENTITY,
    IDENTITY_REQUESTS,
    KEY_POLICY,
    PARAMETERS,
    QUEUE_ARN,
    QUEUE_POLICY,
    ROLE,
    TOPIC_ARN,
    TOPIC_POLICY,
    TRUST,
    USER,
    _answers,
    _details,
    _group,
    _managed,
    _resources,
    _role,
    _user,
    _write,
)

PROVIDER = "registry.terraform.io/hashicorp/aws"


def _doc(document: object) -> str:
    return json.dumps(document, indent=2)  # as aws_iam_policy_document renders it


def _plan(*resources: tuple[str, dict[str, object], dict[str, object], dict[str, object]]) -> dict[str, object]:
    """A plan of (address, values, after_unknown, configuration expressions)."""
    planned, changes, configured = [], [], []
    for address, values, unknown, expressions in resources:
        kind, name = address.rsplit(".", 2)[-2:]
        planned.append({"address": address, "mode": "managed", "type": kind, "name": name,
                        "provider_name": PROVIDER, "schema_version": 0, "values": values, "sensitive_values": {}})
        changes.append({"address": address, "mode": "managed", "type": kind, "name": name, "provider_name": PROVIDER,
                        "change": {"actions": ["create"], "before": None, "after": values, "after_unknown": unknown}})
        configured.append({"address": address, "mode": "managed", "type": kind, "name": name,
                           "provider_config_key": "aws", "expressions": expressions})
    return {"format_version": "1.2", "terraform_version": "1.9.8",
            "planned_values": {"root_module": {"resources": planned}}, "resource_changes": changes,
            "configuration": {"root_module": {"resources": configured}}}


def _refs(*names: str) -> dict[str, object]:
    return {"references": list(names)}


ROLE_VALUES = {"name": "app", "path": "/", "assume_role_policy": _doc(TRUST)}
ROLE_UNKNOWN = {"arn": True, "id": True, "unique_id": True, "managed_policy_arns": True, "inline_policy": True}
APP_ROLE = ("aws_iam_role.app", ROLE_VALUES, ROLE_UNKNOWN, {})
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/read"
ASSUME_ANY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}

CASES: dict[str, tuple[dict[str, object], list[object], list[tuple[str, str, str]]]] = {
    "aws_iam_role inline_policy": (_plan(("aws_iam_role.app", {**ROLE_VALUES, "inline_policy": [
        {"name": "read", "policy": _doc(IDENTITY)}]}, ROLE_UNKNOWN, {})),
        [_details(roles=[_role(inline={"read": IDENTITY})])], [(ROLE, a, r) for a, r in IDENTITY_REQUESTS]),
    "aws_iam_role managed_policy_arns": (_plan(
        ("aws_iam_policy.read", {"name": "read", "path": "/", "policy": _doc(IDENTITY)}, {"arn": True}, {}),
        ("aws_iam_role.app", {**ROLE_VALUES, "managed_policy_arns": [POLICY_ARN]}, ROLE_UNKNOWN, {})),
        [_details(roles=[_role(attached=(POLICY_ARN,))], policies=[_managed("read", IDENTITY)])],
        [(ROLE, a, r) for a, r in IDENTITY_REQUESTS]),
    "aws_iam_role assume_role_policy": (_plan(
        ("aws_iam_role.app", {**ROLE_VALUES, "assume_role_policy": _doc({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"}]})}, ROLE_UNKNOWN, {}),
        ("aws_iam_user.alice", {"name": "alice", "path": "/"}, {"arn": True}, {}),
        ("aws_iam_user.bob", {"name": "bob", "path": "/"}, {"arn": True}, {}),
        ("aws_iam_user_policy.alice", {"user": "alice", "name": "assume", "policy": _doc(
            ASSUME_ANY)},
         {}, {}),
        ("aws_iam_user_policy.bob", {"user": "bob", "name": "assume", "policy": _doc(
            ASSUME_ANY)},
         {}, {})),
        [_details(roles=[_role(trust={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"}]})],
            users=[_user(inline={"assume": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}}),
                _user("bob", inline={"assume": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}})])],
        [(USER, "sts:AssumeRole", ROLE), (f"arn:aws:iam::{ACCOUNT}:user/bob", "sts:AssumeRole", ROLE)]),
    "aws_iam_role_policy": (_plan(APP_ROLE, ("aws_iam_role_policy.read", {"name": "read", "policy": _doc(IDENTITY)},
                                             {"role": True},
                                             {"role": _refs("aws_iam_role.app.name", "aws_iam_role.app")})),
                            [_details(roles=[_role(inline={"read": IDENTITY})])],
                            [(ROLE, a, r) for a, r in IDENTITY_REQUESTS]),
    "aws_iam_policy and aws_iam_role_policy_attachment": (_plan(
        APP_ROLE, ("aws_iam_policy.read", {"name": "read", "path": "/", "policy": _doc(IDENTITY)}, {"arn": True}, {}),
        ("aws_iam_role_policy_attachment.read", {"role": "app"}, {"policy_arn": True},
         {"policy_arn": _refs("aws_iam_policy.read.arn", "aws_iam_policy.read")})),
        [_details(roles=[_role(attached=(POLICY_ARN,))], policies=[_managed("read", IDENTITY)])],
        [(ROLE, a, r) for a, r in IDENTITY_REQUESTS]),
    "aws_iam_user_policy": (_plan(("aws_iam_user.alice", {"name": "alice", "path": "/"}, {"arn": True}, {}),
                                  ("aws_iam_user_policy.read", {"user": "alice", "name": "read",
                                                                "policy": _doc(IDENTITY)}, {}, {})),
                            [_details(users=[_user(inline={"read": IDENTITY})])],
                            [(USER, a, r) for a, r in IDENTITY_REQUESTS]),
    "aws_iam_group_policy": (_plan(
        ("aws_iam_user.alice", {"name": "alice", "path": "/"}, {"arn": True}, {}),
        ("aws_iam_group.readers", {"name": "readers", "path": "/"}, {"arn": True}, {}),
        ("aws_iam_user_group_membership.alice", {"user": "alice", "groups": ["readers"]}, {}, {}),
        ("aws_iam_group_policy.read", {"group": "readers", "name": "read", "policy": _doc(IDENTITY)}, {}, {})),
        [_details(users=[_user(groups=("readers",))], groups=[_group("readers", inline={"read": IDENTITY})])],
        [(USER, a, r) for a, r in IDENTITY_REQUESTS]),
    "aws_s3_bucket_policy": (_plan(APP_ROLE, ("aws_s3_bucket_policy.data", {"bucket": "data",
                                                                            "policy": _doc(BUCKET_POLICY)}, {}, {})),
                             [_details(roles=[_role()]), _resources(("arn:aws:s3:::data", "s3:bucket", BUCKET_POLICY))],
                             [(ROLE, "s3:GetObject", "arn:aws:s3:::data/k"),
                              (ROLE, "s3:PutObject", "arn:aws:s3:::data/k")]),
    "aws_sqs_queue_policy": (_plan(APP_ROLE, ("aws_sqs_queue_policy.jobs", {
        "queue_url": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs", "policy": _doc(QUEUE_POLICY)}, {}, {})),
        [_details(roles=[_role()]), _resources((QUEUE_ARN, "sqs:queue", QUEUE_POLICY))],
        [(ROLE, "sqs:ReceiveMessage", QUEUE_ARN), (ROLE, "sqs:SendMessage", QUEUE_ARN)]),
    "aws_sns_topic_policy": (_plan(APP_ROLE, ("aws_sns_topic_policy.events", {"arn": TOPIC_ARN,
                                                                             "policy": _doc(TOPIC_POLICY)}, {}, {})),
                             [_details(roles=[_role()]), _resources((TOPIC_ARN, "sns:topic", TOPIC_POLICY))],
                             [(ROLE, "sns:Subscribe", TOPIC_ARN), (ROLE, "sns:Publish", TOPIC_ARN)]),
    "aws_kms_key": (_plan(APP_ROLE, ("aws_kms_key.data", {"policy": _doc(KEY_POLICY)}, {"arn": True, "key_id": True},
                                     {})), [], [(ROLE, "kms:Decrypt", ""), (ROLE, "kms:ScheduleKeyDeletion", "")]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_resource_type_decides_as_the_same_policies_given_as_json(case: str, tmp_path: Path) -> None:
    plan, aws_files, questions = CASES[case]
    from_plan = inventory.load([_write(tmp_path, "plan.json", plan)], parameters=PARAMETERS)
    assert from_plan.diagnostics == ()
    if case == "aws_kms_key":
        (key_arn,) = from_plan.resources
        questions = [(p, a, key_arn) for p, a, _ in questions]
        aws_files = [_details(roles=[_role()]), _resources((key_arn, "kms:key", KEY_POLICY))]
    from_json = inventory.load([_write(tmp_path, f"aws-{i}.json", f) for i, f in enumerate(aws_files)])
    got, want = _answers(from_plan, questions), _answers(from_json, questions)
    assert got == want
    assert "allowed" in want and "denied" in want


def test_a_policy_known_only_after_apply_fails_closed_at_its_place(tmp_path: Path) -> None:
    plan = _plan(APP_ROLE, ("aws_iam_role_policy.later", {"name": "later", "role": "app"}, {"policy": True},
                            {"policy": _refs("data.aws_iam_policy_document.later.json")}))
    path = _write(tmp_path, "plan.json", plan)
    inv = inventory.load([path], parameters=PARAMETERS)
    role = inv.principal("aws_iam_role.app")
    assert role is not None
    (broken,) = inv.broken(role.arn)
    assert broken.code == "iac-unresolved" and "aws_iam_role_policy.later" in broken.message
    assert "known after apply" in broken.message
    line, column = broken.location.position() or (0, 0)
    text = path.read_text()
    assert line == 1 and text[column - 1:].startswith('{"name": "later"')  # the resource's values
    answer = Asker(inv).ask([(role, "s3:GetObject", "arn:aws:s3:::data/k")])[0]
    assert answer.status == "broken" and not answer.allowed


def test_statement_positions_point_into_the_plan_file(tmp_path: Path) -> None:
    plan = _plan(("aws_iam_role.app", {**ROLE_VALUES, "inline_policy": [{"name": "read", "policy": _doc(IDENTITY)}]},
                  ROLE_UNKNOWN, {}))
    path = _write(tmp_path, "plan.json", plan)
    inv = inventory.load([path], parameters=PARAMETERS)
    role = inv.principal("app")
    assert role is not None
    answer = Asker(inv).ask([(role, "s3:GetObject", "arn:aws:s3:::data/secret/k")])[0]
    assert answer.result is not None
    (deny,) = answer.result.matched
    line, column = deny.location.position() or (0, 0)
    text = path.read_text()
    # The statement's `{` in the file, inside the escaped policy string; its Sid follows.
    assert line == 1 and text[column - 1] == "{"
    assert '\\"Sid\\": \\"NotSecrets\\"' in text[column:column + 40]


@pytest.mark.parametrize("url", ["https://sqs.us-east-1.amazon[aws.com/1/jobs", "https://[::1/jobs", "[", "sqs]"])
def test_a_queue_url_that_does_not_parse_names_no_queue_and_raises_nothing(tmp_path: Path, url: str) -> None:
    # bad-queue-url (fuzz/findings/README.md): urllib raised ValueError ("Invalid IPv6 URL") out of loading.
    plan = _plan(APP_ROLE, ("aws_sqs_queue_policy.jobs", {"queue_url": url, "policy": _doc(QUEUE_POLICY)}, {}, {}))
    inv = inventory.load([_write(tmp_path, "plan.json", plan)], parameters=PARAMETERS)
    assert QUEUE_ARN not in inv.resources and not any(arn.startswith("arn:aws:sqs") for arn in inv.resources)
    assert any(d.code == "iac-unresolved" for d in inv.diagnostics)
