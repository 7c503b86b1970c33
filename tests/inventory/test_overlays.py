"""What-if overlays: applied in memory, over what the files say, and marked in the answers."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from typing import Any

import pytest

from qiam.inventory import InventoryError, load
from qiam.queries import Asker

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "inventory"
ACCOUNT = "111122223333"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0f2c6a1e-5d3b-4c8e-9a7f-1b2c3d4e5f60"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
PIPELINE = f"arn:aws:iam::{ACCOUNT}:role/service-role/DataPipeline"
DECRYPT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}


def _write(tmp_path: pathlib.Path, overlay: dict[str, Any]) -> pathlib.Path:
    path = tmp_path / "overlay.json"
    path.write_text(json.dumps({"format": "qiam-overlay/1", **overlay}))
    return path


def _decrypters(inventory: Any) -> set[str]:
    return {a.principal.arn for a in Asker(inventory).who_can("kms:Decrypt", KEY) if a.allowed}


def test_an_overlay_adds_and_removes_a_principals_policies(tmp_path: pathlib.Path) -> None:
    overlay = _write(tmp_path, {"principals": {BOB: {"inline": {"decrypt": DECRYPT}},
                                               PIPELINE: {"inline": {"reports": None}}}})
    files = {p: p.read_bytes() for p in EXAMPLE.iterdir()}
    before = _decrypters(load([EXAMPLE]))
    after = _decrypters(load([EXAMPLE], overlays=[overlay]))
    assert after == (before | {BOB}) - {PIPELINE} and BOB not in before and PIPELINE in before
    assert {p: p.read_bytes() for p in EXAMPLE.iterdir()} == files  # nothing on disk changes


def test_an_overlay_changes_a_managed_policy_an_scp_and_a_resource_policy(tmp_path: pathlib.Path) -> None:
    qadmin = f"arn:aws:iam::{ACCOUNT}:role/QAdmin"
    deny_kms = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:*", "Resource": "*"}]}
    overlay = _write(tmp_path, {"organization_policies": {"p-noleave": deny_kms},
                                "resources": {KEY: None}})
    inventory = load([EXAMPLE], overlays=[overlay])
    assert _decrypters(inventory) == set()  # an SCP above the account denies, and the key has no policy now
    admin_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    overlay = _write(tmp_path, {"managed_policies": {f"arn:aws:iam::{ACCOUNT}:policy/QDeveloperAdmin": admin_all}})
    answer = Asker(load([EXAMPLE], overlays=[overlay])).ask(
        [(load([EXAMPLE]).principals[qadmin], "ec2:RunInstances", "*")])[0]
    assert answer.allowed


@pytest.mark.parametrize("overlay, message", [
    ({"principals": {"arn:aws:iam::111122223333:user/nobody": {}}}, "not a principal of the inventory"),
    ({"organization_policies": {"p-nothing": DECRYPT}}, "not a policy of the organisation"),
    ({"surprise": {}}, "unknown member"),
    ({"principals": {BOB: {"attach": "not a list"}}}, "lists of managed policy ARNs"),
])
def test_an_overlay_that_cannot_apply_is_an_error(tmp_path: pathlib.Path, overlay: dict[str, Any],
                                                  message: str) -> None:
    with pytest.raises(InventoryError, match=message) as caught:
        load([EXAMPLE], overlays=[_write(tmp_path, overlay)])
    assert caught.value.code == "invalid-overlay"


def test_the_commands_mark_what_the_overlay_changed(tmp_path: pathlib.Path) -> None:
    overlay = _write(tmp_path, {"principals": {BOB: {"inline": {"decrypt": DECRYPT}},
                                               PIPELINE: {"inline": {"reports": None}}}})

    def run(*words: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "qiam", *words, "--inventory", str(EXAMPLE), "--overlay",
                               str(overlay)], capture_output=True, text=True, cwd=ROOT, timeout=120)

    who = json.loads(run("who-can", "kms:Decrypt", "on", KEY, "--json").stdout)
    marks = {a["principal"]: a.get("overlay") for a in who["answers"]}
    assert marks[BOB] == "newly allowed" and marks[PIPELINE] == "no longer allowed"
    check = run("check", f"kms:Decrypt on {KEY} as bob")
    assert check.returncode == 0 and "[overlay: changed from implicitDeny]" in check.stdout
    tasks = run("tasks", "--task", "plugins")
    assert tasks.returncode == 1 and "Traceback" not in tasks.stderr
