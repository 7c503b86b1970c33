"""CloudFormation templates: each resource type gives the decisions of the same policies given as AWS's
own JSON (an account's authorization details and a resources file); intrinsic functions are resolved;
what cannot be resolved fails closed, at its line and column."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from qiam import inventory
from qiam.iac._yaml import read_yaml
from qiam.inventory import Inventory
from qiam.queries import Asker

ACCOUNT = "111122223333"
PARAMETERS = {"AWS::AccountId": ACCOUNT, "AWS::Region": "us-east-1"}
IDENTITY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ReadData", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::data/*"},
    {"Sid": "NotSecrets", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/secret/*"}]}
IDENTITY_REQUESTS = [("s3:GetObject", "arn:aws:s3:::data/k"), ("s3:GetObject", "arn:aws:s3:::data/secret/k"),
                     ("s3:PutObject", "arn:aws:s3:::data/k"), ("s3:GetObjectTagging", "arn:aws:s3:::data/k")]
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"


def _j(value: object) -> str:
    return json.dumps(value)


# ----- the same policies in AWS's formats -----

def _role(name: str = "app", inline: Mapping[str, object] | None = None, attached: tuple[str, ...] = (),
          boundary: str | None = None, trust: object = TRUST) -> dict[str, object]:
    entry: dict[str, object] = {
        "RoleName": name, "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "Path": "/",
        "AssumeRolePolicyDocument": trust,
        "RolePolicyList": [{"PolicyName": k, "PolicyDocument": v} for k, v in (inline or {}).items()],
        "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a} for a in attached]}
    if boundary:
        entry["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    return entry


def _user(name: str = "alice", inline: Mapping[str, object] | None = None, attached: tuple[str, ...] = (),
          groups: tuple[str, ...] = (), boundary: str | None = None) -> dict[str, object]:
    entry: dict[str, object] = {
        "UserName": name, "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}", "Path": "/", "GroupList": list(groups),
        "UserPolicyList": [{"PolicyName": k, "PolicyDocument": v} for k, v in (inline or {}).items()],
        "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a} for a in attached]}
    if boundary:
        entry["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    return entry


def _group(name: str, inline: Mapping[str, object] | None = None, attached: tuple[str, ...] = ()
           ) -> dict[str, object]:
    return {"GroupName": name, "Arn": f"arn:aws:iam::{ACCOUNT}:group/{name}", "Path": "/",
            "GroupPolicyList": [{"PolicyName": k, "PolicyDocument": v} for k, v in (inline or {}).items()],
            "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a} for a in attached]}


def _managed(name: str, document: object) -> dict[str, object]:
    return {"PolicyName": name, "Arn": f"arn:aws:iam::{ACCOUNT}:policy/{name}", "DefaultVersionId": "v1",
            "PolicyVersionList": [{"Document": document, "VersionId": "v1", "IsDefaultVersion": True}]}


def _details(users: list[object] = (), roles: list[object] = (), groups: list[object] = (),  # type: ignore[assignment]
             policies: list[object] = ()) -> dict[str, object]:  # type: ignore[assignment]
    return {"UserDetailList": list(users), "RoleDetailList": list(roles), "GroupDetailList": list(groups),
            "Policies": list(policies)}


def _resources(*entries: tuple[str, str, object]) -> dict[str, object]:
    return {"format": "qiam-resources/1",
            "resources": [{"arn": a, "type": t, "account": ACCOUNT, "policy": p} for a, t, p in entries]}


# ----- the cases: a template, the same in AWS's formats, the questions -----

RESOURCE_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "AppReads", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "{read}", "Resource": "*"},
    {"Sid": "NoOneWrites", "Effect": "Deny", "Principal": "*", "Action": "{write}", "Resource": "*"}]}


def _resource_policy(read: str, write: str, resource: str) -> dict[str, object]:
    text = _j(RESOURCE_POLICY).replace("{read}", read).replace("{write}", write).replace('"Resource": "*"',
                                                                                         f'"Resource": "{resource}"')
    return json.loads(text)  # type: ignore[no-any-return]


BUCKET_POLICY = _resource_policy("s3:GetObject", "s3:PutObject", "arn:aws:s3:::data/*")
QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"
QUEUE_POLICY = _resource_policy("sqs:ReceiveMessage", "sqs:SendMessage", QUEUE_ARN)
TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:events"
TOPIC_POLICY = _resource_policy("sns:Subscribe", "sns:Publish", TOPIC_ARN)
KEY_POLICY = _resource_policy("kms:Decrypt", "kms:ScheduleKeyDeletion", "*")
BARE_ROLE = f"""
  App:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app
      AssumeRolePolicyDocument: {_j(TRUST)}
"""

CASES: dict[str, tuple[str, list[object], list[tuple[str, str, str]]]] = {
    "AWS::IAM::Role inline policy": (f"""
  App:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app
      AssumeRolePolicyDocument: {_j(TRUST)}
      Policies:
        - PolicyName: read
          PolicyDocument: {_j(IDENTITY)}
""", [_details(roles=[_role(inline={"read": IDENTITY})])], [(ROLE, a, r) for a, r in IDENTITY_REQUESTS]),
    "AWS::IAM::Role ManagedPolicyArns": (f"""
  Read:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: read
      PolicyDocument: {_j(IDENTITY)}
  App:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app
      AssumeRolePolicyDocument: {_j(TRUST)}
      ManagedPolicyArns: [!Ref Read]
""", [_details(roles=[_role(attached=(f"arn:aws:iam::{ACCOUNT}:policy/read",))],
               policies=[_managed("read", IDENTITY)])],
        [(ROLE, a, r) for a, r in IDENTITY_REQUESTS]),
    "AWS::IAM::Role trust policy": (f"""
  App:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{AWS: !GetAtt Caller.Arn}}
            Action: sts:AssumeRole
  Caller:
    Type: AWS::IAM::User
    Properties:
      UserName: alice
      Policies:
        - PolicyName: assume
          PolicyDocument: {_j({"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})}
  Other:
    Type: AWS::IAM::User
    Properties:
      UserName: bob
      Policies:
        - PolicyName: assume
          PolicyDocument: {_j({"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})}
""", [_details(roles=[_role(trust={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"}]})],
        users=[_user(inline={"assume": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}}),
            _user("bob", inline={"assume": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}})])],
        [(USER, "sts:AssumeRole", ROLE), (f"arn:aws:iam::{ACCOUNT}:user/bob", "sts:AssumeRole", ROLE)]),
    "AWS::IAM::Role PermissionsBoundary": (f"""
  Boundary:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: boundary
      PolicyDocument: {_j({"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})}
  App:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app
      AssumeRolePolicyDocument: {_j(TRUST)}
      PermissionsBoundary: !Ref Boundary
      Policies:
        - PolicyName: read
          PolicyDocument: {_j(IDENTITY)}
""", [_details(roles=[_role(inline={"read": IDENTITY}, boundary=f"arn:aws:iam::{ACCOUNT}:policy/boundary")],
               policies=[_managed("boundary", {"Version": "2012-10-17", "Statement": [
                   {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})])],
        [(ROLE, a, r) for a, r in IDENTITY_REQUESTS]),
    "AWS::IAM::User": (f"""
  Read:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: read
      PolicyDocument: {_j(IDENTITY)}
  Alice:
    Type: AWS::IAM::User
    Properties:
      UserName: alice
      ManagedPolicyArns: [!Ref Read]
      Policies:
        - PolicyName: put
          PolicyDocument: {_j({"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data/in/*"}]})}
""", [_details(users=[_user(inline={"put": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data/in/*"}]}},
        attached=(f"arn:aws:iam::{ACCOUNT}:policy/read",))], policies=[_managed("read", IDENTITY)])],
        [(USER, a, r) for a, r in [*IDENTITY_REQUESTS, ("s3:PutObject", "arn:aws:s3:::data/in/x")]]),
    "AWS::IAM::Group": (f"""
  Readers:
    Type: AWS::IAM::Group
    Properties:
      GroupName: readers
      Policies:
        - PolicyName: read
          PolicyDocument: {_j(IDENTITY)}
  Alice:
    Type: AWS::IAM::User
    Properties:
      UserName: alice
      Groups: [!Ref Readers]
""", [_details(users=[_user(groups=("readers",))], groups=[_group("readers", inline={"read": IDENTITY})])],
        [(USER, a, r) for a, r in IDENTITY_REQUESTS]),
    "AWS::IAM::Policy": (f"""
  Readers:
    Type: AWS::IAM::Group
    Properties:
      GroupName: readers
  Read:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: read
      PolicyDocument: {_j(IDENTITY)}
      Groups: [!Ref Readers]
      Roles: [!Ref App]
  Alice:
    Type: AWS::IAM::User
    Properties:
      UserName: alice
      Groups: [readers]
{BARE_ROLE}""", [_details(users=[_user(groups=("readers",))], groups=[_group("readers", inline={"read": IDENTITY})],
                          roles=[_role(inline={"read": IDENTITY})])],
        [(who, a, r) for who in (USER, ROLE) for a, r in IDENTITY_REQUESTS]),
    "AWS::IAM::ManagedPolicy Roles and Users": (f"""
  Read:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: read
      PolicyDocument: {_j(IDENTITY)}
      Roles: [!Ref App]
      Users: [alice]
  Alice:
    Type: AWS::IAM::User
    Properties:
      UserName: alice
{BARE_ROLE}""", [_details(users=[_user(attached=(f"arn:aws:iam::{ACCOUNT}:policy/read",))],
                          roles=[_role(attached=(f"arn:aws:iam::{ACCOUNT}:policy/read",))],
                          policies=[_managed("read", IDENTITY)])],
        [(who, a, r) for who in (USER, ROLE) for a, r in IDENTITY_REQUESTS]),
    "AWS::S3::BucketPolicy": (f"""
  Data:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: data
  DataPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Data
      PolicyDocument: {_j(BUCKET_POLICY)}
{BARE_ROLE}""", [_details(roles=[_role()]), _resources(("arn:aws:s3:::data", "s3:bucket", BUCKET_POLICY))],
        [(ROLE, "s3:GetObject", "arn:aws:s3:::data/k"), (ROLE, "s3:PutObject", "arn:aws:s3:::data/k"),
         (ROLE, "s3:DeleteObject", "arn:aws:s3:::data/k")]),
    "AWS::SQS::QueuePolicy": (f"""
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: jobs
  JobsPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Jobs]
      PolicyDocument: {_j(QUEUE_POLICY)}
{BARE_ROLE}""", [_details(roles=[_role()]), _resources((QUEUE_ARN, "sqs:queue", QUEUE_POLICY))],
        [(ROLE, "sqs:ReceiveMessage", QUEUE_ARN), (ROLE, "sqs:SendMessage", QUEUE_ARN),
         (ROLE, "sqs:DeleteQueue", QUEUE_ARN)]),
    "AWS::SNS::TopicPolicy": (f"""
  Events:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: events
  EventsPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Events]
      PolicyDocument: {_j(TOPIC_POLICY)}
{BARE_ROLE}""", [_details(roles=[_role()]), _resources((TOPIC_ARN, "sns:topic", TOPIC_POLICY))],
        [(ROLE, "sns:Subscribe", TOPIC_ARN), (ROLE, "sns:Publish", TOPIC_ARN), (ROLE, "sns:DeleteTopic", TOPIC_ARN)]),
    "AWS::KMS::Key KeyPolicy": (f"""
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy: {_j(KEY_POLICY)}
{BARE_ROLE}""", [], [(ROLE, "kms:Decrypt", "{key}"), (ROLE, "kms:ScheduleKeyDeletion", "{key}"),
                     (ROLE, "kms:Encrypt", "{key}")]),
}


def _template(body: str) -> str:
    return 'AWSTemplateFormatVersion: "2010-09-09"\nResources:' + body


def _answers(inv: Inventory, questions: list[tuple[str, str, str]]) -> list[str]:
    asker = Asker(inv)
    return [a.status for a in asker.ask([(inv.principals[p], act, res) for p, act, res in questions])]


def _write(tmp_path: Path, name: str, value: object) -> Path:
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return path


@pytest.mark.parametrize("form", ["yaml", "json"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_each_resource_type_decides_as_the_same_policies_given_as_json(case: str, form: str, tmp_path: Path) -> None:
    body, aws_files, questions = CASES[case]
    text = _template(body)
    if form == "json":  # the same template in JSON, with the long forms of the short tags
        text = json.dumps(read_yaml(text).value, indent=1)
    template = _write(tmp_path, f"template.{form}", text)
    from_template = inventory.load([template], parameters=PARAMETERS)
    assert [d for d in from_template.diagnostics if d.severity.value == "error"] == []
    if case.startswith("AWS::KMS::Key"):  # the key's ARN is the template's: give the same key as JSON
        (key_arn,) = from_template.resources
        questions = [(p, a, key_arn) for p, a, _ in questions]
        aws_files = [_details(roles=[_role()]), _resources((key_arn, "kms:key", KEY_POLICY))]
    paths = [_write(tmp_path, f"aws-{i}.json", f) for i, f in enumerate(aws_files)]
    from_json = inventory.load(paths)
    got, want = _answers(from_template, questions), _answers(from_json, questions)
    assert got == want
    assert "allowed" in want and "denied" in want  # (a comparison that could fail)


def test_short_tags_parameters_and_pseudo_parameters_resolve(tmp_path: Path) -> None:
    text = _template(f"""
  App:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Join ["-", [app, !Ref Env]]
      AssumeRolePolicyDocument: {_j(TRUST)}
      Policies:
        - PolicyName: read
          PolicyDocument:
            Version: 2012-10-17
            Statement:
              - Effect: Allow
                Action: !If [IsProd, "s3:GetObject", "s3:*"]
                Resource: !Sub "arn:${{AWS::Partition}}:s3:::data-${{Env}}-${{AWS::Region}}/*"
              - Effect: Allow
                Action: sqs:SendMessage
                Resource: !GetAtt Jobs.Arn
              - Effect: Allow
                Action: s3:ListBucket
                Resource: !Select [1, !Split [",", "arn:aws:s3:::a,arn:aws:s3:::b"]]
              - Effect: Allow
                Action: s3:PutObject
                Resource: !FindInMap [Buckets, !Ref Env, Arn]
  Jobs:
    Type: AWS::SQS::Queue
""").replace("Resources:", """Parameters:
  Env: {Type: String, Default: dev}
Mappings:
  Buckets:
    prod: {Arn: "arn:aws:s3:::prod-in/*"}
    dev: {Arn: "arn:aws:s3:::dev-in/*"}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:""")
    path = _write(tmp_path, "t.yaml", text)
    inv = inventory.load([path], parameters={**PARAMETERS, "Env": "prod", "AWS::Region": "eu-west-1"})
    assert inv.diagnostics == ()
    role = inv.principal("App")
    assert role is not None and role.arn == f"arn:aws:iam::{ACCOUNT}:role/app-prod"
    queue = "arn:aws:sqs:eu-west-1:111122223333:stack-Jobs-"
    asker = Asker(inv)

    def status(action: str, resource: str) -> str:
        return asker.ask([(role, action, resource)])[0].status

    assert status("s3:GetObject", "arn:aws:s3:::data-prod-eu-west-1/k") == "allowed"
    assert status("s3:PutObject", "arn:aws:s3:::data-prod-eu-west-1/k") == "denied"  # (Fn::If took prod)
    assert status("s3:ListBucket", "arn:aws:s3:::b") == "allowed"
    assert status("s3:ListBucket", "arn:aws:s3:::a") == "denied"
    assert status("s3:PutObject", "arn:aws:s3:::prod-in/x") == "allowed"
    made_queue = [st for st in inv.identity(role)[0].policy.raw["Statement"] if st["Action"] == "sqs:SendMessage"]
    assert made_queue[0]["Resource"].startswith(queue)  # the name CloudFormation makes: stack-LogicalId-SUFFIX
    assert status("sqs:SendMessage", made_queue[0]["Resource"]) == "allowed"
    # With the defaults: Env dev, so Fn::If takes s3:*.
    dev = inventory.load([path], parameters=PARAMETERS)
    dev_role = dev.principal("App")
    assert dev_role is not None and dev_role.name == "app-dev"
    assert Asker(dev).ask([(dev_role, "s3:PutObject", "arn:aws:s3:::data-dev-us-east-1/k")])[0].status == "allowed"


UNRESOLVED = _template(f"""
  App:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app
      AssumeRolePolicyDocument: {_j(TRUST)}
      Policies:
        - PolicyName: mixed
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Sid: Known
                Effect: Allow
                Action: s3:GetObject
                Resource: arn:aws:s3:::data/*
              - Sid: Imported
                Effect: Allow
                Action: s3:PutObject
                Resource: !ImportValue SharedBucketArn
              - Sid: DenyUnknownBucket
                Effect: Deny
                Action: s3:GetObject
                Resource: !Sub "arn:aws:s3:::${{Secret}}/*"
              - Sid: DenyUnlessVpc
                Effect: Deny
                Action: s3:DeleteObject
                Resource: "*"
                Condition:
                  StringNotEquals: {{aws:SourceVpc: !ImportValue VpcId}}
""")


def test_an_unresolvable_value_fails_closed_and_says_where(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.yaml", UNRESOLVED.replace("Resources:", "Parameters:\n  Secret: {Type: String}\n"
                                                                       "Resources:"))
    inv = inventory.load([path], parameters=PARAMETERS)
    found = {(d.code, d.location.position()): d.message for d in inv.diagnostics}
    # The Allow with an imported value never applies; the Denies apply as widely as the unknown could.
    # (the template's own lines: `Resource: !ImportValue ...` on line 22, the `!Sub` on 26, the VPC on 32)
    assert "never applies" in found["iac-unresolved", (22, 27)]
    assert "arn:aws:s3:::*/*" in found["iac-unresolved", (26, 27)]
    assert "as if its condition StringNotEquals aws:SourceVpc held" in found["iac-unresolved", (32, 52)]
    assert all(d.location.source is not None and d.location.source.name == str(path) for d in inv.diagnostics)
    role = inv.principal("app")
    assert role is not None and inv.broken(role.arn) == ()
    asker = Asker(inv)

    def status(action: str, resource: str) -> str:
        return asker.ask([(role, action, resource)])[0].status

    assert status("s3:PutObject", "arn:aws:s3:::anything/k") == "denied"  # the imported Allow never grants
    assert status("s3:GetObject", "arn:aws:s3:::data/k") == "denied"  # the unknown bucket's Deny may be it
    # The statements keep their indices: the dropped Allow is statement 1.
    answer = asker.ask([(role, "s3:GetObject", "arn:aws:s3:::data/k")])[0]
    assert answer.result is not None
    assert [(m.index, m.effect) for m in answer.result.matched] == [(2, "Deny")]
    statements = [st.index for st in inv.identity(role)[0].statements]
    assert statements == [0, 2, 3]


def test_a_wholly_unknown_policy_breaks_what_it_touches(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.yaml", _template(f"""
  App:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app
      AssumeRolePolicyDocument: {_j(TRUST)}
      Policies:
        - PolicyName: imported
          PolicyDocument: !ImportValue SharedPolicy
"""))
    inv = inventory.load([path], parameters=PARAMETERS)
    role = inv.principal("app")
    assert role is not None
    broken = inv.broken(role.arn)
    assert broken and broken[0].code == "iac-unresolved" and broken[0].location.position() == (10, 27)
    answer = Asker(inv).ask([(role, "s3:GetObject", "arn:aws:s3:::data/k")])[0]
    assert answer.status == "broken" and not answer.allowed


def test_a_resource_under_an_unknown_condition_is_not_answered(tmp_path: Path) -> None:
    text = _template(f"""
  App:
    Type: AWS::IAM::Role
    Condition: WithApp
    Properties:
      RoleName: app
      AssumeRolePolicyDocument: {_j(TRUST)}
""").replace("Resources:", "Parameters:\n  Flag: {Type: String}\nConditions:\n  WithApp: !Equals [!Ref Flag, yes]\n"
                           "Resources:")
    inv = inventory.load([_write(tmp_path, "t.yaml", text)], parameters=PARAMETERS)
    role = inv.principal("app")
    assert role is not None and inv.broken(role.arn)
    off = inventory.load([_write(tmp_path, "t2.yaml", text)], parameters={**PARAMETERS, "Flag": "no"})
    assert off.principal("app") is None


def test_a_template_that_does_not_read_is_reported_with_its_position(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.yaml", "Resources:\n  App:\n    Type: [unclosed\n")
    inv = inventory.load([path])
    (d,) = inv.diagnostics
    assert d.code == "iac-unreadable" and ":3:" in d.message or ":4:" in d.message


def test_validate_reads_every_policy_of_a_template_with_positions(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from qiam.cli import main

    path = _write(tmp_path, "t.yaml", UNRESOLVED.replace("Resources:", "Parameters:\n  Secret: {Type: String}\n"
                                                                       "Resources:").replace(
        "Action: s3:GetObject\n                Resource: arn:aws:s3:::data/*",
        "Action: s3:GetObjekt\n                Resource: arn:aws:s3:::data/*"))
    assert main(["validate", "--format", "sarif", str(path)]) == 0
    sarif = json.loads(capsys.readouterr().out)
    results = sarif["runs"][0]["results"]
    regions = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results}
    assert {("iac-unresolved", 22), ("iac-unresolved", 26), ("iac-unresolved", 32), ("unknown-action", 17)} <= regions
