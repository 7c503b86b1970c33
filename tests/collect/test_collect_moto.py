"""``qiam collect`` against moto's mocked AWS (no network, no real credentials): what it writes is what
AWS was given, and ``--inventory`` loads it."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

REGION = "eu-west-1"
ROOT = Path(__file__).resolve().parents[2]


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


READ = _doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
KMS_USE = _doc({"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"})
BOUNDARY = _doc({"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"})
DENY_LEAVE = _doc({"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"})


@pytest.fixture()
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_SESSION_TOKEN", "testing"), ("AWS_DEFAULT_REGION", REGION)):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with moto.mock_aws():
        yield boto3.session.Session(region_name=REGION)


def _given(session: Any) -> dict[str, Any]:
    """Users, roles, a group, managed policies, an organisation and resources, as a test account has them."""
    iam = session.client("iam")
    account = session.client("sts").get_caller_identity()["Account"]
    read = iam.create_policy(PolicyName="read", PolicyDocument=json.dumps(READ))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=read, PolicyDocument=json.dumps(KMS_USE), SetAsDefault=True)
    boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=json.dumps(BOUNDARY))["Policy"]["Arn"]
    iam.create_group(GroupName="ops")
    iam.put_group_policy(GroupName="ops", PolicyName="ops-read", PolicyDocument=json.dumps(READ))
    # (moto keeps neither a user's boundary nor its tags: the role below carries both)
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="own", PolicyDocument=json.dumps(KMS_USE))
    iam.attach_user_policy(UserName="alice", PolicyArn=read)
    iam.add_user_to_group(GroupName="ops", UserName="alice")
    iam.create_user(UserName="bob")
    trust = _doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/bob"},
                  "Action": "sts:AssumeRole"})
    iam.create_role(RoleName="Admin", AssumeRolePolicyDocument=json.dumps(trust), Path="/ops/",
                    PermissionsBoundary=boundary, Tags=[{"Key": "team", "Value": "platform"}])
    iam.put_role_policy(RoleName="Admin", PolicyName="all", PolicyDocument=json.dumps(
        _doc({"Effect": "Allow", "Action": "*", "Resource": "*"})))
    iam.attach_role_policy(RoleName="Admin", PolicyArn=read)

    org = session.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ou = org.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    inner = org.create_organizational_unit(ParentId=ou, Name="Prod")["OrganizationalUnit"]["Id"]
    member = org.create_account(Email="prod@example.com", AccountName="prod")["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=inner)
    scp = org.create_policy(Content=json.dumps(DENY_LEAVE), Description="", Name="DenyLeave",
                            Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=scp, TargetId=ou)

    bucket_policy = _doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/bob"},
                          "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"})
    s3 = session.client("s3")
    s3.create_bucket(Bucket="reports", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_policy(Bucket="reports", Policy=json.dumps(bucket_policy))
    s3.create_bucket(Bucket="plain", CreateBucketConfiguration={"LocationConstraint": REGION})
    kms = session.client("kms")
    key_policy = _doc({"Sid": "Enable", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                       "Action": "kms:*", "Resource": "*"})
    key = kms.create_key(Policy=json.dumps(key_policy))["KeyMetadata"]["Arn"]
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName="events")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_policy = _doc({"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
                         "Resource": queue})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(queue_policy)})
    sns = session.client("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    topic_policy = _doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                         "Action": "sns:Publish", "Resource": topic})
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(topic_policy))
    secrets = session.client("secretsmanager")
    secret = secrets.create_secret(Name="db", SecretString="x")["ARN"]
    secret_policy = _doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:role/ops/Admin"},
                          "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    secrets.put_resource_policy(SecretId=secret, ResourcePolicy=json.dumps(secret_policy))
    functions = session.client("lambda")
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    function = functions.create_function(
        FunctionName="fn", Runtime="python3.11", Role=f"arn:aws:iam::{account}:role/ops/Admin",
        Handler="handler.handler", Code={"ZipFile": code.getvalue()})["FunctionArn"]
    functions.add_permission(FunctionName="fn", StatementId="events", Action="lambda:InvokeFunction",
                             Principal="events.amazonaws.com")
    return {"account": account, "read": read, "boundary": boundary, "root": root, "ou": ou, "inner": inner,
            "member": member, "scp": scp, "bucket_policy": bucket_policy, "key": key, "key_policy": key_policy,
            "queue": queue, "queue_policy": queue_policy, "topic": topic, "topic_policy": topic_policy,
            "secret": secret, "secret_policy": secret_policy, "function": function}


def test_collect_writes_what_aws_holds(aws: Any, tmp_path: Path) -> None:
    from qiam.collect import collect

    given = _given(aws)
    account = given["account"]
    summary = collect(tmp_path, session=aws, regions=[REGION])
    assert sorted(Path(f).name for f in summary.files) == [f"iam-{account}.json", "organization.json",
                                                          "resources.json"]
    details = json.loads((tmp_path / f"iam-{account}.json").read_text())
    users = {u["UserName"]: u for u in details["UserDetailList"]}
    assert set(users) == {"alice", "bob"}
    alice = users["alice"]
    assert alice["UserPolicyList"] == [{"PolicyName": "own", "PolicyDocument": KMS_USE}]
    assert [a["PolicyArn"] for a in alice["AttachedManagedPolicies"]] == [given["read"]]
    assert alice["GroupList"] == ["ops"]
    role = next(r for r in details["RoleDetailList"] if r["RoleName"] == "Admin")
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == given["boundary"]
    assert {"Key": "team", "Value": "platform"} in role["Tags"]
    assert role["Arn"] == f"arn:aws:iam::{account}:role/ops/Admin"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": f"arn:aws:iam::{account}:user/bob"}
    policy = next(p for p in details["Policies"] if p["Arn"] == given["read"])
    default = next(v for v in policy["PolicyVersionList"] if v["IsDefaultVersion"])
    assert default["Document"] == KMS_USE and len(policy["PolicyVersionList"]) == 2

    org = json.loads((tmp_path / "organization.json").read_text())
    assert org["format"] == "qiam-organization/1" and org["management_account"] == account
    assert "SERVICE_CONTROL_POLICY" in org["policy_types"]
    workloads = next(c for c in org["root"]["children"] if c.get("id") == given["ou"])
    assert given["scp"] in workloads["policies"] and org["policies"][given["scp"]]["document"] == DENY_LEAVE
    prod = next(c for c in workloads["children"] if c.get("id") == given["inner"])
    assert [a["account"] for a in prod["children"]] == [given["member"]]

    resources = {r["arn"]: r for r in json.loads((tmp_path / "resources.json").read_text())["resources"]}
    assert resources["arn:aws:s3:::reports"]["policy"] == given["bucket_policy"]
    assert resources["arn:aws:s3:::reports"]["region"] == REGION
    assert resources["arn:aws:s3:::plain"]["policy"] is None
    for arn, kind, policy_key in ((given["key"], "kms:key", "key_policy"),
                                  (given["queue"], "sqs:queue", "queue_policy"),
                                  (given["topic"], "sns:topic", "topic_policy"),
                                  (given["secret"], "secretsmanager:secret", "secret_policy")):
        assert resources[arn]["type"] == kind and resources[arn]["policy"] == given[policy_key], arn
        assert resources[arn]["account"] == account
    function = resources[given["function"]]
    assert function["type"] == "lambda:function"
    assert function["policy"]["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}


def test_collected_files_load_as_an_inventory(aws: Any, tmp_path: Path) -> None:
    from qiam.collect import collect
    from qiam.inventory import load
    from qiam.queries import Asker

    given = _given(aws)
    account = given["account"]
    collect(tmp_path, session=aws, regions=[REGION])
    inventory = load([tmp_path])
    assert inventory.diagnostics == ()
    assert set(inventory.principals) == {f"arn:aws:iam::{account}:user/alice", f"arn:aws:iam::{account}:user/bob",
                                         f"arn:aws:iam::{account}:role/ops/Admin"}
    alice = inventory.principals[f"arn:aws:iam::{account}:user/alice"]
    assert dict(alice.inline) == {"own": KMS_USE} and alice.attached == (given["read"],)
    admin = inventory.principals[f"arn:aws:iam::{account}:role/ops/Admin"]
    assert admin.boundary == given["boundary"] and admin.tags == {"team": "platform"}
    assert [g for g in inventory.groups_of(alice)] == [f"arn:aws:iam::{account}:group/ops"]
    assert inventory.managed[given["read"]].document == KMS_USE
    asker = Asker(inventory)
    bob = inventory.principals[f"arn:aws:iam::{account}:user/bob"]
    assert [a.status for a in asker.ask([(bob, "s3:GetObject", "arn:aws:s3:::reports/q1.csv"),
                                         (bob, "sts:AssumeRole", f"arn:aws:iam::{account}:role/ops/Admin"),
                                         (alice, "kms:Decrypt", given["key"]), (bob, "kms:Decrypt", given["key"])]
                                        )] == ["allowed", "allowed", "allowed", "denied"]


def test_the_command_writes_and_says_so(aws: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qiam.cli import main

    _given(aws)
    assert main(["collect", "--out", str(tmp_path), "--region", REGION, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["UserDetailList"] == 2 and summary["counts"]["resources"] == 7


def test_no_credentials_is_a_coded_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from qiam.cli import main

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["collect", "--out", str(tmp_path / "out"), "--json"]) == 2
    out = capsys.readouterr()
    assert json.loads(out.out)["error"]["code"] == "collect-no-credentials" and "Traceback" not in out.err


def test_the_documented_permissions_validate_with_no_finding() -> None:
    import re

    import qiam

    text = (ROOT / "docs" / "collect-policy.json").read_text()
    assert qiam.validate_policy(qiam.parse_policy(text)).diagnostics == ()
    shown = re.search(r"```json\n(.*?)```", (ROOT / "docs" / "collect.md").read_text(), re.S)
    assert shown is not None and json.loads(shown.group(1)) == json.loads(text)  # the page shows this policy
