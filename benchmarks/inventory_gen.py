"""A seeded organisation-scale inventory for benchmarks: ``python -m benchmarks.inventory_gen OUT [--small]``.

It writes the three kinds of file of ``docs/inventory.md``: one
``iam-ACCOUNT.json`` per account in AWS's get-account-authorization-details
format, ``organization.json`` and ``resources.json``. By default: 50 accounts
under three levels of OUs, about 5,000 roles and 1,000 users with inline
policies and attached policies (AWS managed ones from the shared corpus, and
generated customer managed ones, some with several versions), groups,
boundaries on a fifth of the principals, trust policies that make assume-role
chains (a cycle among them), a pool of SCPs (region lock, no leaving the
organisation, no root, protected security tooling), a data-perimeter RCP and
about 2,000 resource policies. The same seed writes the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("QIAM_SHARED", ROOT.parent / "shared"))
DATE = "2026-03-01T10:00:00Z"
REGIONS = ("eu-west-1", "us-east-1", "us-west-2", "eu-central-1")
# AWS managed policies that principals attach, the admin-task ones among them.
MANAGED = ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "AmazonQDeveloperAccess", "AmazonQFullAccess",
           "AmazonS3ReadOnlyAccess", "AmazonS3FullAccess", "AWSLambda_ReadOnlyAccess", "AmazonEC2ReadOnlyAccess",
           "AmazonSQSFullAccess", "AmazonSNSReadOnlyAccess", "SecretsManagerReadWrite",
           "AWSKeyManagementServicePowerUser", "IAMReadOnlyAccess", "CloudWatchReadOnlyAccess",
           "AWSCloudTrail_ReadOnlyAccess", "AmazonDynamoDBReadOnlyAccess", "AWSCodeCommitPowerUser",
           "AmazonRDSReadOnlyAccess", "ViewOnlyAccess")


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(action: Any, resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


class _Org:
    """What every generated file draws on: accounts, names, and the seeded random source."""

    def __init__(self, rng: random.Random, accounts: int) -> None:
        self.rng = rng
        ids = sorted({str(rng.randrange(10**11, 10**12)) for _ in range(accounts * 2)})[:accounts]
        rng.shuffle(ids)
        self.accounts = ids
        self.management = ids[0]
        self.buckets: dict[str, list[str]] = {a: [] for a in ids}
        self.keys: dict[str, list[str]] = {a: [] for a in ids}
        self.roles: dict[str, list[str]] = {a: [] for a in ids}

    def account_weight(self, index: int) -> float:
        return 1.0 / (1 + index) ** 0.8  # a few big accounts, many small ones


def _managed_corpus(folder: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for name in MANAGED:
        path = folder / f"{name}.json"
        if path.is_file():
            out[name] = json.loads(path.read_text())
    if "AdministratorAccess" not in out:
        out["AdministratorAccess"] = _doc(_allow("*"))
    return out


def _customer_policy(org: _Org, account: str, n: int) -> dict[str, Any]:
    """One of a few realistic shapes of customer managed policy."""
    rng = org.rng
    bucket = rng.choice(org.buckets[account] or [f"data-{account}-0"])
    key = rng.choice(org.keys[account] or [f"arn:aws:kms:eu-west-1:{account}:key/k0"])
    shape = n % 6
    if shape == 0:
        return _doc(_allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{bucket}/team-{n % 7}/*"),
                    _allow("s3:ListBucket", f"arn:aws:s3:::{bucket}",
                           Condition={"StringLike": {"s3:prefix": [f"team-{n % 7}/*"]}}),
                    _allow(["kms:Decrypt", "kms:GenerateDataKey*"], key))
    if shape == 1:
        return _doc(_allow(["q:*", "codewhisperer:*", "user-subscriptions:*"]),
                    _allow(["sso:CreateApplication", "sso:PutApplicationGrant",
                            "sso:PutApplicationAuthenticationMethod", "sso:PutApplicationAccessScope",
                            "sso:PutApplicationAssignmentConfiguration",
                            "sso:DescribeApplication", "sso:ListApplications", "sso:ListInstances",
                            "sso:DescribeInstance", "sso:DescribeRegisteredRegions", "sso:GetSharedSsoConfiguration",
                            "sso:DeleteApplication"]),
                    _allow(["organizations:DescribeOrganization", "organizations:ListAWSServiceAccessForOrganization"]),
                    _allow(["kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:GenerateDataKey*"], key))
    if shape == 2:
        return _doc(_allow("iam:PassRole", f"arn:aws:iam::{account}:role/app/*",
                           Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
                    _allow(["lambda:*", "logs:*"], "*"),
                    {"Effect": "Deny", "Action": "lambda:DeleteFunction", "Resource": "*",
                     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}})
    if shape == 3:
        return _doc(_allow(["ec2:Describe*", "ec2:StartInstances", "ec2:StopInstances"], "*",
                           Condition={"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}),
                    {"Effect": "Deny", "NotAction": ["ec2:Describe*", "iam:Get*", "iam:List*"], "Resource": "*",
                     "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": f"team-{n % 5}"}}})
    if shape == 4:
        return _doc(_allow(["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"],
                           f"arn:aws:sqs:*:{account}:queue-{n % 9}*"),
                    _allow(["sns:Publish"], f"arn:aws:sns:*:{account}:*"),
                    _allow(["secretsmanager:GetSecretValue"], f"arn:aws:secretsmanager:*:{account}:secret:app/*"))
    return _doc(_allow(["s3:*"], [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]),
                {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"})


def _boundary() -> dict[str, Any]:
    return _doc(_allow(["s3:*", "kms:*", "sqs:*", "sns:*", "lambda:*", "logs:*", "ec2:Describe*", "q:*",
                        "codewhisperer:*", "secretsmanager:GetSecretValue", "sts:AssumeRole", "iam:Get*", "iam:List*"]),
                {"Effect": "Deny", "Action": ["iam:CreateUser", "iam:CreateAccessKey", "organizations:*"],
                 "Resource": "*"})


def _managed_entry(arn: str, documents: list[dict[str, Any]], attachments: int) -> dict[str, Any]:
    versions = [{"Document": d, "VersionId": f"v{i + 1}", "IsDefaultVersion": i == len(documents) - 1,
                 "CreateDate": DATE} for i, d in enumerate(documents)]
    name = arn.rsplit("/", 1)[-1]
    return {"PolicyName": name, "PolicyId": "ANPA" + format(zlib.crc32(arn.encode()), "08X") * 2, "Arn": arn,
            "Path": "/", "DefaultVersionId": f"v{len(documents)}", "AttachmentCount": attachments,
            "PermissionsBoundaryUsageCount": 0, "IsAttachable": True, "CreateDate": DATE, "UpdateDate": DATE,
            "PolicyVersionList": versions}


def _admin(used: set[str]) -> list[dict[str, str]]:
    used.add("AdministratorAccess")
    return [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]


def _id(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(17))


def _account_details(org: _Org, account: str, roles: int, users: int, corpus: dict[str, dict[str, Any]],
                     counts: dict[str, int]) -> dict[str, Any]:
    rng = org.rng
    customer = [f"arn:aws:iam::{account}:policy/app-policy-{i}" for i in range(max(3, (roles + users) // 40))]
    boundaries = [f"arn:aws:iam::{account}:policy/boundary-{i}" for i in range(2)]
    used_aws: set[str] = set()
    attachments: dict[str, int] = {}

    def attach(count: int) -> list[dict[str, str]]:
        chosen: list[str] = []
        for _ in range(count):
            if rng.random() < 0.35:
                name = rng.choice(sorted(corpus))
                arn = f"arn:aws:iam::aws:policy/{name}"
                used_aws.add(name)
            else:
                arn = rng.choice(customer)
            if arn not in chosen:
                chosen.append(arn)
        for arn in chosen:
            attachments[arn] = attachments.get(arn, 0) + 1
        return [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in chosen]

    def boundary() -> dict[str, str] | None:
        if rng.random() >= 0.2:
            return None
        counts["boundaries"] += 1
        return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": rng.choice(boundaries)}

    groups = [f"group-{i}" for i in range(3)]
    group_list = [{"Path": "/", "GroupName": g, "GroupId": _id(rng, "AGPA"), "Arn": f"arn:aws:iam::{account}:group/{g}",
                   "CreateDate": DATE, "GroupPolicyList": [] if i else [
                       {"PolicyName": "group-read", "PolicyDocument": _doc(_allow(["s3:List*", "ec2:Describe*"]))}],
                   "AttachedManagedPolicies": attach(1)} for i, g in enumerate(groups)]
    user_list = []
    for i in range(users):
        name = f"user-{i}"
        entry: dict[str, Any] = {
            "Path": "/", "UserName": name, "UserId": _id(rng, "AIDA"), "Arn": f"arn:aws:iam::{account}:user/{name}",
            "CreateDate": DATE,
            "UserPolicyList": [{"PolicyName": "own", "PolicyDocument": _customer_policy(org, account, i)}]
            if rng.random() < 0.3 else [],
            "GroupList": sorted(rng.sample(groups, rng.randrange(0, 4))),
            "AttachedManagedPolicies": attach(rng.randrange(0, 3)),
            "Tags": [{"Key": "team", "Value": f"team-{rng.randrange(5)}"}]}
        found = boundary()
        if found:
            entry["PermissionsBoundary"] = found
        user_list.append(entry)
    role_list = []
    names = ["OrgAdmin"] + [f"role-{i}" if i % 4 else f"app/role-{i}" for i in range(1, roles)]
    org.roles[account] = [f"arn:aws:iam::{account}:role/{n}" for n in names]
    for i, name in enumerate(names):
        arn = f"arn:aws:iam::{account}:role/{name}"
        short = name.rsplit("/", 1)[-1]
        kind = i % 5
        if kind == 0:
            principal: dict[str, Any] = {"Service": rng.choice(["lambda.amazonaws.com", "ec2.amazonaws.com"])}
            trust = _doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})
        elif kind == 1:
            trust = _doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                          "Action": "sts:AssumeRole"})
        elif kind == 2:
            # The next role of the account, and the one before: chains, and cycles between neighbours.
            other = names[(i + 1) % len(names)], names[(i - 1) % len(names)]
            trust = _doc({"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{account}:role/{o}" for o in other]},
                          "Action": "sts:AssumeRole"})
        elif kind == 3:
            trust = _doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{org.management}:root"},
                          "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": f"x-{i}"}}})
        else:
            trust = _doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                          "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-genorg0001"}}})
        inline = []
        if rng.random() < 0.4 and i:  # (the OrgAdmin role has AdministratorAccess alone)
            inline.append({"PolicyName": f"{short}-inline", "PolicyDocument": _customer_policy(org, account, i + 3)})
        if kind == 2:
            inline.append({"PolicyName": "assume-next", "PolicyDocument": _doc(
                _allow("sts:AssumeRole", f"arn:aws:iam::{account}:role/*"))})
        entry = {"Path": "/" + (name.rsplit("/", 1)[0] + "/" if "/" in name else ""), "RoleName": short,
                 "RoleId": _id(rng, "AROA"), "Arn": arn, "CreateDate": DATE, "AssumeRolePolicyDocument": trust,
                 "InstanceProfileList": [], "RolePolicyList": inline,
                 "AttachedManagedPolicies": _admin(used_aws) if i == 0 else attach(rng.randrange(0, 4)),
                 "Tags": [{"Key": "team", "Value": f"team-{rng.randrange(5)}"}],
                 "RoleLastUsed": {}}
        found = boundary()
        if found:
            entry["PermissionsBoundary"] = found
        role_list.append(entry)
    policies = [_managed_entry(f"arn:aws:iam::aws:policy/{n}", [corpus[n]],
                               attachments.get(f"arn:aws:iam::aws:policy/{n}", 0)) for n in sorted(used_aws)]
    for j, arn in enumerate(customer):
        versions = [_customer_policy(org, account, j + k) for k in range(1 + j % 3)]
        policies.append(_managed_entry(arn, versions, attachments.get(arn, 0)))
    policies.extend(_managed_entry(arn, [_boundary()], 0) for arn in boundaries)
    counts["users"] += users
    counts["roles"] += roles
    counts["managed_policies"] += len(policies)
    return {"UserDetailList": user_list, "GroupDetailList": group_list, "RoleDetailList": role_list,
            "Policies": policies}


SCPS = {
    "p-regionlock": ("RegionLock", _doc({
        "Sid": "DenyOutsideRegions", "Effect": "Deny",
        "NotAction": ["iam:*", "sts:*", "organizations:*", "support:*", "cloudfront:*", "route53:*", "sso:*",
                      "budgets:*", "health:*", "q:*", "codewhisperer:*"],
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]},
                      "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrgAdmin"}}})),
    "p-noleave": ("DenyLeavingOrganization", _doc({"Effect": "Deny", "Action": "organizations:LeaveOrganization",
                                                   "Resource": "*"})),
    "p-noroot": ("DenyRoot", _doc({"Effect": "Deny", "Action": "*", "Resource": "*",
                                   "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}})),
    "p-security": ("ProtectSecurityTooling", _doc(
        {"Effect": "Deny", "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "guardduty:Delete*",
                                      "guardduty:Disassociate*", "config:Delete*", "config:StopConfigurationRecorder"],
         "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAudit"}}},
        {"Effect": "Deny", "Action": ["iam:*Role*", "iam:*Policy*"], "Resource": "arn:aws:iam::*:role/security-*",
         "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAudit"}}})),
}
RCP = ("DataPerimeter", _doc({
    "Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*",
    "Action": ["s3:*", "kms:*", "sqs:*", "secretsmanager:*"], "Resource": "*",
    "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-genorg0001"},
                  "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}))


def _organization(org: _Org) -> dict[str, Any]:
    """Root → 3 OUs → 2 or 3 child OUs each → a grandchild OU under some; accounts at every level below root."""
    rng = org.rng
    policies: dict[str, Any] = {pid: {"type": "SERVICE_CONTROL_POLICY", "name": n, "document": d}
                                for pid, (n, d) in SCPS.items()}
    policies["p-perimeter"] = {"type": "RESOURCE_CONTROL_POLICY", "name": RCP[0], "document": RCP[1]}
    nodes: list[dict[str, Any]] = []
    top = []
    for i, name in enumerate(("Workloads", "Sandbox", "Security")):
        ou: dict[str, Any] = {"id": f"ou-gen0-{i:08d}", "name": name, "policies": ["p-FullAWSAccess"],
                              "children": []}
        if name != "Security":
            ou["policies"].append("p-regionlock")
        if name == "Workloads":
            ou["policies"].append("p-perimeter")
        top.append(ou)
        nodes.append(ou)
        for j in range(2 + i % 2):
            child: dict[str, Any] = {"id": f"ou-gen0-{i:04d}{j:04d}", "name": f"{name}-{j}",
                                     "policies": ["p-FullAWSAccess"] + (["p-security"] if j == 0 else []),
                                     "children": []}
            ou["children"].append(child)
            nodes.append(child)
            if j == 0:
                grandchild: dict[str, Any] = {"id": f"ou-gen0-{i:04d}{j:02d}99", "name": f"{name}-{j}-deep",
                                              "policies": ["p-FullAWSAccess"], "children": []}
                child["children"].append(grandchild)
                nodes.append(grandchild)
    root: dict[str, Any] = {"id": "r-gen0", "name": "Root", "policies": ["p-FullAWSAccess", "p-noleave", "p-noroot"],
                            "children": [{"account": org.management, "name": "management",
                                          "policies": ["p-FullAWSAccess"]}, *top]}
    for account in org.accounts[1:]:
        rng.choice(nodes)["children"].append({"account": account, "name": f"account-{account[-4:]}",
                                              "policies": ["p-FullAWSAccess"]})
    return {"format": "qiam-organization/1", "id": "o-genorg0001", "management_account": org.management,
            "policy_types": ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"], "policies": policies,
            "root": root}


def _resources(org: _Org, count: int) -> dict[str, Any]:
    rng = org.rng
    out = []
    kinds = ("s3:bucket", "kms:key", "sqs:queue", "sns:topic", "lambda:function", "secretsmanager:secret")
    for i in range(count):
        account = rng.choices(org.accounts, [org.account_weight(k) for k in range(len(org.accounts))])[0]
        other = rng.choice(org.accounts)
        region = rng.choice(REGIONS)
        kind = kinds[i % len(kinds)]
        reader = rng.choice(org.roles[other] or [f"arn:aws:iam::{other}:root"])
        policy: dict[str, Any] | None
        if kind == "s3:bucket":
            name = f"gen-{account}-{i}"
            arn = f"arn:aws:s3:::{name}"
            org.buckets[account].append(name)
            policy = _doc({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                           "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                          {"Sid": "CrossAccountRead", "Effect": "Allow", "Principal": {"AWS": reader},
                           "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [arn, f"{arn}/*"]},
                          {"Sid": "OrgRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                           "Resource": f"{arn}/shared/*",
                           "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-genorg0001"}}})
        elif kind == "kms:key":
            bits = (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(16),
                    rng.getrandbits(48))
            key_id = f"{bits[0]:08x}-{bits[1]:04x}-{bits[2]:04x}-{bits[3]:04x}-{bits[4]:012x}"
            arn = f"arn:aws:kms:{region}:{account}:key/{key_id}"
            org.keys[account].append(arn)
            user = rng.choice(org.roles[account] or [f"arn:aws:iam::{account}:root"])
            policy = _doc({"Sid": "EnableIAMUserPermissions", "Effect": "Allow",
                           "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
                          {"Sid": "AllowUse", "Effect": "Allow", "Principal": {"AWS": [user, reader]},
                           "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                           "Resource": "*"})
        elif kind == "sqs:queue":
            arn = f"arn:aws:sqs:{region}:{account}:queue-{i % 9}-{i}"
            policy = _doc({"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                           "Action": "sqs:SendMessage", "Resource": arn,
                           "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:sns:*:{account}:*"}}})
        elif kind == "sns:topic":
            arn = f"arn:aws:sns:{region}:{account}:topic-{i}"
            policy = _doc({"Effect": "Allow", "Principal": {"AWS": reader}, "Action": ["sns:Publish", "sns:Subscribe"],
                           "Resource": arn})
        elif kind == "lambda:function":
            arn = f"arn:aws:lambda:{region}:{account}:function:fn-{i}"
            policy = _doc({"Sid": "events", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                           "Action": "lambda:InvokeFunction", "Resource": arn,
                           "Condition": {"ArnLike": {"AWS:SourceArn": f"arn:aws:events:{region}:{account}:rule/*"}}})
        else:
            arn = f"arn:aws:secretsmanager:{region}:{account}:secret:app/s-{i}-" + "".join(
                rng.choice("abcdefABCDEF0123456789") for _ in range(6))
            policy = _doc({"Effect": "Allow", "Principal": {"AWS": reader}, "Action": "secretsmanager:GetSecretValue",
                           "Resource": "*"})
        if rng.random() < 0.1:
            policy = None
        out.append({"arn": arn, "type": kind, "account": account, "region": region, "policy": policy,
                    "tags": {"owner": f"team-{rng.randrange(5)}"}})
    return {"format": "qiam-resources/1", "resources": out}


def generate(out: Path, *, seed: int = 7, accounts: int = 50, roles: int = 5000, users: int = 1000,
             resources: int = 2000, managed_dir: Path | None = None) -> dict[str, int]:
    """Write the inventory into ``out``; returns what it holds."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    org = _Org(rng, accounts)
    corpus = _managed_corpus(managed_dir or SHARED / "corpus" / "aws-managed")
    counts = {"accounts": accounts, "users": 0, "roles": 0, "managed_policies": 0, "boundaries": 0, "resources": 0}
    # Resources first: the principals' policies name their buckets and keys.
    resource_file = _resources(org, resources)
    counts["resources"] = len(resource_file["resources"])
    weights = [org.account_weight(i) for i in range(accounts)]
    total = sum(weights)
    for i, account in enumerate(org.accounts):
        share = weights[i] / total
        details = _account_details(org, account, max(2, round(roles * share)), max(1, round(users * share)), corpus,
                                   counts)
        (out / f"iam-{account}.json").write_text(json.dumps(details, indent=1))
    (out / "organization.json").write_text(json.dumps(_organization(org), indent=1))
    (out / "resources.json").write_text(json.dumps(resource_file, indent=1))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--small", action="store_true", help="5 accounts, 200 roles, 50 users, 100 resources")
    args = parser.parse_args()
    sizes = dict(accounts=5, roles=200, users=50, resources=100) if args.small else {}
    print(json.dumps(generate(args.out, seed=args.seed, **sizes)))


if __name__ == "__main__":
    main()
