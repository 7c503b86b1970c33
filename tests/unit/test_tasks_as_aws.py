"""The main job as AWS would answer it: the request context AWS supplies, resources as "every resource of
the type", every policy type, and advice that never suggests an Allow that would not help."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

import qiam
from qiam import tasks
from qiam.catalog import load_catalog
from qiam.cli import main

DATA = files("qiam") / "data"
Q_ADMIN = "arn:aws:sts::111122223333:assumed-role/QAdmin/me"
OTHER = "arn:aws:sts::111122223333:assumed-role/Developer/me"
ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
REGION_LOCK = {"Version": "2012-10-17", "Statement": [ALLOW_ALL, {
    "Sid": "DenyOutsideEU", "Effect": "Deny",
    "NotAction": ["iam:*", "organizations:*", "sts:*", "sso:*", "sso-directory:*", "signin:*"],
    "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}}]}
ONLY_Q_ADMIN = {"Version": "2012-10-17", "Statement": [ALLOW_ALL, {
    "Sid": "OnlyQAdmin", "Effect": "Deny", "Action": ["q:*", "codewhisperer:*"], "Resource": "*",
    "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/QAdmin"}}}]}
INVENTED = re.compile(r"example-|1234567890abcdef|QPROFILE1|AbCdEf|0a1b2c3d|QPluginRole|qiam-task-check")


def seed(name: str) -> bytes:
    return (DATA / "seed" / name).read_bytes()


def q_admin(scp: dict[str, Any]) -> qiam.PolicySet:
    return qiam.compile_policies([seed("q-plugins.json")], scps=[[scp]])


# ----- the context AWS supplies -----

def test_region_lock_scp_allows_inside_and_blocks_outside() -> None:
    inside = tasks.check(q_admin(REGION_LOCK), "plugins", region="eu-west-1", principal=Q_ADMIN)
    assert inside.allowed
    outside = tasks.check(q_admin(REGION_LOCK), "plugins", region="us-west-2", principal=Q_ADMIN)
    assert not outside.allowed and not outside.missing and outside.suggestion() is None
    [blocker] = outside.blockers
    assert isinstance(blocker, qiam.StatementRef) and blocker.policy == "scp[0][0]" and blocker.sid == "DenyOutsideEU"


def test_principal_arn_exemption_scp_follows_the_role_of_the_session() -> None:
    assert tasks.check(q_admin(ONLY_Q_ADMIN), "plugins", principal=Q_ADMIN).allowed
    refused = tasks.check(q_admin(ONLY_Q_ADMIN), "plugins", principal=OTHER)
    assert not refused.allowed
    assert {b.sid for b in refused.blockers if isinstance(b, qiam.StatementRef)} == {"OnlyQAdmin"}
    # Without a principal the decision needs aws:PrincipalArn, and says so.
    unknown = tasks.check(q_admin(ONLY_Q_ADMIN), "plugins")
    assert not unknown.allowed and "aws:PrincipalArn" in unknown.missing_context_keys


def test_without_derived_context_the_region_lock_fires_as_before() -> None:
    bare = tasks.check(q_admin(REGION_LOCK), "plugins", region="eu-west-1", principal=Q_ADMIN,
                       derive_context=False)
    assert not bare.allowed


@pytest.fixture()
def files_(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, document in (("region", REGION_LOCK), ("only", ONLY_Q_ADMIN)):
        out[name] = tmp_path / f"{name}.json"
        out[name].write_text(json.dumps(document))
    out["plugins"] = tmp_path / "q-plugins.json"
    out["plugins"].write_bytes(seed("q-plugins.json"))
    return out


def test_tasks_command_region_and_principal(capsys: Any, files_: dict[str, Path]) -> None:
    p, region, only = str(files_["plugins"]), str(files_["region"]), str(files_["only"])
    assert main(["tasks", "-p", p, "--scp", region, "--task", "plugins", "--region", "eu-west-1"]) == 0
    assert "plugins: allowed" in capsys.readouterr().out
    assert main(["tasks", "-p", p, "--scp", region, "--task", "plugins", "--region", "us-west-2"]) == 1
    out = capsys.readouterr().out
    assert "plugins: NOT allowed, blocked by scp[0][0] statement 1 (DenyOutsideEU) at" in out
    assert "an Allow would grant" not in out
    assert main(["tasks", "-p", p, "--scp", only, "--task", "plugins", "--principal", Q_ADMIN]) == 0
    capsys.readouterr()
    assert main(["tasks", "-p", p, "--scp", only, "--task", "plugins", "--principal", OTHER, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    [result] = data["results"]
    assert result["blockers"][0]["sid"] == "OnlyQAdmin" and result["suggestion"] is None
    derived = result["requirements"][0]["derived"]
    assert derived["aws:principalarn"] == "arn:aws:iam::111122223333:role/Developer"


def test_check_command_role_session(capsys: Any, files_: dict[str, Path]) -> None:
    p, region, only = str(files_["plugins"]), str(files_["region"]), str(files_["only"])
    assert main(["check", "-p", p, "--scp", only, f"q:CreatePlugin on * as {Q_ADMIN}"]) == 0
    assert main(["check", "-p", p, "--scp", only, f"q:CreatePlugin on * as {OTHER}"]) == 1
    assert "OnlyQAdmin" in capsys.readouterr().out
    assert main(["check", "-p", p, "--scp", region, "--region", "eu-west-1", f"q:CreatePlugin on * as {Q_ADMIN}"]) == 0
    assert main(["check", "-p", p, "--scp", region, f"q:CreatePlugin on * as {Q_ADMIN}"]) == 1
    assert main(["check", "-p", p, "--scp", region, "--no-derived-context", "--context",
                 "aws:RequestedRegion=eu-central-1", f"q:CreatePlugin on * as {Q_ADMIN}"]) == 0


def test_check_as_user_sets_username_and_resource_account(capsys: Any) -> None:
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*",
        "Condition": {"StringEquals": {"aws:ResourceAccount": "444455556666"}}}]})
    user = "arn:aws:iam::444455556666:user/alice"
    assert main(["check", "-p", policy, "--resource-account", "444455556666",
                 f"s3:GetObject on arn:aws:s3:::b/alice/k as {user}"]) == 0
    assert main(["check", "-p", policy, "--resource-account", "111122223333",
                 f"s3:GetObject on arn:aws:s3:::b/alice/k as {user}"]) == 1
    assert main(["check", "--json", "-p", policy, "--resource-account", "444455556666",
                 f"s3:GetObject on arn:aws:s3:::b/bob/k as {user}"]) == 1
    capsys.readouterr()
    assert main(["check", "-p", policy, "--resource-account", "abc", "s3:GetObject on arn:aws:s3:::b/k"]) == 2


def test_missing_context_keys_are_reported(capsys: Any) -> None:
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}
    result = tasks.check([policy], "plugins")
    assert not result.allowed and result.missing_context_keys == ("aws:SourceIp",)
    assert tasks.check([policy], "plugins", context={"aws:SourceIp": "10.1.2.3"}).allowed
    assert "aws:SourceIp" in result.to_dict()["missing_context_keys"]


# ----- every resource of the type -----

def _moved_subscription_policy() -> dict[str, Any]:
    """The page's subscription-console policy with every sso: action that has a resource type moved into a
    statement on the account's applications and the instances.

    ``sso:CreateApplication`` requires a third resource type, the application provider (AWS's service
    authorization reference marks ApplicationProvider as required), so the statement names it too: without
    it, the task is exactly not allowed.
    """
    document = json.loads(seed("q-subscription-console.json"))
    catalog = load_catalog()
    moved: list[str] = []
    for statement in document["Statement"]:
        keep = []
        for action in statement["Action"]:
            info = catalog.action(action)
            (moved if action.startswith("sso:") and info is not None and info.resource_types else keep).append(action)
        statement["Action"] = keep
    document["Statement"] = [s for s in document["Statement"] if s["Action"]]
    document["Statement"].append({"Sid": "SsoResources", "Effect": "Allow", "Action": sorted(set(moved)),
                                  "Resource": ["arn:aws:sso::111122223333:application/*", "arn:aws:sso:::instance/*",
                                               "arn:aws:sso::aws:applicationProvider/*"]})
    return document


def test_resources_of_a_type_are_decided_exactly() -> None:
    document = _moved_subscription_policy()
    assert tasks.check([document], "subscription-console", account="111122223333").allowed
    other = tasks.check([document], "subscription-console", account="444455556666")
    assert not other.allowed
    sso = [r for r in other.requirements if r.requirement.resource_type and "application/" in r.requirement.resource]
    assert sso and all(r.scope == "none" for r in sso)
    assert all("arn:aws:sso::111122223333:application/*" in r.considered for r in sso)
    data = other.to_dict()
    entry = next(r for r in data["requirements"] if r["action"] == "sso:PutApplicationGrant")
    assert entry["resource"] == "arn:aws:sso::444455556666:application/*/*" and entry["scope"] == "none"
    assert "arn:aws:sso::111122223333:application/*" in entry["considered_patterns"]
    [grant] = [s for s in data["suggestion"]["Statement"] if "sso:PutApplicationGrant" in s["Action"]]
    assert grant["Resource"] == "arn:aws:sso::444455556666:application/*"


def test_without_the_provider_create_application_is_exactly_refused() -> None:
    document = _moved_subscription_policy()
    document["Statement"][-1]["Resource"] = document["Statement"][-1]["Resource"][:2]
    result = tasks.check([document], "subscription-console")
    assert result.missing_actions == ("sso:CreateApplication",)
    [missing] = result.missing
    assert missing.requirement.resource == "arn:aws:sso::aws:applicationProvider/*"


def test_some_resources_names_the_patterns_and_the_carving_deny() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "q:*", "Resource": "*"},
        {"Effect": "Allow", "Action": ["iam:CreateRole", "iam:PassRole", "secretsmanager:CreateSecret"],
         "Resource": "*"},
        {"Sid": "NotProd", "Effect": "Deny", "Action": "secretsmanager:*",
         "Resource": "arn:aws:secretsmanager:*:*:secret:prod-*"}]}
    result = tasks.check([policy], "plugins")
    [secret] = [r for r in result.requirements if r.requirement.action == "secretsmanager:CreateSecret"]
    assert secret.scope == "some" and secret.patterns == ("*",)
    assert [ref.sid for ref in secret.carving] == ["NotProd"]
    assert secret.blocked and result.suggestion() is None


def test_names_make_a_requirement_concrete() -> None:
    task = tasks.TaskCatalog.bundled().task("subscription-console", names={"application": "apl-1",
                                                                           "InstanceId": "ssoins-1"})
    grant = next(r for r in task.requirements if r.action == "sso:PutApplicationGrant")
    assert grant.resource == "arn:aws:sso::111122223333:application/ssoins-1/apl-1" and not grant.pattern
    only = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sso:*",
                                                     "Resource": "arn:aws:sso::111122223333:application/ssoins-1/*"}]}
    checker = tasks.Checker(names={"application": "apl-1", "InstanceId": "ssoins-1"})
    bound = checker.check([only], "subscription-console")
    unbound = tasks.Checker().check([only], "subscription-console")
    r_bound = next(r for r in bound.requirements if r.requirement.action == "sso:PutApplicationGrant")
    r_unbound = next(r for r in unbound.requirements if r.requirement.action == "sso:PutApplicationGrant")
    assert r_bound.allowed and r_unbound.scope == "some"


def test_check_answers_pattern_requests(capsys: Any) -> None:
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sso:*", "Resource": "arn:aws:sso::111122223333:application/*"}]})
    assert main(["check", "-p", policy, "sso:PutApplicationGrant on arn:aws:sso::111122223333:application/*"]) == 0
    assert "allowed on all" in capsys.readouterr().out
    assert main(["check", "-p", policy, "sso:PutApplicationGrant on arn:aws:sso::*:application/*"]) == 1
    assert "allowed on some" in capsys.readouterr().out
    assert main(["check", "-p", policy, "--match", "some",
                 "sso:PutApplicationGrant on arn:aws:sso::*:application/*"]) == 0
    capsys.readouterr()
    assert main(["check", "--json", "-p", policy, "sso:PutApplicationGrant on arn:aws:sso::444455556666:app*"]) == 1
    assert json.loads(capsys.readouterr().out)["scope"] == "none"


# ----- what blocks, and never an Allow that would not help -----

def test_a_key_policy_that_does_not_trust_the_account_blocks(tmp_path: Path, capsys: Any) -> None:
    key_policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "kms:*", "Resource": "*"}]}
    own = tmp_path / "key.json"
    own.write_text(json.dumps(key_policy))
    console = tmp_path / "console.json"
    console.write_bytes(seed("q-developer-console.json"))
    result = tasks.check([seed("q-developer-console.json")], "developer-console",
                         resource_policies={"default-kms-key-policy": key_policy})
    assert not result.allowed and not result.missing and result.suggestion() is None
    assert result.blockers == ("resource_policy_required",)
    assert main(["tasks", "-p", str(console), "--task", "developer-console",
                 "--resource-policy", f"default-kms-key-policy={own}"]) == 1
    out = capsys.readouterr().out
    assert "blocked by the resource policy" in out and "an Allow would grant" not in out
    # Attached by ARN pattern instead of by name: the same answer.
    by_arn = tasks.check([seed("q-developer-console.json")], "developer-console",
                         resource_policies={"arn:aws:kms:us-east-1:111122223333:key/*": key_policy})
    assert by_arn.blockers == ("resource_policy_required",)


def test_boundary_session_and_rcp_block(tmp_path: Path, capsys: Any) -> None:
    only_q = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "q:*", "Resource": "*"}]}
    admin = {"Version": "2012-10-17", "Statement": [ALLOW_ALL]}
    session = tasks.check(qiam.compile_policies([admin], session=[only_q]), "plugins", principal=Q_ADMIN)
    assert "session_policy" in session.blockers and session.suggestion() is None
    rcp = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
        {"Sid": "NoSecrets", "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*"}]}
    fenced = tasks.check(qiam.compile_policies([admin], rcps=[[rcp]]), "plugins")
    assert [b.sid for b in fenced.blockers if isinstance(b, qiam.StatementRef)] == ["NoSecrets"]
    paths = {}
    for name, document in (("admin", admin), ("only", only_q), ("rcp", rcp)):
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(document))
    assert main(["tasks", "-p", str(paths["admin"]), "--boundary", str(paths["only"]), "--task", "plugins",
                 "--principal", Q_ADMIN]) == 1
    assert "the permissions boundary" in capsys.readouterr().out
    assert main(["tasks", "-p", str(paths["admin"]), "--session", str(paths["only"]), "--task", "plugins",
                 "--principal", Q_ADMIN]) == 1
    assert "the session policy" in capsys.readouterr().out
    assert main(["tasks", "-p", str(paths["admin"]), "--rcp", str(paths["rcp"]), "--task", "plugins"]) == 1
    assert "NoSecrets" in capsys.readouterr().out


# ----- no invented names anywhere -----

def test_no_output_of_tasks_holds_an_invented_name(capsys: Any, tmp_path: Path) -> None:
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]}))
    for argv in (["tasks"], ["tasks", "--json"], ["tasks", "--list"], ["tasks", "--list", "--json"],
                 ["tasks", "-p", str(mine)], ["tasks", "-p", str(mine), "--json"]):
        main(argv)
        out = capsys.readouterr().out
        assert not INVENTED.search(out), (argv, INVENTED.search(out))


def test_each_seed_policy_passes_its_task_and_admin_passes_all() -> None:
    own = {"subscription-console": "q-subscription-console.json", "developer-console": "q-developer-console.json",
           "developer-console-legacy": "q-developer-console-legacy-codewhisperer.json",
           "customizations": "q-customizations.json", "transform-connector": "q-transform-connector-request.json",
           "plugins": "q-plugins.json", "multi-network-migration": "mgn-multi-network-migration.json"}
    for task, policy in own.items():
        assert tasks.check([seed(policy)], task).allowed, task
        assert tasks.check([seed(policy)], task, principal=Q_ADMIN, region="eu-west-1").allowed, task
    admin = (DATA / "managed" / "AdministratorAccess.json").read_bytes()
    assert all(tasks.check([admin], t).allowed for t in own)


def test_check_many_goes_through_one_batch_and_takes_principals() -> None:
    sets = {"admin": q_admin(ONLY_Q_ADMIN), "dev": q_admin(ONLY_Q_ADMIN)}
    found = tasks.check_many(sets, ["plugins"], principals={"admin": Q_ADMIN, "dev": OTHER})
    assert found["admin"]["plugins"].allowed and not found["dev"]["plugins"].allowed


def test_batch_lines_derive_and_answer_patterns_only_when_asked() -> None:
    from qiam.batch import BatchRunner

    scp = json.dumps(REGION_LOCK)
    base = {"policies": {"identity": [json.dumps({"Version": "2012-10-17", "Statement": [ALLOW_ALL]})],
                         "scp": [[scp]]},
            "request": {"principal": Q_ADMIN, "action": "q:CreatePlugin", "resource": "*"}}
    runner = BatchRunner()
    assert runner.run_line(json.dumps(base))["decision"] == "explicitDeny"  # exactly as given: no region key
    asked = json.loads(json.dumps(base))
    asked["request"].update(derive_context=True, region="eu-west-1", time="2026-01-01T00:00:00Z")
    out = runner.run_line(json.dumps(asked))
    assert out["decision"] == "allowed" and out["derived"]["aws:requestedregion"] == "eu-west-1"
    assert BatchRunner(derive_context=True).run_line(json.dumps(base))["derived"]["aws:principalarn"] == \
        "arn:aws:iam::111122223333:role/QAdmin"
    pattern = json.loads(json.dumps(base))
    pattern["policies"] = {"identity": [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sso:*", "Resource": "arn:aws:sso::111122223333:application/a*"}]}]}
    pattern["request"].update(action="sso:PutApplicationGrant", resource="arn:aws:sso::111122223333:application/*",
                              resource_match="some")
    out = runner.run_line(json.dumps(pattern))
    assert out["decision"] == "allowed" and out["scope"] == "some"
    pattern["request"]["resource_match"] = "all"
    out = runner.run_line(json.dumps(pattern))
    assert out["decision"] == "implicitDeny" and out["scope"] == "some"


def test_other_account_text_names_the_patterns(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "moved.json"
    path.write_text(json.dumps(_moved_subscription_policy()))
    assert main(["tasks", "-p", str(path), "--task", "subscription-console"]) == 0
    capsys.readouterr()
    assert main(["tasks", "-p", str(path), "--task", "subscription-console", "--account", "444455556666"]) == 1
    out = capsys.readouterr().out
    assert "sso:PutApplicationGrant on arn:aws:sso::444455556666:application/*/*  [allowed on none" in out
    assert "the policies allow it only on: arn:aws:sso::111122223333:application/*" in out
