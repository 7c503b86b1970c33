"""Assume-role chains: who reaches a permission by assuming roles, shortest chain first, within a depth,
through a hand-built cycle."""

from __future__ import annotations

import json
import pathlib
from typing import Any

from qiam.inventory import load
from qiam.queries import Asker, chains_to

ACCOUNT = "111122223333"
ARN = f"arn:aws:iam::{ACCOUNT}"


def _trust(*principals: str, **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def _may(*actions: str, resource: str = "*") -> list[dict[str, Any]]:
    return [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": resource}]}}]


def _role(name: str, trust: dict[str, Any], inline: list[dict[str, Any]]) -> dict[str, Any]:
    return {"RoleName": name, "Arn": f"{ARN}:role/{name}", "Path": "/", "AssumeRolePolicyDocument": trust,
            "RolePolicyList": inline, "AttachedManagedPolicies": []}


def _inventory(tmp_path: pathlib.Path) -> Asker:
    # alice -> A; A <-> B (a cycle); B -> C; C may read the bucket. D trusts alice but asks for an external id.
    assume = _may("sts:AssumeRole", resource=f"{ARN}:role/*")
    details = {
        "UserDetailList": [{"UserName": "alice", "Arn": f"{ARN}:user/alice", "UserPolicyList": assume,
                            "GroupList": [], "AttachedManagedPolicies": []},
                           {"UserName": "bob", "Arn": f"{ARN}:user/bob", "UserPolicyList": [], "GroupList": [],
                            "AttachedManagedPolicies": []}],
        "RoleDetailList": [
            _role("A", _trust(f"{ARN}:user/alice", f"{ARN}:role/B"), assume),
            _role("B", _trust(f"{ARN}:role/A"), assume),
            _role("C", _trust(f"{ARN}:role/B", f"{ARN}:user/bob"), _may("s3:GetObject")),
            _role("D", _trust(f"{ARN}:user/alice", StringEquals={"sts:ExternalId": "x"}), _may("s3:GetObject")),
        ]}
    (tmp_path / "iam.json").write_text(json.dumps(details))
    return Asker(load([tmp_path]))


def test_the_shortest_chain_through_a_cycle(tmp_path: pathlib.Path) -> None:
    asker = _inventory(tmp_path)
    answers = asker.who_can("s3:GetObject", "arn:aws:s3:::b/k")
    assert {a.principal.arn for a in answers if a.allowed} == {f"{ARN}:role/C", f"{ARN}:role/D"}
    chains = {c.principal.arn: c.roles for c in chains_to(asker, answers, depth=3)}
    # bob may assume C by its trust policy alone (the trust policy names him: same account).
    assert chains == {f"{ARN}:user/bob": (f"{ARN}:role/C",), f"{ARN}:role/B": (f"{ARN}:role/C",),
                      f"{ARN}:role/A": (f"{ARN}:role/B", f"{ARN}:role/C"),
                      f"{ARN}:user/alice": (f"{ARN}:role/A", f"{ARN}:role/B", f"{ARN}:role/C")}
    ordered = [c.principal.arn for c in chains_to(asker, answers, depth=3)]
    assert ordered == [f"{ARN}:role/B", f"{ARN}:user/bob", f"{ARN}:role/A", f"{ARN}:user/alice"]


def test_the_depth_bounds_the_chains(tmp_path: pathlib.Path) -> None:
    asker = _inventory(tmp_path)
    answers = asker.who_can("s3:GetObject", "arn:aws:s3:::b/k")
    assert f"{ARN}:user/alice" not in {c.principal.arn for c in chains_to(asker, answers, depth=2)}
    assert {c.principal.arn for c in chains_to(asker, answers, depth=1)} == {f"{ARN}:user/bob", f"{ARN}:role/B"}


def test_a_trust_condition_the_request_does_not_meet_is_no_edge(tmp_path: pathlib.Path) -> None:
    asker = _inventory(tmp_path)
    reached = asker.reachable("alice", depth=5)
    assert f"{ARN}:role/D" not in reached  # sts:ExternalId is not supplied
    assert reached == {f"{ARN}:role/A": (f"{ARN}:role/A",), f"{ARN}:role/B": (f"{ARN}:role/A", f"{ARN}:role/B"),
                       f"{ARN}:role/C": (f"{ARN}:role/A", f"{ARN}:role/B", f"{ARN}:role/C")}
