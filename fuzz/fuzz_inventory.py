#!/usr/bin/env python3
"""Fuzz target: bytes as one inventory file, loaded by ``qiam.inventory.load`` on each engine, then asked.

The bytes are written to a file (``inventory.json``) and loaded beside a fixed
companion (a few principals in the accounts the seeds' organisation and resource
files name), so that an organisation's SCPs and RCPs and a resource's policy bear
on answers. The file may be any of the kinds of docs/inventory.md:
``get-account-authorization-details`` output (merged or raw pages, documents as
objects, JSON text or URL-encoded), ``qiam-organization/1``, ``qiam-resources/1``
(or a template, which ``fuzz_template`` fuzzes).

Rules: loading raises nothing but a ``QiamError`` with a registered code (bad
content is a diagnostic, never an exception); every diagnostic has a registered
code and renders; both engines load the same principals, resources, managed
policies, accounts and diagnostics, and give the same answers (decision, matched
statements with line and column, missing keys, or broken with the same codes) to a
few ``who-can`` and ``can`` questions (``qiam.queries.Asker``) and the same roles
reached by assuming roles; an answer is broken exactly when something broken touches
it; and nothing that did not load is ever allowed: no allowed answer has a principal,
resource or account the loader marked broken, or a policy of its own, of its groups,
its boundary, an SCP or RCP above it, the resource's policy or a role's trust policy
that did not load. Anything else, and any crash, is a finding.

    python fuzz/fuzz_inventory.py -dict=fuzz/dicts/fuzz_inventory.dict fuzz/corpus/fuzz_inventory
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import _common
import atheris
import orjson

with atheris.instrument_imports(include=["qiam"]):
    _common.import_qiam()
    from qiam._impl import using
    from qiam.context import Environment
    from qiam.errors import QiamError
    from qiam.inventory import load

Finding = _common.Finding
ENGINES = _common.engines()
ENVIRONMENT = Environment(region="eu-west-1", time="2026-01-01T12:00:00Z")
# (action, resource): who can, on that resource, or (None) on the first two of the inventory's resources the
# action applies to; the first is also asked of the first principal (`qiam can PRINCIPAL ACTION`).
QUESTIONS: tuple[tuple[str, str | None], ...] = (
    ("sts:AssumeRole", None),
    ("kms:Decrypt", None),
    ("s3:GetObject", "arn:aws:s3:::example-reports/q1.csv"),
    ("sqs:SendMessage", None),
    ("ec2:DescribeInstances", None),  # (no resource type: on `*`)
)
_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt", "sqs:SendMessage", "sts:AssumeRole"],
     "Resource": "*"}]}
# Principals for an organisation or resources file to bear on (a file with a `format`): in an organisation's
# member account (111122223333), outside it (444455556666) and in its management account (999988887777), as
# the seeds' organisation and resource policies name them.
COMPANION = {
    "UserDetailList": [{"UserName": "carol", "Arn": "arn:aws:iam::444455556666:user/carol", "Path": "/",
                        "UserPolicyList": [{"PolicyName": "audit", "PolicyDocument": _POLICY}],
                        "GroupList": [], "AttachedManagedPolicies": [], "Tags": []}],
    "RoleDetailList": [
        {"RoleName": "Worker", "Arn": "arn:aws:iam::111122223333:role/Worker", "Path": "/",
         "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}]},
         "RolePolicyList": [{"PolicyName": "work", "PolicyDocument": _POLICY}], "AttachedManagedPolicies": [],
         "Tags": [{"Key": "team", "Value": "payments"}]},
        {"RoleName": "Steward", "Arn": "arn:aws:iam::999988887777:role/Steward", "Path": "/",
         "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}]},
         "RolePolicyList": [{"PolicyName": "work", "PolicyDocument": _POLICY}], "AttachedManagedPolicies": [],
         "Tags": []}],
}
FOLDER = _common.scratch("fuzz_inventory")
FILE = FOLDER / "inventory.json"
COMPANION_FILE = FOLDER / "companion.json"
COMPANION_FILE.write_bytes(orjson.dumps(COMPANION))


def _outcome(engine: str, files: list[Path]) -> tuple[Any, ...]:
    """What the engine loads and answers (or the coded error loading raised)."""
    with using(engine):
        try:
            inventory = load(files)
        except QiamError as exc:
            return _common.coded(exc)
        except Exception as exc:
            raise Finding(f"{engine}: loading raised {type(exc).__name__}: {exc}") from exc
        return ("loaded", _common.inventory_outcome(inventory, QUESTIONS, ENVIRONMENT, engine == ENGINES[0]))


def TestOneInput(data: bytes) -> None:
    FILE.write_bytes(data)
    files = [FILE, COMPANION_FILE] if b'"format"' in data else [FILE]
    _common.agree("what the engines load and answer", {engine: _outcome(engine, files) for engine in ENGINES})


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
