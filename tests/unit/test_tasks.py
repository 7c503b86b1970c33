"""The task layer: the Amazon Q Developer administrator tasks against the page's and AWS's policies."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

import qiam
from qiam import tasks
from qiam.cli import main
from tests.conftest import shared_path

DATA = files("qiam") / "data"
TASKS = ["subscription-console", "developer-console", "developer-console-legacy", "customizations",
         "transform-connector", "plugins", "multi-network-migration"]
OWN_POLICY = {
    "subscription-console": "q-subscription-console.json",
    "developer-console": "q-developer-console.json",
    "developer-console-legacy": "q-developer-console-legacy-codewhisperer.json",
    "customizations": "q-customizations.json",
    "transform-connector": "q-transform-connector-request.json",
    "plugins": "q-plugins.json",
    "multi-network-migration": "mgn-multi-network-migration.json",
}
# What PowerUserAccess lacks, task by task: its IAM and Organizations actions.
POWER_USER_MISSING = {
    "subscription-console": {"organizations:ListAWSServiceAccessForOrganization",
                             "organizations:DisableAWSServiceAccess", "organizations:EnableAWSServiceAccess"},
    "developer-console": {"organizations:DescribeAccount"},
    "developer-console-legacy": {"organizations:DescribeAccount"},
    "customizations": set(),
    "transform-connector": {"iam:CreatePolicy", "iam:CreateRole", "iam:AttachRolePolicy", "iam:PassRole"},
    "plugins": {"iam:CreateRole", "iam:PassRole"},
    "multi-network-migration": set(),
}


def seed(name: str) -> bytes:
    return (DATA / "seed" / name).read_bytes()


def managed(name: str) -> bytes:
    return (DATA / "managed" / f"{name}.json").read_bytes()


@pytest.fixture(scope="module")
def matrix() -> dict[str, dict[str, tasks.TaskResult]]:
    sets: dict[str, Any] = {name: [seed(name)] for name in OWN_POLICY.values()}
    for name in ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess"):
        sets[name] = [managed(name)]
    return tasks.check_many(sets)


def test_tasks_catalog_holds_the_seven_tasks_of_the_page() -> None:
    catalog = tasks.TaskCatalog.bundled()
    assert list(catalog) == TASKS
    for name in TASKS:
        task = catalog.task(name)
        assert task.title and task.section and task.policy == OWN_POLICY[name]
        assert task.requirements


def test_tasks_bundled_policies_match_the_shared_corpus() -> None:
    for name in OWN_POLICY.values():
        assert seed(name) == shared_path("corpus", "seed", name).read_bytes()
    for name in ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "AmazonQDeveloperAccess",
                 "AmazonQFullAccess"):
        assert managed(name) == shared_path("corpus", "aws-managed", f"{name}.json").read_bytes()


@pytest.mark.parametrize("task", TASKS)
def test_tasks_each_page_policy_allows_its_own_task(matrix: Any, task: str) -> None:
    result = matrix[OWN_POLICY[task]][task]
    assert result.allowed, result.missing_actions


def test_tasks_administrator_access_allows_all_seven(matrix: Any) -> None:
    assert all(result.allowed for result in matrix["AdministratorAccess"].values())


def test_tasks_read_only_access_allows_none(matrix: Any) -> None:
    assert not any(result.allowed for result in matrix["ReadOnlyAccess"].values())


@pytest.mark.parametrize("task", TASKS)
def test_tasks_power_user_access_lacks_iam_and_organizations(matrix: Any, task: str) -> None:
    result = matrix["PowerUserAccess"][task]
    assert set(result.missing_actions) == POWER_USER_MISSING[task]
    assert result.allowed is not POWER_USER_MISSING[task]


def test_tasks_page_policies_do_not_allow_unrelated_tasks(matrix: Any) -> None:
    assert not matrix["q-plugins.json"]["subscription-console"].allowed
    assert not matrix["q-customizations.json"]["multi-network-migration"].allowed


def test_tasks_wildcards_stand_for_the_real_actions() -> None:
    task = tasks.TaskCatalog.bundled().task("developer-console")
    keys = [r for r in task.requirements if r.action.startswith("kms:GenerateDataKey")]
    assert sorted(r.action for r in keys) == ["kms:GenerateDataKey", "kms:GenerateDataKeyPair",
                                              "kms:GenerateDataKeyPairWithoutPlaintext",
                                              "kms:GenerateDataKeyWithoutPlaintext"]
    assert all(r.resource.startswith("arn:aws:kms:us-east-1:111122223333:key/") for r in keys)
    assert all(r.resource_policy == "default-kms-key-policy" for r in keys)


def test_tasks_unknown_actions_are_left_out_and_reported() -> None:
    task = tasks.TaskCatalog.bundled().task("customizations")
    assert [d.written for d in task.dropped] == ["codeconnections:ListOwners", "codeconnections:ListRepositories"]
    assert all("not an action" in d.reason for d in task.dropped)
    assert not any(r.action in ("codeconnections:ListOwners", "codeconnections:ListRepositories")
                   for r in task.requirements)


def test_tasks_requirements_carry_the_context_of_the_real_call() -> None:
    catalog = tasks.TaskCatalog.bundled()
    pass_role = [r for r in catalog.task("plugins").requirements if r.action == "iam:PassRole"]
    assert [dict(r.context) for r in pass_role] == [{"iam:PassedToService": "q.amazonaws.com"}]
    use = [r for r in catalog.task("customizations").requirements if r.action == "codeconnections:UseConnection"]
    assert sorted(v for r in use for v in r.context.values()) == ["GitPull", "ListOwners", "ListRepositories"]
    creates = [r for r in catalog.task("multi-network-migration").requirements
               if "aws:RequestTag/CreatedBy" in r.context]
    assert {r.action for r in creates} >= {"ec2:CreateSecurityGroup", "ec2:CreateNetworkInterface",
                                            "ec2:CreateTags"}
    assert all(r.context["aws:RequestTag/CreatedBy"] == "AWSApplicationMigrationService" for r in creates)


def test_tasks_requirements_follow_account_region_and_partition() -> None:
    task = tasks.TaskCatalog.bundled().task("plugins", account="444455556666", region="eu-west-1",
                                            partition="aws-cn")
    secret = next(r for r in task.requirements if r.action == "secretsmanager:CreateSecret")
    # Every secret of the account and region: the requirement names no invented secret.
    assert secret.resource == "arn:aws-cn:secretsmanager:eu-west-1:444455556666:secret:*"
    assert secret.pattern and secret.grant == "arn:aws-cn:secretsmanager:eu-west-1:444455556666:secret:*"


@pytest.mark.parametrize("policy", ["PowerUserAccess", "ReadOnlyAccess", "q-plugins.json", "q-customizations.json"])
def test_tasks_suggested_statements_make_the_task_pass(policy: str) -> None:
    document = managed(policy) if not policy.endswith(".json") else seed(policy)
    for task in TASKS:
        before = tasks.check([document], task)
        if before.allowed:
            assert before.suggestion() is None
            continue
        suggestion = before.suggestion()
        assert suggestion is not None and not before.blocked
        after = tasks.check([document, suggestion], task)
        assert after.allowed, (policy, task, after.missing_actions)
        # Smallest: every suggested statement is needed.
        for i in range(len(suggestion["Statement"])):
            fewer = dict(suggestion, Statement=suggestion["Statement"][:i] + suggestion["Statement"][i + 1:])
            if fewer["Statement"]:
                assert not tasks.check([document, fewer], task).allowed


def test_tasks_explicit_deny_blocks_and_is_not_suggested_away() -> None:
    deny = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "NoSecrets", "Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*"}]}
    result = tasks.check([deny], "plugins")
    assert not result.allowed
    assert [r.requirement.action for r in result.blocked] == ["secretsmanager:CreateSecret"]
    [blocker] = result.blockers
    assert isinstance(blocker, qiam.StatementRef) and blocker.sid == "NoSecrets"
    assert result.suggestion() is None


def test_tasks_boundary_and_scp_block() -> None:
    admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    only_q = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "q:*", "Resource": "*"}]}
    bounded = qiam.compile_policies([admin], boundary=only_q)
    result = tasks.check(bounded, "plugins")
    assert not result.allowed
    assert "boundary" in result.blockers
    assert {r.requirement.action for r in result.blocked} == {"iam:CreateRole", "iam:PassRole",
                                                              "secretsmanager:CreateSecret"}
    fenced = qiam.compile_policies([admin], scps=[[admin], [only_q]])
    result = tasks.check(fenced, "plugins")
    assert "scp[1]" in result.blockers


def test_tasks_placeholders_are_filled_with_account_and_region() -> None:
    raw = json.loads(seed("mgn-multi-network-migration.json"))
    assert tasks.has_placeholders(raw)
    filled = tasks.fill_placeholders(raw, account="444455556666", region="eu-west-1")
    assert not tasks.has_placeholders(filled)
    assert filled["Statement"][0]["Resource"] == ["arn:aws:ec2:eu-west-1:444455556666:vpc/*"]
    assert raw["Statement"][0]["Resource"] == ["arn:aws:ec2:region:account-id:vpc/*"]  # not changed
    transform = json.loads(seed("q-transform-connector-request.json"))
    assert "444455556666" in json.dumps(tasks.fill_placeholders(transform, account="444455556666", region="x"))
    result = tasks.check([seed("mgn-multi-network-migration.json")], "multi-network-migration",
                         account="444455556666", region="eu-west-1")
    assert result.allowed


def test_tasks_validate_warns_about_placeholders() -> None:
    report = qiam.validate_policy(qiam.parse_policy(seed("mgn-multi-network-migration.json")))
    found = [d for d in report.diagnostics if d.code == "placeholder-in-arn"]
    assert {d.location.pointer for d in found} >= {"/Statement/0/Resource/0"}
    assert any("`region`" in d.message for d in found) and any("`account-id`" in d.message for d in found)
    transform = qiam.validate_policy(qiam.parse_policy(seed("q-transform-connector-request.json")))
    assert any("documentation example account" in d.message for d in transform.diagnostics)
    clean = qiam.validate_policy(qiam.parse_policy(seed("q-plugins.json")))
    assert not [d for d in clean.diagnostics if d.code == "placeholder-in-arn"]


def test_tasks_bulk_compiles_each_policy_once() -> None:
    checker = tasks.Checker()
    shared = [seed("q-plugins.json")]
    results = checker.check_many({"a": shared, "b": shared, "c": [shared[0], managed("PowerUserAccess")]},
                                 ["plugins", "customizations"])
    assert len(checker._compiled) == 2
    assert results["a"]["plugins"].allowed and results["b"]["plugins"].allowed
    assert results["c"]["customizations"].allowed  # PowerUserAccess holds what customizations need
    assert not results["a"]["customizations"].allowed


def _catalog_file(tmp_path: Path) -> Path:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"format": 1, "names": {"bucket": "reports"}, "tasks": [{
        "name": "read-reports", "title": "Read the reports bucket",
        "requirements": ["s3:ListBucket on arn:${partition}:s3:::${bucket}",
                         "s3:GetObject on arn:${partition}:s3:::${bucket}/q1.csv with aws:SecureTransport=true"],
    }]}))
    return path


def test_tasks_users_catalogs_add_tasks(tmp_path: Path) -> None:
    catalog = tasks.TaskCatalog.bundled().merged(tasks.TaskCatalog.from_path(_catalog_file(tmp_path)))
    assert "read-reports" in catalog and "plugins" in catalog
    task = catalog.task("read-reports")
    assert [(r.action, r.resource) for r in task.requirements] == [
        ("s3:ListBucket", "arn:aws:s3:::reports"), ("s3:GetObject", "arn:aws:s3:::reports/q1.csv")]
    reader = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                      "Resource": "arn:aws:s3:::reports*"}]}
    assert tasks.check([reader], "read-reports", catalog=catalog).allowed


def test_tasks_bad_catalogs_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": 1, "tasks": [{"name": "x", "requirements": ["s3:GetObject on ${nope}"]}]}))
    with pytest.raises(tasks.TaskCatalogError, match="nope"):
        tasks.TaskCatalog.from_path(bad).task("x")
    bad.write_text("{}")
    with pytest.raises(tasks.TaskCatalogError):
        tasks.TaskCatalog.from_path(bad)
    with pytest.raises(tasks.TaskCatalogError, match="no task"):
        tasks.TaskCatalog.bundled().task("nope")


def test_tasks_command_prints_the_matrix(capsys: Any) -> None:
    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    cells = ("allowed",) + tuple(f"-{n}" for n in range(1, 100))
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()
            if len(line.split()) == 8 and all(c in cells for c in line.split()[1:])}
    assert len(rows) == 12
    assert rows["AdministratorAccess"] == ["allowed"] * 7
    assert "allowed" not in rows["ReadOnlyAccess"]
    for i, task in enumerate(TASKS):
        assert rows[OWN_POLICY[task]][i] == "allowed"
    power = dict(zip(TASKS, rows["PowerUserAccess"], strict=True))
    assert power["customizations"] == "allowed" and power["plugins"] == "-2"
    assert "PowerUserAccess / plugins: missing iam:CreateRole, iam:PassRole" in out
    assert "PowerUserAccess / subscription-console: missing organizations:" in out
    assert "Left out of the requirements: codeconnections:ListOwners" in out
    assert "q-subscription-console.txt:1:1923" in out
    assert "qiam tasks -p my-policy.json" in out


def test_tasks_command_on_own_policies(capsys: Any, tmp_path: Path) -> None:
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["q:*", "iam:CreateRole", "secretsmanager:CreateSecret"], "Resource": "*"}]}))
    assert main(["tasks", "-p", str(mine), "--task", "plugins"]) == 1
    out = capsys.readouterr().out
    assert "plugins: NOT allowed" in out and "iam:PassRole on arn:aws:iam::111122223333:role/*" in out
    assert '"iam:PassedToService": "q.amazonaws.com"' in out
    assert main(["tasks", "--json", "-p", str(mine), "--task", "plugins", "--account", "444455556666"]) == 1
    data = json.loads(capsys.readouterr().out)
    [result] = data["results"]
    assert result["missing_actions"] == ["iam:PassRole"]
    assert result["suggestion"]["Statement"][0]["Resource"] == "arn:aws:iam::444455556666:role/*"
    assert main(["tasks", "-p", str(shared_path("corpus", "seed", "q-plugins.json")), "--task", "plugins"]) == 0


def test_tasks_command_with_a_users_catalog_and_errors(capsys: Any, tmp_path: Path) -> None:
    path = _catalog_file(tmp_path)
    assert main(["tasks", "--catalog", str(path), "--list", "--task", "read-reports"]) == 0
    assert "s3:GetObject on arn:aws:s3:::reports/q1.csv with aws:SecureTransport=true" in capsys.readouterr().out
    assert main(["tasks", "--task", "nope"]) == 2
    assert main(["tasks", "-p", str(tmp_path / "missing.json")]) == 2
