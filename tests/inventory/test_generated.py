"""The benchmark's generated organisation: deterministic, valid, and answered as a naive evaluation answers."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import random
from typing import Any

import pytest
from benchmarks.inventory_gen import generate

import qiam
from qiam.context import Environment
from qiam.inventory import load
from qiam.queries import Asker

TIME = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
SMALL = {"accounts": 5, "roles": 200, "users": 50, "resources": 100}
FULL_SCP = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
FULL_RCP = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
                                                   "Resource": "*"}]}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("generated")
    generate(out, seed=3, **SMALL)
    return out


def test_the_same_seed_writes_the_same_bytes(generated: pathlib.Path, tmp_path: pathlib.Path) -> None:
    counts = generate(tmp_path, seed=3, **SMALL)
    assert {p.name: p.read_bytes() for p in generated.iterdir()} == {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert counts["accounts"] == 5 and abs(counts["roles"] - 200) <= 5 and abs(counts["users"] - 50) <= 5
    assert counts["resources"] == 100


class NaiveOrg:
    """The generated files read as plainly as can be: each principal's documents, the organisation's levels,
    the resources' policies."""

    def __init__(self, folder: pathlib.Path) -> None:
        self.identity: dict[str, list[dict[str, Any]]] = {}
        self.boundary: dict[str, dict[str, Any] | None] = {}
        self.trust: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, dict[str, str]] = {}
        for path in sorted(folder.glob("iam-*.json")):
            details = json.loads(path.read_text())
            managed = {p["Arn"]: next(v["Document"] for v in p["PolicyVersionList"] if v["IsDefaultVersion"])
                       for p in details["Policies"]}
            groups = {g["GroupName"]: g for g in details["GroupDetailList"]}
            for kind, inline_key in (("UserDetailList", "UserPolicyList"), ("RoleDetailList", "RolePolicyList")):
                for entry in details[kind]:
                    docs = [p["PolicyDocument"] for p in entry[inline_key]]
                    docs += [managed[a["PolicyArn"]] for a in entry["AttachedManagedPolicies"]]
                    for name in entry.get("GroupList", []):
                        docs += [p["PolicyDocument"] for p in groups[name]["GroupPolicyList"]]
                        docs += [managed[a["PolicyArn"]] for a in groups[name]["AttachedManagedPolicies"]]
                    arn = entry["Arn"]
                    self.identity[arn] = docs
                    bound = entry.get("PermissionsBoundary")
                    self.boundary[arn] = managed[bound["PermissionsBoundaryArn"]] if bound else None
                    self.tags[arn] = {t["Key"]: t["Value"] for t in entry["Tags"]}
                    if "AssumeRolePolicyDocument" in entry:
                        self.trust[arn] = entry["AssumeRolePolicyDocument"]
        org = json.loads((folder / "organization.json").read_text())
        self.org_id = org["id"]
        self.management = org["management_account"]
        self.scp_levels: dict[str, list[list[dict[str, Any]]]] = {}
        self.rcp_levels: dict[str, list[list[dict[str, Any]]]] = {}

        def walk(node: dict[str, Any], scps: list[list[Any]], rcps: list[list[Any]]) -> None:
            kinds = {i: org["policies"].get(i, {}).get("type") for i in node["policies"]}
            here_scps = [FULL_SCP if i == "p-FullAWSAccess" else org["policies"][i]["document"]
                         for i in node["policies"] if i == "p-FullAWSAccess" or kinds[i] == "SERVICE_CONTROL_POLICY"]
            here_rcps = [FULL_RCP] + [org["policies"][i]["document"] for i in node["policies"]
                                      if org["policies"].get(i, {}).get("type") == "RESOURCE_CONTROL_POLICY"]
            scps, rcps = [*scps, here_scps], [*rcps, here_rcps]
            if "account" in node:
                self.scp_levels[node["account"]] = scps
                self.rcp_levels[node["account"]] = rcps
            for child in node.get("children", []):
                walk(child, scps, rcps)

        walk(org["root"], [], [])
        self.resources = {r["arn"]: r for r in json.loads((folder / "resources.json").read_text())["resources"]}

    def owner(self, action: str, resource: str, principal: str) -> tuple[dict[str, Any] | None, str | None, str]:
        """The resource policy, its profile, and the owner account of a resource (for `*` or an ARN without
        an account, the principal's, as a request takes it)."""
        if action == "sts:AssumeRole" and resource in self.trust:
            return self.trust[resource], "role-trust", resource.split(":")[4]
        entry = self.resources.get(resource) or self.resources.get(resource.split("/", 1)[0])
        if entry is not None:
            return entry["policy"], "resource", entry["account"]
        fields = resource.split(":")
        return None, None, fields[4] if len(fields) > 4 and fields[4] else principal.split(":")[4]

    def status(self, principal: str, action: str, resource: str) -> str:
        account = principal.split(":")[4]
        policy, profile, owner = self.owner(action, resource, principal)
        in_org = account in self.scp_levels and account != self.management
        owner_in_org = owner in self.rcp_levels and owner != self.management

        def levels(given: list[list[Any]], profile: str) -> tuple[tuple[Any, ...], ...]:
            return tuple(tuple(qiam.compile_policy(d, profile) for d in level) for level in given)

        pset = qiam.PolicySet(
            identity=tuple(qiam.compile_policy(d) for d in self.identity[principal]),
            boundary=qiam.compile_policy(self.boundary[principal]) if self.boundary[principal] else None,
            resource=qiam.compile_policy(policy, profile) if policy is not None and profile else None,
            scps=levels(self.scp_levels[account], "scp") if in_org else None,
            rcps=levels(self.rcp_levels[owner], "rcp") if owner_in_org else None)
        request = qiam.Request(action, resource, principal=principal,
                               resource_account=owner if resource != "*" else None,
                               management_account=account == self.management,
                               resource_management_account=owner == self.management,
                               environment=Environment(time=TIME, principal_tags=self.tags[principal] or None,
                                                       principal_org_id=self.org_id if account in self.scp_levels
                                                       else None,
                                                       resource_org_id=self.org_id if owner in self.rcp_levels
                                                       else None))
        return "allowed" if pset.evaluate(request).decision is qiam.Decision.ALLOW else "denied"


ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:ListBucket", "kms:Decrypt", "kms:GenerateDataKey", "sqs:SendMessage",
           "sns:Publish", "lambda:InvokeFunction", "secretsmanager:GetSecretValue", "sts:AssumeRole", "iam:PassRole",
           "ec2:StartInstances", "q:CreatePlugin", "codewhisperer:GenerateRecommendations", "cloudtrail:StopLogging",
           "organizations:LeaveOrganization", "iam:CreateUser")


def test_random_questions_equal_the_naive_evaluation(generated: pathlib.Path, _engine: str) -> None:
    inventory = load([generated])
    assert inventory.diagnostics == ()
    naive = NaiveOrg(generated)
    asker = Asker(inventory, environment=Environment(time=TIME))
    rng = random.Random(5)
    principals = sorted(inventory.principals)
    resources = sorted(inventory.resources)
    regions = ("eu-west-1", "us-west-2")
    questions = []
    by_service: dict[str, list[str]] = {}
    for arn in resources:
        by_service.setdefault(arn.split(":")[2], []).append(arn)
    roles = [p for p in principals if ":role/" in p]
    for _ in range(3_000 if _engine == "python" else 10_000):
        action = rng.choice(ACTIONS)
        service = action.split(":")[0]
        if action in ("sts:AssumeRole", "iam:PassRole"):
            resource = rng.choice(roles)
        elif service in by_service and rng.random() < 0.9:
            resource = rng.choice(by_service[service])
            if service == "s3" and action != "s3:ListBucket":
                resource += rng.choice(("/shared/a.csv", "/team-1/b.csv"))
        elif service in by_service:  # a resource the inventory does not hold
            account = rng.choice(principals).split(":")[4]
            resource = f"arn:aws:sqs:{rng.choice(regions)}:{account}:other" if service == "sqs" else "*"
        else:
            resource = "*"
        questions.append((rng.choice(principals), action, resource))
    answers = asker.ask((inventory.principals[p], a, r) for p, a, r in questions)
    allowed = 0
    for (principal, action, resource), answer in zip(questions, answers, strict=True):
        if answer.status != naive.status(principal, action, resource):
            pytest.fail(f"{principal} {action} {resource}: {answer.status}")
        allowed += answer.allowed
    assert len(questions) // 20 < allowed < len(questions) * 0.9
