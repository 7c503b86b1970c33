"""What fuzz/fuzz_inventory.py found in loading (fuzz/findings/README.md), as test cases."""

from __future__ import annotations

import pathlib

import orjson
import pytest

from qiam.inventory import load
from qiam.queries import Asker


def test_a_file_that_is_not_utf8_is_unreadable_and_its_diagnostic_renders(tmp_path: pathlib.Path) -> None:
    # not-utf8: the diagnostic pointed into text that does not decode, and rendering it raised.
    path = tmp_path / "iam.json"
    path.write_bytes(b'{"UserDetailList": [{"UserName": "Jos\xe9", "Arn": "arn:aws:iam::111122223333:user/jose"}]}')
    inventory = load([path])
    (diagnostic,) = inventory.diagnostics
    assert diagnostic.code == "inventory-unreadable"
    rendered = diagnostic.to_dict()
    assert rendered["code"] == "inventory-unreadable" and rendered["line"] is None
    assert str(path) in str(diagnostic)
    assert inventory.principals == {}


def test_utf8_text_that_is_not_json_keeps_its_line_and_column(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "iam.json"
    path.write_text('{"UserDetailList": [é')
    (diagnostic,) = load([path]).diagnostics
    assert diagnostic.code == "inventory-unreadable"
    assert (diagnostic.location.line, diagnostic.location.column) == (1, 1)


_AUTHZ = {
    "UserDetailList": [{"UserName": "carol", "Arn": "arn:aws:iam::444455556666:user/carol", "Path": "/",
                        "UserPolicyList": [{"PolicyName": "assume", "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}}],
                        "GroupList": [], "AttachedManagedPolicies": [], "Tags": []}],
    "RoleDetailList": [{"RoleName": "Worker", "Arn": "arn:aws:iam::111122223333:role/Worker", "Path": "/",
                        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                             "Action": "sts:AssumeRole"}]},
                        "RolePolicyList": [], "AttachedManagedPolicies": [], "Tags": []}],
}


@pytest.mark.parametrize("document", ['"{not json"', None])
def test_an_rcp_that_did_not_load_over_a_role_breaks_assuming_it_from_another_account(
        tmp_path: pathlib.Path, document: str | None) -> None:
    # rcp-over-a-role: the RCP above the role's account did not read (or is not defined), and a principal
    # of another account was allowed to assume the role without it. Nothing that did not load grants.
    policies = ('{"p-perimeter": {"type": "RESOURCE_CONTROL_POLICY", "name": "DataPerimeter", "document": '
                f'{document}}}}}' if document else "{}")
    (tmp_path / "org.json").write_text(
        '{"format": "qiam-organization/1", "id": "o-exampleorg1", "management_account": "999988887777", '
        f'"policy_types": ["RESOURCE_CONTROL_POLICY"], "policies": {policies}, '
        '"root": {"id": "r-ex01", "policies": ["p-perimeter"], "children": [{"account": "111122223333"}]}}')
    (tmp_path / "iam.json").write_bytes(orjson.dumps(_AUTHZ))
    inventory = load([tmp_path / "org.json", tmp_path / "iam.json"])
    asker = Asker(inventory)
    carol = asker.principal("arn:aws:iam::444455556666:user/carol")
    (answer,) = asker.ask([(carol, "sts:AssumeRole", "arn:aws:iam::111122223333:role/Worker")])
    assert answer.status == "broken" and not answer.allowed
    assert answer.broken and answer.broken[0].code in {"inventory-bad-policy", "inventory-dangling-policy"}


@pytest.mark.parametrize("entry", ["111122223333:root", "arn:aws:iam!x:root", "iam::111122223333:root"])
def test_a_trust_policy_naming_a_short_root_names_nobody_and_does_not_crash(tmp_path: pathlib.Path,
                                                                           entry: str) -> None:
    # short-root: `ACCOUNT:root` (fewer than six fields) made reaching roles raise IndexError.
    authz = orjson.loads(orjson.dumps(_AUTHZ))
    authz["RoleDetailList"][0]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] = entry
    (tmp_path / "iam.json").write_bytes(orjson.dumps(authz))
    asker = Asker(load([tmp_path / "iam.json"]))
    assert asker.reachable("arn:aws:iam::444455556666:user/carol") == {}
