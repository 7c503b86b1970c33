"""Loading inventories: AWS's formats, the organisation and resources, and bad input that never loses the rest."""

from __future__ import annotations

import json
import pathlib
import urllib.parse
from typing import Any

import pytest

from qiam.inventory import Inventory, load
from qiam.queries import Asker

ACCOUNT = "111122223333"
OTHER = "444455556666"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def _user(name: str, account: str = ACCOUNT, **fields: Any) -> dict[str, Any]:
    return {"UserName": name, "Arn": f"arn:aws:iam::{account}:user/{name}", "Path": "/", "UserPolicyList": [],
            "GroupList": [], "AttachedManagedPolicies": [], "Tags": [], **fields}


def _role(name: str, account: str = ACCOUNT, **fields: Any) -> dict[str, Any]:
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]}
    return {"RoleName": name, "Arn": f"arn:aws:iam::{account}:role/{name}", "Path": "/",
            "AssumeRolePolicyDocument": trust, "RolePolicyList": [], "AttachedManagedPolicies": [], "Tags": [],
            **fields}


def _managed(arn: str, document: Any, **fields: Any) -> dict[str, Any]:
    return {"PolicyName": arn.rsplit("/", 1)[-1], "Arn": arn, "DefaultVersionId": "v1",
            "PolicyVersionList": [{"Document": document, "VersionId": "v1", "IsDefaultVersion": True}], **fields}


def _inline(name: str, document: Any) -> dict[str, Any]:
    return {"PolicyName": name, "PolicyDocument": document}


def _write(folder: pathlib.Path, name: str, data: Any) -> pathlib.Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=1))
    return path


def _allowed(inventory: Inventory, principal: str, action: str = "s3:GetObject", resource: str = "*") -> str:
    asker = Asker(inventory, environment=None)
    return asker.ask([(inventory.principals[principal], action, resource)])[0].status


def _codes(inventory: Inventory) -> list[tuple[str, str]]:
    return [(d.code, d.location.pointer) for d in inventory.diagnostics]


ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"


def test_a_user_has_inline_attached_and_group_policies_and_a_role_its_trust_policy(tmp_path: pathlib.Path) -> None:
    managed = f"arn:aws:iam::{ACCOUNT}:policy/read"
    group = {"GroupName": "ops", "Arn": f"arn:aws:iam::{ACCOUNT}:group/ops", "GroupPolicyList": [
        _inline("g", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]})], "AttachedManagedPolicies": [
        {"PolicyName": "read", "PolicyArn": managed}]}
    details = {"UserDetailList": [_user("alice", GroupList=["ops"], UserPolicyList=[_inline("own", {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]})],
        Tags=[{"Key": "team", "Value": "data"}])],
        "GroupDetailList": [group], "RoleDetailList": [_role("ops")], "Policies": [_managed(managed, READ_S3)]}
    inventory = load([_write(tmp_path, "iam.json", details)])
    assert inventory.diagnostics == ()
    alice = inventory.principals[ALICE]
    assert alice.tags == {"team": "data"} and alice.groups == ("ops",)
    assert len(inventory.identity(alice)) == 3
    for action in ("s3:GetObject", "kms:Decrypt", "sqs:SendMessage"):
        assert _allowed(inventory, ALICE, action) == "allowed"
    assert _allowed(inventory, ALICE, "sqs:DeleteQueue") == "denied"
    role = f"arn:aws:iam::{ACCOUNT}:role/ops"
    assert _allowed(inventory, ALICE, "sts:AssumeRole", role) == "denied"  # the trust policy allows the account
    assert inventory.trust(inventory.principals[role]) is not None


def test_raw_api_pages_with_url_encoded_documents_read_as_the_merged_output(tmp_path: pathlib.Path) -> None:
    managed = f"arn:aws:iam::{ACCOUNT}:policy/read"
    merged = {"UserDetailList": [_user("alice", AttachedManagedPolicies=[{"PolicyArn": managed}]), _user("bob")],
              "Policies": [_managed(managed, READ_S3)]}
    encoded = urllib.parse.quote(json.dumps(READ_S3))
    pages = [{"UserDetailList": [_user("alice", AttachedManagedPolicies=[{"PolicyArn": managed}])],
              "IsTruncated": True, "Marker": "abc"},
             {"UserDetailList": [_user("bob")], "Policies": [_managed(managed, encoded)], "IsTruncated": False}]
    one = load([_write(tmp_path, "merged.json", merged)])
    other = load([_write(tmp_path, "pages.json", pages)])
    assert other.diagnostics == ()
    assert set(one.principals) == set(other.principals) == {ALICE, BOB}
    assert other.managed[managed].document == READ_S3
    assert _allowed(other, ALICE) == _allowed(one, ALICE) == "allowed"
    assert _allowed(other, BOB) == "denied"


def test_a_managed_policy_is_compiled_once_across_accounts(tmp_path: pathlib.Path) -> None:
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    for account in (ACCOUNT, OTHER):
        _write(tmp_path, f"iam-{account}.json", {
            "UserDetailList": [_user("alice", account, AttachedManagedPolicies=[{"PolicyArn": admin}])],
            "Policies": [_managed(admin, ALLOW_ALL)]})
    inventory = load([tmp_path])
    first, second = (inventory.identity(inventory.principals[f"arn:aws:iam::{a}:user/alice"]) for a in (ACCOUNT, OTHER))
    assert first[0] is second[0]


def test_the_default_version_is_the_one_in_force(tmp_path: pathlib.Path) -> None:
    managed = f"arn:aws:iam::{ACCOUNT}:policy/p"
    entry = _managed(managed, READ_S3, DefaultVersionId="v2")
    entry["PolicyVersionList"] = [{"Document": ALLOW_ALL, "VersionId": "v1", "IsDefaultVersion": False},
                                  {"Document": READ_S3, "VersionId": "v2", "IsDefaultVersion": True}]
    inventory = load([_write(tmp_path, "iam.json", {
        "UserDetailList": [_user("alice", AttachedManagedPolicies=[{"PolicyArn": managed}])], "Policies": [entry]})])
    assert _allowed(inventory, ALICE, "s3:GetObject") == "allowed"
    assert _allowed(inventory, ALICE, "s3:PutObject") == "denied"


# ----- bad input: a coded diagnostic with the file and the path, and the rest still answers -----

def _two_users(alice: dict[str, Any], policies: list[dict[str, Any]] | None = None, **more: Any) -> dict[str, Any]:
    bob = _user("bob", UserPolicyList=[_inline("read", READ_S3)])
    return {"UserDetailList": [alice, bob], "Policies": policies or [], **more}


BAD_INPUT = {
    "unreadable document": (
        _two_users(_user("alice", UserPolicyList=[_inline("p", "{not json")])),
        "inventory-bad-policy", "/UserDetailList/0/UserPolicyList/0/PolicyDocument"),
    "document that does not validate": (
        _two_users(_user("alice", UserPolicyList=[_inline("p", {"Version": "2012-10-17", "Statement": [
            {"Effect": "allow", "Action": "s3:GetObject", "Resource": "*"}]})])),
        "inventory-bad-policy", "/UserDetailList/0/UserPolicyList/0/PolicyDocument"),
    "no default version": (
        _two_users(_user("alice", AttachedManagedPolicies=[{"PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/p"}]),
                   [{"Arn": f"arn:aws:iam::{ACCOUNT}:policy/p", "PolicyName": "p", "DefaultVersionId": "v3",
                     "PolicyVersionList": [{"Document": ALLOW_ALL, "VersionId": "v1", "IsDefaultVersion": False}]}]),
        "inventory-no-default-version", "/Policies/0/PolicyVersionList"),
    "dangling group": (
        _two_users(_user("alice", GroupList=["nowhere"])), "inventory-dangling-group", "/UserDetailList/0/GroupList"),
    "dangling managed policy": (
        _two_users(_user("alice", AttachedManagedPolicies=[{"PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/gone"}])),
        "inventory-dangling-policy", "/UserDetailList/0"),
    "dangling boundary": (
        _two_users(_user("alice", UserPolicyList=[_inline("all", ALLOW_ALL)], PermissionsBoundary={
            "PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/gone"})),
        "inventory-dangling-policy", "/UserDetailList/0"),
    "entry without an Arn": (
        _two_users({"UserName": "nobody"}), "inventory-bad-entry", "/UserDetailList/0"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_reported_where_it_is_and_the_rest_answers(case: str, tmp_path: pathlib.Path) -> None:
    details, code, pointer = BAD_INPUT[case]
    path = _write(tmp_path, "iam.json", details)
    inventory = load([path])
    assert (code, pointer) in _codes(inventory)
    found = next(d for d in inventory.diagnostics if d.code == code)
    assert found.location.source is not None and found.location.source.name == str(path)
    assert found.location.line is not None  # the position in the file, not only the path
    assert _allowed(inventory, BOB) == "allowed"  # the rest of the inventory still answers
    if ALICE in inventory.principals:
        # Nothing that did not load grants: alice is never allowed, and the answer says why.
        answer = Asker(inventory).ask([(inventory.principals[ALICE], "s3:GetObject", "*")])[0]
        assert answer.status == "broken" and not answer.allowed
        assert code in [d.code for d in answer.broken]


def test_a_duplicate_arn_with_other_policies_breaks_that_principal(tmp_path: pathlib.Path) -> None:
    _write(tmp_path, "a.json", _two_users(_user("alice", UserPolicyList=[_inline("read", READ_S3)])))
    _write(tmp_path, "b.json", {"UserDetailList": [_user("alice", UserPolicyList=[_inline("all", ALLOW_ALL)])]})
    inventory = load([tmp_path])
    assert ("inventory-duplicate", "/UserDetailList/0") in _codes(inventory)
    assert _allowed(inventory, ALICE) == "broken"
    assert _allowed(inventory, BOB) == "allowed"


def test_the_same_details_twice_are_not_a_problem(tmp_path: pathlib.Path) -> None:
    details = _two_users(_user("alice"))
    inventory = load([_write(tmp_path, "a.json", details), _write(tmp_path, "b.json", details)])
    assert inventory.diagnostics == ()


def test_a_file_that_is_not_json_or_not_an_inventory_is_reported_and_others_load(tmp_path: pathlib.Path) -> None:
    _write(tmp_path, "a.json", "{oops")
    _write(tmp_path, "b.json", {"something": "else"})
    _write(tmp_path, "c.json", _two_users(_user("alice")))
    inventory = load([tmp_path])
    assert [c for c, _ in _codes(inventory)] == ["inventory-unreadable", "inventory-unreadable"]
    assert _allowed(inventory, BOB) == "allowed"


def test_a_last_page_that_says_more_follow_is_reported(tmp_path: pathlib.Path) -> None:
    inventory = load([_write(tmp_path, "p.json", [{"UserDetailList": [_user("bob")], "IsTruncated": True,
                                                   "Marker": "m"}])])
    assert ("inventory-truncated", "/0/IsTruncated") in _codes(inventory)


# ----- the organisation and resources -----

REGION_LOCK = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]},
                  "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}}}]}


def _organization(**changes: Any) -> dict[str, Any]:
    org: dict[str, Any] = {
        "format": "qiam-organization/1", "id": "o-a1b2c3d4e5", "management_account": OTHER,
        "policy_types": ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"],
        "policies": {"p-regionlock": {"type": "SERVICE_CONTROL_POLICY", "name": "RegionLock",
                                      "document": REGION_LOCK}},
        "root": {"id": "r-a1b2", "policies": ["p-FullAWSAccess"], "children": [
            {"id": "ou-a1b2-11111111", "policies": ["p-FullAWSAccess", "p-regionlock"], "children": [
                {"account": ACCOUNT, "policies": ["p-FullAWSAccess"]}]},
            {"account": OTHER, "policies": ["p-FullAWSAccess", "p-regionlock"]}]}}
    org.update(changes)
    return org


def _org_inventory(tmp_path: pathlib.Path, org: dict[str, Any]) -> Inventory:
    _write(tmp_path, "iam.json", {"UserDetailList": [_user("alice", UserPolicyList=[_inline("all", ALLOW_ALL)])],
                                  "RoleDetailList": [_role("Admin", RolePolicyList=[_inline("all", ALLOW_ALL)])]})
    _write(tmp_path, "iam-mgmt.json", {"UserDetailList": [_user("root-ops", OTHER, UserPolicyList=[
        _inline("all", ALLOW_ALL)])]})
    _write(tmp_path, "organization.json", org)
    return load([tmp_path])


def test_scp_levels_apply_with_the_context_aws_supplies(tmp_path: pathlib.Path) -> None:
    inventory = _org_inventory(tmp_path, _organization())
    assert inventory.diagnostics == ()
    asker = Asker(inventory)
    alice = inventory.principals[ALICE]
    admin = inventory.principals[f"arn:aws:iam::{ACCOUNT}:role/Admin"]
    ops = inventory.principals[f"arn:aws:iam::{OTHER}:user/root-ops"]
    in_region = "arn:aws:sqs:eu-west-1:111122223333:q"
    out_of_region = "arn:aws:sqs:us-west-2:111122223333:q"
    answers = asker.ask([(alice, "sqs:SendMessage", in_region), (alice, "sqs:SendMessage", out_of_region),
                         (admin, "sqs:SendMessage", out_of_region),
                         (ops, "sqs:SendMessage", f"arn:aws:sqs:us-west-2:{OTHER}:q"),
                         (ops, "sqs:SendMessage", out_of_region)])
    # The region lock denies alice outside eu-west-1; aws:PrincipalArn (derived) exempts the Admin role;
    # the management account is under no SCP; another account's queue without a policy grants no one.
    assert [a.status for a in answers] == ["allowed", "denied", "allowed", "allowed", "denied"]
    assert inventory.rcps(ACCOUNT) is not None and len(inventory.rcps(ACCOUNT) or ()) == 3  # RCPFullAWSAccess


def test_a_level_without_full_access_allows_nothing(tmp_path: pathlib.Path) -> None:
    org = _organization()
    org["root"]["children"][0]["children"][0]["policies"] = []
    inventory = _org_inventory(tmp_path, org)
    assert _allowed(inventory, ALICE, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:q") == "denied"


@pytest.mark.parametrize("fault", ["dangling", "invalid"])
def test_a_broken_scp_breaks_the_accounts_under_it(fault: str, tmp_path: pathlib.Path) -> None:
    org = _organization()
    if fault == "dangling":
        org["root"]["children"][0]["policies"].append("p-gone")
        code, pointer = "inventory-dangling-policy", "/root/children/0/policies"
    else:
        org["policies"]["p-regionlock"]["document"] = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"StringEqualz": {"a:b": "c"}}}]}
        code, pointer = "inventory-bad-policy", "/policies/p-regionlock/document"
    inventory = _org_inventory(tmp_path, org)
    assert (code, pointer) in _codes(inventory)
    assert _allowed(inventory, ALICE, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:q") == "broken"
    # The management account is under no SCP, so the broken one does not touch it.
    assert _allowed(inventory, f"arn:aws:iam::{OTHER}:user/root-ops", "sqs:SendMessage") == "allowed"


def test_resource_policies_grant_across_accounts_and_a_key_needs_its_policy(tmp_path: pathlib.Path) -> None:
    bucket = "arn:aws:s3:::shared"
    key = f"arn:aws:kms:eu-west-1:{OTHER}:key/k1"
    bare_key = f"arn:aws:kms:eu-west-1:{OTHER}:key/k2"
    resources = {"format": "qiam-resources/1", "resources": [
        {"arn": bucket, "type": "s3:bucket", "account": OTHER, "region": "eu-west-1", "policy": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ALICE},
                                                    "Action": "s3:GetObject", "Resource": f"{bucket}/*"}]}},
        {"arn": key, "policy": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "kms:Decrypt", "Resource": "*"}]}},
        {"arn": bare_key, "policy": None},
        {"arn": "arn:aws:s3:::nobody-knows", "policy": READ_S3 | {"Statement": []}}]}
    _write(tmp_path, "iam.json", {"UserDetailList": [_user("alice", UserPolicyList=[_inline("all", ALLOW_ALL)]),
                                                     _user("bob", UserPolicyList=[_inline("all", ALLOW_ALL)])]})
    _write(tmp_path, "resources.json", resources)
    inventory = load([tmp_path])
    assert ("inventory-bad-entry", "/resources/3/account") in _codes(inventory)
    assert inventory.resources[key].type == "kms:key" and inventory.resources[key].account == OTHER
    assert _allowed(inventory, ALICE, "s3:GetObject", f"{bucket}/a.csv") == "allowed"  # cross-account, both sides
    assert _allowed(inventory, BOB, "s3:GetObject", f"{bucket}/a.csv") == "denied"
    assert _allowed(inventory, ALICE, "kms:Decrypt", key) == "allowed"
    assert _allowed(inventory, ALICE, "kms:Decrypt", bare_key) == "denied"
    assert _allowed(inventory, ALICE, "s3:GetObject", "arn:aws:s3:::nobody-knows/x") == "broken"
    assert [a.principal.arn for a in Asker(inventory).who_can("kms:Decrypt") if a.allowed] == [ALICE]
