"""who-can, can, check --inventory and tasks --inventory from the command line: answers, JSON, exit codes,
and coded errors (never a traceback) for what cannot be answered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qiam.cli import main

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = str(ROOT / "examples" / "inventory")
KEY = "arn:aws:kms:eu-west-1:111122223333:key/0f2c6a1e-5d3b-4c8e-9a7f-1b2c3d4e5f60"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out, out.err


def test_who_can_lists_the_principals_allowed_with_their_statements(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "who-can", "kms:Decrypt", "on", KEY, "--inventory", INVENTORY, "--json")
    answer = json.loads(out)
    assert code == 0 and answer["allowed"] == 3 and answer["asked"] == 7
    alice = next(a for a in answer["answers"] if a["principal"].endswith(":user/alice"))
    assert {m["sid"] for m in alice["matched"]} >= {"EnableIAMUserPermissions"}
    code, out, _ = _run(capsys, "who-can", "iam:ListRoles", "--inventory", INVENTORY)
    assert code == 0 and "OrgAdmin" in out


def test_can_groups_by_service_and_access_level(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "can", "QAdmin", "--inventory", INVENTORY, "--json")
    answer = json.loads(out)
    assert code == 0 and "CreatePlugin" not in json.dumps(answer["actions"].get("q", {}).get("List", []))
    assert "q:CreatePlugin" in answer["actions"]["q"]["Write"] and "kms:Decrypt" in answer["actions"]["kms"]["Write"]
    # Granted on named resources only: not on *, but on the inventory's resources it names.
    code, out, _ = _run(capsys, "can", "DataPipeline", "--inventory", INVENTORY, "--json")
    answer = json.loads(out)
    assert code == 0 and "kms" not in answer["actions"]
    assert answer["on_inventory_resources"] == {"kms:Decrypt": [KEY]}
    code, out, _ = _run(capsys, "can", "DataPipeline", "on", "arn:aws:s3:::example-reports/q1.csv",
                        "--inventory", INVENTORY, "--json")
    assert json.loads(out)["actions"]["s3"] == {"Read": ["s3:GetObject"], "Write": ["s3:PutObject"]}
    code, out, _ = _run(capsys, "can", "alice", "sqs:SendMessage", "--inventory", INVENTORY)
    assert code == 1 and "# allowed on 0 of 1 resources" in out


def test_tasks_over_an_inventory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = _run(capsys, "tasks", "--inventory", INVENTORY, "--task", "plugins", "--json")
    matrix = json.loads(out)
    assert code == 1 and matrix["format"] == "qiam-task-matrix/1"
    assert matrix["summary"]["plugins"]["allowed"] == 2
    page = tmp_path / "m.html"
    code, _, err = _run(capsys, "tasks", "--inventory", INVENTORY, "--task", "plugins", "--html", str(page))
    assert page.read_text().startswith("<!DOCTYPE html>") and "wrote" in err


@pytest.mark.parametrize("argv, code", [
    (["who-can", "kms:Nope", "--inventory", INVENTORY], "invalid-query"),
    (["can", "nobody", "--inventory", INVENTORY], "invalid-query"),
    (["can", "alice", "on", "not-an-arn", "--inventory", INVENTORY], "invalid-query"),
    (["who-can", "kms:Decrypt", "at", "x", "--inventory", INVENTORY], "invalid-usage"),
    (["who-can", "kms:Decrypt", "--inventory", "/nonexistent/inventory"], "unreadable-file"),
    (["check", "--inventory", INVENTORY, "s3:GetObject on arn:aws:s3:::b/k"], "invalid-usage"),
    (["check", "--inventory", INVENTORY, "-p", "examples/policy.json", "s3:GetObject as alice"], "invalid-usage"),
    (["tasks", "--html", "x.html"], "invalid-usage"),
])
def test_what_cannot_be_answered_is_a_coded_error(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                  code: str) -> None:
    exit_code, out, _ = _run(capsys, *argv, "--json") if argv[0] != "tasks" else _run(capsys, *argv, "--json")
    assert exit_code == 2
    assert json.loads(out)["error"]["code"] == code


def test_a_broken_principal_is_said_so_by_check(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "iam.json").write_text(json.dumps({"UserDetailList": [
        {"UserName": "eve", "Arn": "arn:aws:iam::111122223333:user/eve", "GroupList": ["gone"]}]}))
    code, out, err = _run(capsys, "check", "--inventory", str(tmp_path), "s3:GetObject as eve")
    assert code == 2 and "inventory-dangling-group" in err
