"""Odd input that is reported, never read silently another way (every test runs once per engine)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import qiam
from qiam.validate import validate_policy


def _policy(statement: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", **statement}]}


def _codes(policy: dict[str, Any]) -> list[str]:
    return [d.code for d in validate_policy(qiam.parse_policy(json.dumps(policy))).diagnostics]


@pytest.mark.parametrize("resource", ["arn:aws:s3:::b/${aws:${x}}", "arn:aws:s3:::b/${${aws:username}}",
                                      "arn:aws:s3:::b/${aws:username${x}}"])
def test_nested_variables_are_syntax_errors(resource: str) -> None:
    assert _codes(_policy({"Resource": resource})) == ["variable-syntax"]


def test_a_variable_in_a_condition_key_name_is_an_error() -> None:
    codes = _codes(_policy({"Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/${aws:username}": "x"}}}))
    assert "variable-not-allowed" in codes


@pytest.mark.parametrize("value", ["fe80::1%eth0", " 10.0.0.1", "10.0.0.1 ", "10.0.0.1\n"])
def test_ip_values_with_a_zone_or_blanks_are_not_read(value: str) -> None:
    """In a policy: reported; in a request: cannot be read, so a Deny applies and an Allow does not."""
    assert "invalid-condition-value" in _codes(_policy({"Resource": "*", "Condition": {
        "IpAddress": {"aws:SourceIp": value}}}))
    pset = qiam.compile_policies([{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": ["fe80::/10", "10.0.0.0/8"]}}},
    ]}])
    result = pset.evaluate(qiam.Request("s3:GetObject", "*", context={"aws:SourceIp": value}, derive_context=False))
    assert result.decision is qiam.Decision.EXPLICIT_DENY
    assert "invalid-request-value" in {d.code for d in result.diagnostics}
    clean = value.strip().split("%")[0]  # the same address, as AWS gives it: read, and inside a block
    result = pset.evaluate(qiam.Request("s3:GetObject", "*", context={"aws:SourceIp": clean}, derive_context=False))
    assert "invalid-request-value" not in {d.code for d in result.diagnostics}


@pytest.mark.parametrize("principal", ["arn:aws:iam::111122223333:user/u", None, "111122223333"])
def test_session_policies_for_a_caller_without_a_session_are_reported(principal: str | None) -> None:
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    pset = qiam.compile_policies([allow], session=[allow])
    result = pset.evaluate(qiam.Request("s3:GetObject", principal=principal, derive_context=False))
    assert "session-policy-not-applicable" in {d.code for d in result.diagnostics}
    session = qiam.Request("s3:GetObject", principal="arn:aws:sts::111122223333:assumed-role/R/s",
                           derive_context=False)
    assert "session-policy-not-applicable" not in {d.code for d in pset.evaluate(session).diagnostics}


def test_a_tab_in_a_request_expression_is_read_as_written() -> None:
    """pyparsing expands tabs by default: a quoted value would read with spaces, columns would drift."""
    from qiam.errors import QiamError
    from qiam.reqlang import parse_expression

    parsed = parse_expression("s3:GetObject on 'arn:aws:s3:::b/a\tb'")
    assert parsed.resource == "arn:aws:s3:::b/a\tb"
    text = "\t\ts3:GetObject on"
    with pytest.raises(QiamError) as raised:
        parse_expression(text)
    assert 1 <= raised.value.column <= len(text) + 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("escape", ["\\b", "\\f", "\\u000c"])
def test_a_short_escape_of_a_refused_character_is_reported(escape: str) -> None:
    """`\\b` and `\\f` decode to characters IAM does not store, as `\\u0008` and `\\u000c` do (a fuzz finding)."""
    text = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject",'
            f'"Resource":"arn:aws:s3:::b/a{escape}b"}}}}')
    assert [d.code for d in validate_policy(qiam.parse_policy(text)).diagnostics] == ["invalid-character"]
    with pytest.raises(qiam.PolicyInvalidError):
        qiam.compile_policies([text])
    key = text.replace('"Effect"', f'"E{escape}ffect"')
    assert "invalid-character" in [d.code for d in validate_policy(qiam.parse_policy(key)).diagnostics]


@pytest.mark.parametrize("resource", ["*", None])
def test_a_pattern_request_on_star_is_refused(resource: str | None) -> None:
    """`resource_match` asks about the resources an ARN pattern names; `*` (the default) is refused with a
    coded error, never an internal one (a fuzz finding)."""
    from qiam.batch import BatchRunner, Library

    with pytest.raises(qiam.RequestError, match="resource_match"):
        qiam.Request("s3:GetObject", "*", resource_match="all")
    request: dict[str, Any] = {"action": "s3:GetObject", "resource_match": "some"}
    if resource is not None:
        request["resource"] = resource
    with pytest.raises(qiam.RequestError, match="resource_match"):
        qiam.Request.from_json(request)
    line = json.dumps({"id": 1, "policies": [_policy({"Resource": "*"})], "request": request}).encode()
    error = BatchRunner(Library({}, where="library.json")).run_line(line)["error"]
    assert error["code"] == "invalid-request" and "resource_match" in error["message"]
