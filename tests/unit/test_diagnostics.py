"""Every diagnostic and error the evaluator and the batch path produce: code and location."""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

import pytest

import qiam
from qiam import findings
from qiam.batch import BatchRunner
from qiam.errors import CODES, QiamError

TEXT = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}/*"},
    {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
     "Condition": {"NumericLessThan": {"s3:max-keys": "10"}}},
    {"Effect": "Allow", "Action": "ec2:*", "Resource": "*",
     "Condition": {"StringEquals": {"aws:TagKeys": "a"}}}
  ]
}"""


@pytest.fixture(scope="module")
def pset() -> qiam.PolicySet:
    return qiam.compile_policies([qiam.parse_policy(TEXT, name="p.json")])


def only(result: qiam.Result, code: str) -> qiam.Diagnostic:
    found = [d for d in result.diagnostics if d.code == code]
    assert len(found) == 1, result.diagnostics
    return found[0]


def test_diagnostic_unresolved_variable_points_at_the_statement(pset: qiam.PolicySet) -> None:
    result = pset.evaluate(qiam.Request("s3:GetObject", "arn:aws:s3:::b/alice/k"))
    found = only(result, "unresolved-variable")
    assert found.location.pointer == "/Statement/0"
    assert (found.location.line, found.location.column) == (4, 5)
    assert "${aws:username}" in found.message
    assert "aws:username" in result.missing_context_keys


def test_diagnostic_multivalued_variable_points_at_the_statement(pset: qiam.PolicySet) -> None:
    result = pset.evaluate(qiam.Request("s3:GetObject", "arn:aws:s3:::b/alice/k",
                                        context={"aws:username": ["alice", "bob"]}))
    found = only(result, "multivalued-variable")
    assert found.location.pointer == "/Statement/0"
    assert not result.allowed


def test_diagnostic_unreadable_request_value_fails_closed(pset: qiam.PolicySet) -> None:
    result = pset.evaluate(qiam.Request("s3:GetObject", "*", context={"s3:max-keys": "many"}))
    assert result.decision is qiam.Decision.EXPLICIT_DENY  # the Deny applies: fail closed
    value = only(result, "invalid-request-value")
    assert value.location.pointer == "/Statement/1/Condition/NumericLessThan/s3:max-keys"
    assert value.location.line == 6
    undecidable = only(result, "undecidable-condition")
    assert undecidable.location.pointer == "/Statement/1/Condition"
    assert (undecidable.location.line, undecidable.location.column) == (6, 19)


def test_diagnostic_plain_operator_on_several_values(pset: qiam.PolicySet) -> None:
    result = pset.evaluate(qiam.Request("ec2:RunInstances", "*", context={"aws:TagKeys": ["a", "b"]}))
    assert result.decision is qiam.Decision.IMPLICIT_DENY
    found = only(result, "multivalued-key-without-set-operator")
    assert found.location.pointer == "/Statement/2/Condition/StringEquals/aws:TagKeys"
    assert found.location.line == 8


def test_diagnostic_unreadable_policy_number_fails_closed() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}},
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}},
    ]}
    pset = qiam.compile_policies([policy])
    [warning] = [w for w in pset.warnings if w.code == "type-mismatch"][:1]
    assert warning.location.pointer == "/Statement/1/Condition/NumericLessThan/s3:max-keys"
    result = pset.evaluate(qiam.Request("s3:ListBucket", "*", context={"s3:max-keys": "5"}))
    assert result.decision is qiam.Decision.EXPLICIT_DENY
    assert [m.index for m in result.matched] == [1]  # the Allow that cannot be read does not grant
    undecidable = sorted(d.location.pointer for d in result.diagnostics if d.code == "undecidable-condition")
    assert undecidable == ["/Statement/1/Condition", "/Statement/2/Condition"]


@pytest.mark.parametrize(("request_json", "code", "message"), [
    ({"action": "s3GetObject"}, "invalid-request", "is not of the form service:Action"),
    ({"action": "s3:GetObject", "resource": "bucket"}, "invalid-request", "neither `*` nor an ARN"),
    ({"action": "s3:GetObject", "principal": "alice"}, "invalid-request", "not a principal qiam knows"),
    ({"action": "s3:GetObject", "context": {"a:b": {"x": 1}}}, "invalid-request", "must have a string"),
    ({"action": "s3:GetObject", "context": {"a:b": "1", "A:B": "2"}}, "invalid-request", "given twice"),
    ({"action": "s3:GetObject", "contxt": {}}, "invalid-request", "unknown request field `contxt`"),
])
def test_diagnostic_bad_requests_are_error_lines(request_json: dict[str, Any], code: str, message: str) -> None:
    out = BatchRunner().run_line(json.dumps({"id": "r", "request": request_json}))
    assert out["id"] == "r"
    assert out["error"]["code"] == code
    assert message in out["error"]["message"]


def test_diagnostic_policy_errors_carry_slot_path_and_position() -> None:
    text = '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Allow", "Action": "s3:*",\n "Resource": "bucket"}]}'
    out = BatchRunner().run_line(json.dumps({"id": "p", "policies": {"identity": [{"$ref": "x"}], "boundary": text},
                                             "request": {"action": "s3:GetObject"}}))
    assert out["error"]["code"] == "unknown-policy-ref"
    out = BatchRunner().run_line(json.dumps({"id": "p", "policies": {"boundary": text},
                                             "request": {"action": "s3:GetObject"}}))
    error = out["error"]
    assert (error["code"], error["policy"], error["path"]) == ("invalid-arn", "boundary", "/Statement/0/Resource")
    assert (error["line"], error["column"]) == (3, 14)


def test_diagnostic_bad_lines_are_error_lines() -> None:
    runner = BatchRunner()
    assert runner.run_line("{not json", 7)["error"]["line"] == 7
    assert runner.run_line("[1, 2]")["error"]["code"] == "invalid-line"
    out = runner.run_line(json.dumps({"id": 1, "policies": {"identity": {}}, "request": {"action": "s3:X"}}))
    assert out["error"]["code"] == "invalid-line"
    out = runner.run_line(json.dumps({"id": 1, "policies": {"idenity": []}, "request": {"action": "s3:X"}}))
    assert "unknown policy slot `idenity`" in out["error"]["message"]


def test_diagnostic_every_code_is_used_and_every_used_code_is_listed() -> None:
    """CODES is what qiam.findings registers. Each constructor is used, and each code registered without
    one (raised or built by another module, in its own words) is used; nothing emits an unregistered code,
    and no diagnostic of the validator or the kernels is made but through a constructor."""
    package = pathlib.Path(qiam.__file__).parent
    files = {p: p.read_text() for p in sorted([*package.rglob("*.py"), *package.rglob("*.pyx")])
             if p.name not in ("errors.py", "findings.py")}
    source = "".join(files.values())
    assert set(findings.CONSTRUCTORS) <= set(CODES)
    for code, constructor in findings.CONSTRUCTORS.items():
        assert re.search(rf"\bfindings\.{constructor.__name__}\b", source), f"{code}: no one calls its constructor"
    quoted = set(re.findall(r'"([a-z0-9]+(?:-[a-z0-9]+)+)"', source))
    defaults = {cls.default_code for cls in (QiamError, *QiamError.__subclasses__(),
                                             *qiam.PolicyError.__subclasses__())}
    for code in set(CODES) - set(findings.CONSTRUCTORS):
        assert code in quoted or code in defaults, f"{code} is registered but never used"
    emitted = set(re.findall(r'(?:code=|code = |"code": |\b_?error\(|\.warn\(|\.note\(|Severity\.\w+, '
                             r'|OperatorNameError\(\s*|\("(?:error|warning)", )"([a-z0-9-]+)"', source))
    assert {"unknown-operator", "type-mismatch", "scope-too-large"} <= emitted  # the patterns still see codes
    assert emitted - set(CODES) == set(), "register each code in qiam.findings"
    made_here = [p for p in files if p.parent.name == "validate" or p.stem in ("_decide", "_decide_py")]
    assert len(made_here) > 5
    for path in made_here:
        assert not re.search(r"\b(?:Diagnostic|Finding)\(", files[path]), f"{path.name} builds a diagnostic itself"


@pytest.mark.parametrize(("condition", "key", "value"), [
    ({"Bool": {"aws:SecureTransport": "false"}}, "aws:SecureTransport", "garbage"),
    ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}, "aws:PrincipalArn", "not-an-arn"),
])
def test_diagnostic_unreadable_bool_and_arn_values_fail_closed(condition: dict[str, Any], key: str,
                                                               value: str) -> None:
    """A Deny over a Bool or Arn value that cannot be read applies, and says why, in explain too."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": condition},
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    pset = qiam.compile_policies([policy])
    request = qiam.Request("s3:GetObject", "arn:aws:s3:::b/k", context={key: value}, derive_context=False)
    result = pset.evaluate(request)
    assert result.decision is qiam.Decision.EXPLICIT_DENY
    found = only(result, "invalid-request-value")
    assert value in found.message and found.location.pointer.endswith(key)
    only(result, "undecidable-condition")
    explanation = pset.explain(request)
    assert explanation.decision is qiam.Decision.EXPLICIT_DENY
    assert f"the request value `{value}` cannot be read" in explanation.render()
