"""qiam.findings: one constructor per code, the code table derived from them, and one text for both kernels."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

import qiam
from qiam import findings, operators
from qiam.errors import CODES, Location, Severity
from qiam.validate.conditions import _operator_name_finding


def test_findings_each_code_is_registered_once_under_its_own_name() -> None:
    assert len(CODES) == len(set(CODES))
    for code, constructor in findings.CONSTRUCTORS.items():
        assert constructor.__name__ == code.replace("-", "_"), code
        assert CODES[code]
    with pytest.raises(ValueError, match="registered twice"):
        findings._register("invalid-effect", "again")
    with pytest.raises(ValueError, match="registered twice"):
        findings.finding("json-syntax", "again")(lambda: findings.Words("x"))
    assert "invalid-effect" in CODES and CODES["json-syntax"] == "the text is not valid JSON"  # unchanged


def test_findings_codes_and_meanings_are_one_line_kebab_case() -> None:
    for code, meaning in CODES.items():
        assert code == code.lower() and " " not in code and "_" not in code, code
        assert meaning and "\n" not in meaning, code


def test_findings_the_table_is_whole_when_only_errors_is_imported() -> None:
    done = subprocess.run([sys.executable, "-c", "import json\nfrom qiam.errors import CODES\n"
                           "print(json.dumps(CODES))"], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == CODES


def test_findings_a_constructor_makes_its_code_with_the_place_added_by_the_caller() -> None:
    made = findings.invalid_effect("allow")
    assert made == findings.Finding("invalid-effect", "`Effect` must be \"Allow\" or \"Deny\", not `allow`",
                                    "did you mean `Allow`? Effect is case-sensitive", Severity.ERROR)
    location = Location(None, ("Statement", 0, "Effect"))
    diagnostic = made.at(location)
    assert (diagnostic.severity, diagnostic.code, diagnostic.message, diagnostic.hint, diagnostic.location) == (
        made.severity, made.code, made.message, made.hint, location)


@pytest.mark.parametrize(("made", "severity"), [
    (findings.duplicate_sid("A", iam=True), Severity.ERROR),
    (findings.duplicate_sid("A", iam=False), Severity.WARNING),
    (findings.allow_with_notprincipal(storage=True), Severity.ERROR),
    (findings.allow_with_notprincipal(storage=False), Severity.WARNING),
    (findings.variable_unsupported_version(storage=True), Severity.ERROR),
    (findings.variable_unsupported_version(storage=False), Severity.WARNING),
    (findings.policy_too_large(10, "identity", 5, counts_whitespace=False, storage=True), Severity.ERROR),
    (findings.policy_too_large(10, "identity", 5, counts_whitespace=False, storage=False), Severity.WARNING),
    (findings.unknown_operator("m", None, empty_body=True), Severity.WARNING),
    (findings.unknown_operator("m", None, empty_body=False), Severity.ERROR),
    (findings.wildcard_in_arn_service("arn:aws:s*:::x"), Severity.SUGGESTION),
])
def test_findings_severity_that_the_context_decides(made: findings.Finding, severity: Severity) -> None:
    assert made.severity is severity


def test_findings_unreadable_values_have_the_severity_their_family_says() -> None:
    """FAMILY_RULES words each unreadable value and names its severity; the constructor holds the same."""
    seen = set()
    for rules in operators.FAMILY_RULES.values():
        if rules.unreadable is None:
            continue
        severity, code, message, hint = rules.unreadable
        made = findings.CONSTRUCTORS[code](message, hint)
        assert (made.code, made.severity.value, made.message, made.hint) == (code, severity, message, hint)
        seen.add(code)
    assert seen == {"invalid-condition-value", "type-mismatch"}


@pytest.mark.parametrize("text", ["Foo:StringEquals", "ForAnyValue:StringEquals:x", "StringEqual", "NullIfExists"])
@pytest.mark.parametrize("body", [{}, {"a:b": "c"}])
def test_findings_operator_names_keep_the_words_of_parse_operator(text: str, body: dict[str, Any]) -> None:
    error = operators.parse_operator(text)
    assert isinstance(error, operators.OperatorNameError)
    made = _operator_name_finding(error, body)
    assert (made.code, made.message, made.hint) == (error.code, error.message, error.hint)
    warning = error.code == "unknown-operator" and not body  # IAM accepts it over an empty body
    assert made.severity is (Severity.WARNING if warning else Severity.ERROR)


POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}/*"},
    {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": "10"}}},
    {"Effect": "Allow", "Action": "ec2:*", "Resource": "*", "Condition": {"StringEquals": {"aws:TagKeys": "a"}}},
]}
REQUESTS = [
    qiam.Request("s3:GetObject", "arn:aws:s3:::b/alice/k"),
    qiam.Request("s3:GetObject", "arn:aws:s3:::b/alice/k", context={"aws:username": ["alice", "bob"]}),
    qiam.Request("s3:GetObject", "*", context={"s3:max-keys": "many"}),
    qiam.Request("ec2:RunInstances", "*", context={"aws:TagKeys": ["a", "b"]}),
]
EVALUATION_CODES = {"undecidable-condition", "multivalued-variable", "unresolved-variable",
                    "multivalued-key-without-set-operator", "invalid-request-value"}


def _notes(engine: str) -> list[list[tuple[Any, ...]]]:
    with qiam._impl.using(engine):
        pset = qiam.compile_policies([POLICY])
    assert pset.engine.name == engine
    return [[(d.severity, d.code, d.message, d.location.pointer, d.hint) for d in pset.evaluate(r).diagnostics]
            for r in REQUESTS]


@pytest.mark.skipif(qiam.IMPLEMENTATION != "cython", reason="the compiled kernel is not built")
def test_findings_both_kernels_note_the_same_diagnostics() -> None:
    compiled, twin = _notes("cython"), _notes("python")
    assert compiled == twin
    assert {code for notes in twin for _, code, *_ in notes} == EVALUATION_CODES


def test_findings_the_kernels_say_what_the_constructors_say() -> None:
    expected = {
        findings.unresolved_variable("${aws:username}"),
        findings.multivalued_variable("${aws:username}"),
        findings.invalid_request_value("s3:max-keys", "many", "NumericLessThan"),
        findings.undecidable_condition(1),
        findings.multivalued_key_without_set_operator("aws:TagKeys", "StringEquals"),
    }
    said = {findings.Finding(code, message, hint, severity)
            for notes in _notes(qiam.IMPLEMENTATION) for severity, code, message, _, hint in notes}
    assert said == expected
    assert all(f.severity is Severity.WARNING for f in said)
