"""Expectation files: every mistake is an error with the file's line and column; the JSON Schema and the
reader agree on the examples and on the mistakes the schema can see."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

from qiam import expectations
from qiam.iac._yaml import read_yaml
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples" / "ci"
SCHEMA = json.loads((files("qiam") / "data" / "expectations.schema.json").read_text())
TEMPLATE = "../template.yaml"
HEAD = f"""policies:
  templates: [{TEMPLATE}]
parameters:
  AWS::AccountId: "111122223333"
expect:
"""

# (what is wrong, the file, line, column, a piece of the message, whether the schema sees it too)
MISTAKES = [
    ("unknown top-level key", HEAD.replace("parameters:", "paramters:"), 3, 1, "unknown key `paramters`", True),
    ("unknown expectation key", HEAD + "  - principal: DeployRole\n    request: s3:GetObject on *\n"
                                       "    decison: allowed\n", 8, 5, "unknown key `decison`", True),
    ("bad request expression", HEAD + "  - principal: DeployRole\n    request: s3:GetObject onn arn:aws:s3:::b/k\n",
     7, 27, "bad request expression", False),
    ("bad quoted request", HEAD + "  - principal: DeployRole\n    request: 's3:GetObject on arn:aws:s3:::b/k with'\n",
     7, 52, "bad request expression", False),
    ("missing policy file", HEAD.replace(TEMPLATE, "../missing.yaml") + "  - principal: DeployRole\n"
                                                                         "    request: s3:GetObject on *\n",
     2, 15, "no file `../missing.yaml`", False),
    ("unknown principal", HEAD + "  - principal: NoSuchRole\n    request: s3:GetObject on *\n", 6, 16,
     "`NoSuchRole` is not a principal", False),
    ("unknown task", HEAD + "  - principal: QAdminRole\n    task: plugin\n", 7, 11, "`plugin` is not a task", False),
    ("unknown decision", HEAD + "  - principal: DeployRole\n    request: s3:GetObject on *\n    decision: deny\n",
     8, 15, "`decision` is one of", True),
    ("decision and allowed", HEAD + "  - principal: DeployRole\n    request: s3:GetObject on *\n"
                                    "    decision: allowed\n    allowed: true\n", 9, 5, "not both", True),
    ("two forms", HEAD + "  - principal: DeployRole\n    request: s3:GetObject on *\n    task: plugins\n", 6, 5,
     "two forms", True),
    ("no form", HEAD + "  - principal: DeployRole\n", 6, 5, "one of `request`", True),
    ("never names no action", HEAD + "  - principal: DeployRole\n    never: [s3:Dlete*]\n", 7, 13,
     "`s3:Dlete*` names no action", False),
    ("allowed not a boolean", HEAD + "  - principal: DeployRole\n    request: s3:GetObject on *\n    allowed: maybe\n",
     8, 14, "`allowed` is true or false", True),
    ("no expect", HEAD.replace("expect:\n", ""), 1, 1, "no `expect` list", True),
    ("not YAML", HEAD + "  - principal: [DeployRole\n", 7, 1, "not YAML", None),
    ("resources without principal", HEAD + "  - action: s3:GetObject\n    resources: []\n", 6, 5,
     "asks policies.files", True),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_mistake_is_an_error_at_its_line_and_column(mistake: tuple[str, str, int, int, str, bool | None],
                                                      tmp_path: Path) -> None:
    _, text, line, column, message, schema_sees = mistake
    folder = tmp_path / "iam-tests"
    folder.mkdir()
    (tmp_path / "template.yaml").write_text((EXAMPLES / "template.yaml").read_text())
    path = folder / "t.yaml"
    path.write_text(text)
    with pytest.raises(expectations.ExpectationError) as caught:
        expectations.read(path)
    error = caught.value
    assert message in error.message
    assert (error.line, error.column) == (line, column), error.message
    assert error.message.startswith(f"{path}:{line}:{column}: ")
    if schema_sees is not None:
        document = read_yaml(text, intrinsic_tags=False).value
        found = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(document))
        assert bool(found) is schema_sees


def test_a_mistake_in_a_json_file_has_its_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    path = tmp_path / "x.iam.json"
    path.write_text('{\n  "policies": {"files": ["p.json"]},\n  "expect": [\n    {"request": "s3:GetObject on *",\n'
                    '     "desicion": "allowed"}\n  ]\n}\n')
    with pytest.raises(expectations.ExpectationError) as caught:
        expectations.read(path)
    assert (caught.value.line, caught.value.column) == (5, 6) and "unknown key `desicion`" in caught.value.message
    path.write_text('{"policies": {"files": ["p.json"]}, "expect": [}')
    with pytest.raises(expectations.ExpectationError) as caught:
        expectations.read(path)
    assert (caught.value.line, caught.value.column) == (1, 48) and "not JSON" in caught.value.message


def test_the_examples_hold_to_the_schema_and_read() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    validator.check_schema(SCHEMA)
    found = sorted([*EXAMPLES.glob("iam-tests/*.yaml"), *EXAMPLES.glob("*.iam.json")])
    assert len(found) == 3
    for path in found:
        text = path.read_text()
        document = json.loads(text) if path.suffix == ".json" else read_yaml(text, intrinsic_tags=False).value
        assert list(validator.iter_errors(document)) == [], path
        suite = expectations.read(path)
        assert suite.expectations and all(e.run().passed for e in suite.expectations)


def test_the_docs_show_the_schema_the_reader_ships() -> None:
    docs = (ROOT / "docs" / "ci.md").read_text()
    assert "src/qiam/data/expectations.schema.json" in docs
    # Every key the reader knows is documented, and the schema knows the same keys.
    keys = (expectations.FILE_KEYS | expectations.POLICY_KEYS | expectations.COMMON_KEYS
            | {k for required, optional in expectations.FORMS.values() for k in required | optional})
    for key in keys:
        assert f"`{key}`" in docs, key
    schema_keys = set(SCHEMA["properties"]) | set(SCHEMA["properties"]["policies"]["properties"])
    for form in SCHEMA["$defs"]["expectation"]["oneOf"]:
        schema_keys |= set(form["properties"])
    assert schema_keys == keys


def test_expectation_files_are_named_as_the_docs_say() -> None:
    assert expectations.is_expectation_file(Path("repo/iam-tests/deploy.yaml"))
    assert expectations.is_expectation_file(Path("repo/iam-tests/deploy.json"))
    assert expectations.is_expectation_file(Path("repo/anywhere/deploy.iam.yml"))
    assert expectations.is_expectation_file(Path("repo/anywhere/deploy.iam.json"))
    assert not expectations.is_expectation_file(Path("repo/anywhere/deploy.yaml"))
    assert not expectations.is_expectation_file(Path("repo/iam-tests/notes.txt"))


def test_the_docs_embed_the_schema_whole() -> None:
    docs = (ROOT / "docs" / "ci.md").read_text()
    block = docs.split("<summary>The schema</summary>", 1)[1].split("```json\n", 1)[1].split("\n```", 1)[0]
    assert json.loads(block) == SCHEMA


def test_the_docs_commands_work_verbatim() -> None:
    import re
    import subprocess
    import sys

    docs = (ROOT / "docs" / "ci.md").read_text()
    commands = [line.strip() for block in re.findall(r"```sh\n(.*?)```", docs, re.S)
                for line in block.splitlines() if line.strip().startswith("qiam ") and ">" not in line]
    assert len(commands) >= 4
    for command in commands:
        done = subprocess.run(f"{sys.executable} -m qiam" + command[len("qiam"):], shell=True, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and done.stdout.strip() and "Traceback" not in done.stderr, (command, done)


def test_a_principal_the_template_cannot_settle_fails_its_expectations(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "Resources:\n  App:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: app\n"
        "      AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: []}\n"
        "      Policies:\n        - PolicyName: imported\n          PolicyDocument: !ImportValue Shared\n")
    path = tmp_path / "x.iam.yaml"
    path.write_text("policies: {templates: [t.yaml]}\nexpect:\n  - principal: App\n    request: s3:GetObject on *\n"
                    "    allowed: false\n  - principal: App\n    task: plugins\n    allowed: false\n")
    suite = expectations.read(path)
    for expectation in suite.expectations:  # neither "allowed" nor "denied": the inventory cannot say
        check = expectation.run()
        assert not check.passed
        assert "the inventory cannot answer for `arn:aws:iam::123456789012:role/app`" in check.message
        assert f"{tmp_path / 't.yaml'}:9:27" in check.message
