"""``qiam demo``: the main job on bundled data, the Amazon Q Developer administrator policies.

It validates the seven policies of the AWS page "Administrator permissions -
Amazon Q Developer" (the malformed first one included, as published) and
decides a handful of requests against them, printing decisions and errors.
"""

from __future__ import annotations

import argparse
from importlib.resources import files
from typing import Any

from qiam.cli._common import EXIT_ERROR, EXIT_YES
from qiam.compile import compile_policies
from qiam.errors import PolicySyntaxError
from qiam.parse import parse_policy
from qiam.reqlang import parse_request
from qiam.validate import validate_policy

SEED = files("qiam") / "data" / "seed"

POLICIES = (
    "q-subscription-console.txt",
    "q-subscription-console.json",
    "q-developer-console.json",
    "q-developer-console-legacy-codewhisperer.json",
    "q-customizations.json",
    "q-transform-connector-request.json",
    "q-plugins.json",
    "mgn-multi-network-migration.json",
)

# AWS's default key policy: it delegates the key to the account's IAM policies.
DEFAULT_KEY_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "EnableIAMUserPermissions", "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}

# (policy, request expression, what the page's policy is meant to say[, the resource's policy])
REQUESTS: tuple[tuple[Any, ...], ...] = (
    ("q-subscription-console.json", "user-subscriptions:CreateClaim on *", "allowed"),
    ("q-subscription-console.json",
     "iam:CreateServiceLinkedRole on arn:aws:iam::111122223333:role/aws-service-role/"
     "user-subscriptions.amazonaws.com/AWSServiceRoleForUserSubscriptions", "allowed"),
    ("q-subscription-console.json", "iam:CreateUser on arn:aws:iam::111122223333:user/eve", "implicitDeny"),
    ("q-developer-console.json",
     "kms:GenerateDataKeyPair on arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
     "implicitDeny"),
    ("q-developer-console.json",
     "kms:GenerateDataKeyPair on arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
     "allowed", DEFAULT_KEY_POLICY),
    ("q-developer-console.json", "codewhisperer:untagresource on *", "allowed"),
    ("q-customizations.json",
     "codeconnections:UseConnection on arn:aws:codeconnections:us-east-1:111122223333:connection/c1 "
     "with codeconnections:ProviderAction=[GitPull]", "allowed"),
    ("q-customizations.json",
     "codeconnections:UseConnection on arn:aws:codeconnections:us-east-1:111122223333:connection/c1 "
     "with codeconnections:ProviderAction=[GitPush]", "implicitDeny"),
    ("q-plugins.json",
     "iam:PassRole on arn:aws:iam::111122223333:role/QPluginRole with iam:PassedToService=q.amazonaws.com",
     "allowed"),
    ("q-plugins.json",
     "iam:PassRole on arn:aws:iam::111122223333:role/QPluginRole with iam:PassedToService=ec2.amazonaws.com",
     "implicitDeny"),
    ("q-transform-connector-request.json",
     "iam:CreateRole on arn:aws:iam::123456789012:role/service-role/QTransform-abc", "allowed"),
    ("mgn-multi-network-migration.json",
     "ec2:CreateNetworkInterface on arn:aws:ec2:us-east-1:111122223333:security-group/sg-1", "implicitDeny"),
)


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "demo", help="the Amazon Q Developer admin policies: validate them and decide a few requests",
        description=__doc__)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    print("Validating the Amazon Q Developer administrator policies (bundled):")
    for name in POLICIES:
        text = (SEED / name).read_bytes()
        try:
            report = validate_policy(parse_policy(text, name=name))
        except PolicySyntaxError as exc:
            print(f"  {name}: ERROR {exc} [{exc.code}]")
            if exc.hint:
                print(f"      hint: {exc.hint}")
            continue
        status = "valid" if report.valid else "INVALID"
        print(f"  {name}: {status}, {len(report.errors)} errors, {len(report.warnings)} warnings")
        for d in report.diagnostics:
            print(f"      {d.severity.value}: {d.location.render()}: {d.message} [{d.code}]")

    print("\nDeciding requests against them:")
    unexpected = 0
    for name, expression, expected, *resource in REQUESTS:
        key_policy = parse_policy(resource[0], name="default-key-policy") if resource else None
        policies = compile_policies([parse_policy((SEED / name).read_bytes(), name=name)], resource=key_policy)
        result = policies.evaluate(parse_request(expression))
        got = result.decision.value
        flag = "" if got == expected else f"   <-- expected {expected}"
        unexpected += got != expected
        with_key = " + the default key policy" if resource else ""
        print(f"  {got:12} {expression}\n               [{name}{with_key}]{flag}")
        for ref in result.matched:
            print(f"               {ref.effect} by {ref.policy} statement {ref.index} at {ref.location.render()}")
        if not result.allowed:
            print(f"               because: {', '.join(result.reasons)}")
    print("\nAsk about your own policies:  qiam check -p POLICY.json 'service:Action on ARN with key=value'")
    return EXIT_ERROR if unexpected else EXIT_YES
