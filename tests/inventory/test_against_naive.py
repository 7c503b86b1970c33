"""The inventory's answers equal a naive evaluation: each principal's policies resolved from the raw JSON
by the plainest code, one ``PolicySet.evaluate`` per (principal, action, resource)."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import pytest

import qiam
from qiam import tasks as qtasks
from qiam.catalog import load_catalog
from qiam.context import Environment
from qiam.inventory import load
from qiam.queries import Asker, task_matrix
from tests.conftest import SHARED

EXAMPLE = SHARED / "corpus" / "accounts" / "cloudsplaining" / "example.json"
TIME = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


class Naive:
    """Each principal's policies, read from get-account-authorization-details output as plainly as can be."""

    def __init__(self, details: dict[str, Any]) -> None:
        def default(entry: dict[str, Any]) -> dict[str, Any]:
            return next(v["Document"] for v in entry["PolicyVersionList"] if v["IsDefaultVersion"])

        managed = {p["Arn"]: default(p) for p in details.get("Policies", [])}
        groups = {(g["Arn"].split(":")[4], g["GroupName"]): g for g in details.get("GroupDetailList", [])}
        self.identity: dict[str, list[dict[str, Any]]] = {}
        self.trust: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, dict[str, str]] = {}
        for user in details.get("UserDetailList", []):
            docs = [p["PolicyDocument"] for p in user.get("UserPolicyList", [])]
            docs += [managed[a["PolicyArn"]] for a in user.get("AttachedManagedPolicies", [])]
            for name in user.get("GroupList", []):
                group = groups[(user["Arn"].split(":")[4], name)]
                docs += [p["PolicyDocument"] for p in group.get("GroupPolicyList", [])]
                docs += [managed[a["PolicyArn"]] for a in group.get("AttachedManagedPolicies", [])]
            self.identity[user["Arn"]] = docs
            self.tags[user["Arn"]] = {t["Key"]: t["Value"] for t in user.get("Tags", [])}
        for role in details.get("RoleDetailList", []):
            docs = [p["PolicyDocument"] for p in role.get("RolePolicyList", [])]
            docs += [managed[a["PolicyArn"]] for a in role.get("AttachedManagedPolicies", [])]
            self.identity[role["Arn"]] = docs
            self.trust[role["Arn"]] = role["AssumeRolePolicyDocument"]
            self.tags[role["Arn"]] = {t["Key"]: t["Value"] for t in role.get("Tags", [])}
        self.managed = managed
        self._sets: dict[tuple[str, str | None], qiam.PolicySet] = {}

    def policy_set(self, principal: str, action: str, resource: str) -> qiam.PolicySet:
        trust = self.trust.get(resource) if action.lower() == "sts:assumerole" else None
        key = (principal, resource if trust else None)
        if key not in self._sets:  # (kept only to make the test quicker: a set is what the documents say)
            self._sets[key] = self._policy_set(principal, trust)
        return self._sets[key]

    def _policy_set(self, principal: str, trust: dict[str, Any] | None) -> qiam.PolicySet:
        return qiam.PolicySet(identity=tuple(qiam.compile_policy(d) for d in self.identity[principal]),
                              resource=qiam.compile_policy(trust, "role-trust") if trust else None)

    def status(self, principal: str, action: str, resource: str) -> str:
        request = qiam.Request(action, resource, principal=principal,
                               environment=Environment(time=TIME, principal_tags=self.tags[principal] or None))
        decision = self.policy_set(principal, action, resource).evaluate(request).decision
        return "allowed" if decision is qiam.Decision.ALLOW else "denied"


def _actions_named(details: dict[str, Any]) -> list[str]:
    """Actions the policies name (expanded), so that random questions meet allows as well as denies."""
    named: set[str] = set()
    docs = [v["Document"] for p in details.get("Policies", []) for v in p["PolicyVersionList"]]
    for kind in ("UserDetailList", "RoleDetailList", "GroupDetailList"):
        for entry in details.get(kind, []):
            for key in ("UserPolicyList", "RolePolicyList", "GroupPolicyList"):
                docs += [p["PolicyDocument"] for p in entry.get(key, [])]
    for doc in docs:
        statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
        for st in statements:
            actions = st.get("Action", [])
            named.update([actions] if isinstance(actions, str) else actions)
    return sorted(a.action for a in qiam.expand_actions(*sorted(named))) if named else []


@pytest.fixture(scope="module")
def example(_engine: str) -> tuple[dict[str, Any], Naive, Asker]:
    details = json.loads(EXAMPLE.read_text())
    return details, Naive(details), Asker(load([EXAMPLE]), environment=Environment(time=TIME))


def test_ten_thousand_random_questions_on_a_real_dump(example: tuple[dict[str, Any], Naive, Asker]) -> None:
    details, naive, asker = example
    rng = random.Random(16)
    inventory = asker.inventory
    assert inventory.diagnostics == ()
    principals = sorted(inventory.principals)
    named = _actions_named(details)
    every = [a.action for a in load_catalog().expand("*")]
    resources = ["*", *principals, *sorted(inventory.managed), "arn:aws:s3:::some-bucket/key",
                 "arn:aws:ec2:us-east-1:200611803367:instance/i-1"]
    questions = []
    for _ in range(10_000):
        action = rng.choice(named) if rng.random() < 0.7 else rng.choice(every)
        if rng.random() < 0.1:
            action = "sts:AssumeRole"
        resource = "*" if rng.random() < 0.4 else rng.choice(resources)
        questions.append((rng.choice(principals), action, resource))
    answers = asker.ask((inventory.principals[p], a, r) for p, a, r in questions)
    allowed = 0
    for (principal, action, resource), answer in zip(questions, answers, strict=True):
        assert answer.status == naive.status(principal, action, resource), (principal, action, resource)
        allowed += answer.allowed
    assert 500 < allowed < 9_500  # both kinds of answer are met


@pytest.mark.parametrize("action", ["iam:PassRole", "sts:AssumeRole", "s3:ListAllMyBuckets", "iam:CreateAccessKey"])
def test_who_can_equals_the_naive_loop(example: tuple[dict[str, Any], Naive, Asker], action: str) -> None:
    _, naive, asker = example
    got = {(a.principal.arn, a.resource) for a in asker.who_can(action) if a.allowed}
    resources = asker.resources_for(asker.action_info(action))
    expected = {(p, r) for r in resources for p in naive.identity if naive.status(p, action, r) == "allowed"}
    assert got == expected and got


def test_can_equals_the_naive_loop(example: tuple[dict[str, Any], Naive, Asker], _engine: str) -> None:
    _, naive, asker = example
    every = [a.action for a in load_catalog().expand("*")]
    for principal in sorted(naive.identity)[::40 if _engine != "python" else 80]:  # (the twin is slower)
        got = {a.action for a in asker.can(principal) if a.allowed}
        pset = naive.policy_set(principal, "", "*")
        environment = Environment(time=TIME, principal_tags=naive.tags[principal] or None)
        expected = {a for a in every if pset.evaluate(qiam.Request(a, principal=principal,
                                                                   environment=environment)).allowed}
        assert got == expected
        for answer in asker.can_somewhere(principal, asker.can(principal)):  # on the resources they name
            assert naive.status(principal, answer.action, answer.resource) == "allowed"
        role = next(r for r in sorted(naive.trust))
        on_role = {a.action for a in asker.can(principal, role) if a.allowed}
        assert on_role == {a.action for a in asker.can_act(principal, "iam:PassRole") if a.allowed
                           and a.resource == role} | {x for x in on_role if x != "iam:PassRole"}


def test_the_task_matrix_equals_tasks_checked_one_principal_at_a_time(
        example: tuple[dict[str, Any], Naive, Asker]) -> None:
    _, naive, asker = example
    matrix = task_matrix(asker.inventory, environment=Environment(time=TIME))
    names = [t["name"] for t in matrix["tasks"]]  # type: ignore[union-attr]
    rows = dict(zip((p["arn"] for p in matrix["principals"]), matrix["cells"], strict=True))  # type: ignore[union-attr]
    allowed = 0
    for principal in sorted(naive.identity)[::6]:
        account = principal.split(":")[4]
        results = qtasks.check_many({principal: naive.policy_set(principal, "", "*")}, names, account=account,
                                    principals={principal: principal})[principal]
        for name, cell in zip(names, rows[principal], strict=True):
            result = results[name]
            assert cell["status"] == ("allowed" if result.allowed else "denied"), (principal, name)
            assert cell["missing_actions"] == list(result.missing_actions)
            allowed += result.allowed
    assert allowed > 0


def test_answers_are_the_same_whether_the_asker_keeps_its_sets_or_not() -> None:
    inventory = load([EXAMPLE])
    catalog = load_catalog()
    rng = random.Random(5)
    principals = sorted(inventory.principals.values(), key=lambda p: p.arn)
    actions = [a.action for a in catalog.expand("s3:*")] + [a.action for a in catalog.expand("iam:*")]
    resources = ["*", *sorted(inventory.resources), *sorted(inventory.principals)[:20]]
    questions = [(rng.choice(principals), rng.choice(actions), rng.choice(resources)) for _ in range(2000)]
    kept = Asker(inventory, environment=Environment(time=TIME)).ask(questions)
    fresh = Asker(inventory, environment=Environment(time=TIME)).ask(questions, keep=False)
    assert [(a.status, a.result and a.result.to_dict()) for a in kept] == \
        [(a.status, a.result and a.result.to_dict()) for a in fresh]
    assert {a.status for a in kept} >= {"allowed", "denied"}
