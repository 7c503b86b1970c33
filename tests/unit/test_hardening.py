"""Hostile input end to end: each gives an answer or a clear error, never a crash, a hang or an allow."""

from __future__ import annotations

import json
from typing import Any

import pytest

import qiam
from qiam.batch import BatchRunner

PATHOLOGICAL = "*a*a*a*a*a*a*a*a*a*b"


def _line(policy: Any, action: str, resource: str) -> str:
    return json.dumps({"id": "x", "policies": {"identity": [policy]},
                       "request": {"principal": "arn:aws:iam::111122223333:user/alice",
                                   "action": action, "resource": resource}})


def test_hardening_pathological_wildcard_in_resource_answers() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{PATHOLOGICAL}"}]}
    out = BatchRunner().run_line(_line(policy, "s3:GetObject", "arn:aws:s3:::" + "a" * 100_000))
    assert out["decision"] == "implicitDeny"
    out = BatchRunner().run_line(_line(policy, "s3:GetObject", "arn:aws:s3:::" + "a" * 100_000 + "b"))
    assert out["decision"] == "allowed"


def test_hardening_pathological_wildcard_in_action_answers() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": f"s3:{PATHOLOGICAL}", "Resource": "*"}]}
    pset = qiam.compile_policies([policy])
    assert not pset.evaluate(qiam.Request("s3:" + "a" * 100_000, "*")).allowed
    assert pset.evaluate(qiam.Request("s3:" + "a" * 100_000 + "b", "*")).allowed


def test_hardening_pathological_wildcard_in_condition_answers() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*",
         "Condition": {"StringLike": {"aws:UserAgent": PATHOLOGICAL}}}]}
    pset = qiam.compile_policies([policy])
    request = qiam.Request("s3:GetObject", "*", context={"aws:UserAgent": "a" * 100_000})
    assert pset.evaluate(request).decision is qiam.Decision.IMPLICIT_DENY


def test_hardening_ten_megabyte_policy_answers() -> None:
    resources = [f"arn:aws:s3:::bucket-{i:07d}/*" for i in range(380_000)]
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources}]})
    assert len(text) > 10_000_000
    out = BatchRunner().run_line(_line(text, "s3:GetObject", "arn:aws:s3:::bucket-0379999/k"))
    assert out["decision"] == "allowed"
    assert [w["code"] for w in out["warnings"]] == ["policy-too-large"]


def test_hardening_deep_nesting_is_a_clear_error() -> None:
    for text in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
        out = BatchRunner().run_line(_line(text, "s3:GetObject", "*"))
        assert out["error"]["code"] == "nesting-too-deep"
        assert out["error"]["line"] == 1


def test_hardening_deep_nesting_as_a_batch_line_is_a_clear_error() -> None:
    out = BatchRunner().run_line("[" * 100_000)
    assert out["error"]["code"] == "invalid-line"


def test_hardening_invalid_utf8_is_a_clear_error() -> None:
    data = b'{"Version": "2012-10-17",\n "Statement": {"Effect": "Allow", "Action": "\xff", "Resource": "*"}}'
    with pytest.raises(qiam.PolicySyntaxError) as caught:
        qiam.parse_policy(data)
    assert caught.value.code == "invalid-utf8"
    assert (caught.value.location.line, caught.value.location.column) == (2, 46)


def test_hardening_invalid_utf8_batch_line_is_an_error_line() -> None:
    runner = BatchRunner()
    out = list(runner.run([b'{"id": "\xff"}\n', _line({"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Action": "*", "Resource": "*"}}, "s3:GetObject", "*").encode()]))
    assert out[0]["error"]["code"] == "invalid-line"
    assert out[1]["decision"] == "allowed"  # the stream goes on


def test_hardening_lone_surrogate_in_a_policy_is_an_invalid_character() -> None:
    with pytest.raises(qiam.PolicyInvalidError) as caught:
        qiam.compile_policies([{"Version": "2012-10-17", "Statement": {
            "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/\ud800"}}])
    assert caught.value.code == "invalid-character"
    assert caught.value.location.pointer == "/Statement/Resource"


def test_hardening_lone_surrogate_in_a_request_does_not_crash() -> None:
    pset = qiam.compile_policies([{"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}])
    assert pset.evaluate(qiam.Request("s3:GetObject", "arn:aws:s3:::b/\ud800")).allowed
    assert not pset.evaluate(qiam.Request("s3:GetObject", "arn:aws:s3:::c/\ud800")).allowed


def test_batch_inline_policies_do_not_grow_one_compiler_without_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """Distinct inline policies on every line: the runner compiles them with a compiler it replaces
    every so many policies, so what it keeps is bounded (a compiler keeps every element it met)."""
    import qiam.batch

    monkeypatch.setattr(qiam.batch, "_INLINE_POLICIES", 40)
    runner = qiam.batch.BatchRunner()
    compilers = set()
    lines = []
    for i in range(130):
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": f"s3:Get{i}*", "Resource": f"arn:aws:s3:::bucket-{i}/*"}]}
        lines.append(json.dumps({"id": i, "policies": {"identity": [policy]}, "request": {
            "action": f"s3:Get{i}Object", "resource": f"arn:aws:s3:::bucket-{i if i % 2 else i + 1}/k"}}))
    for line in lines:
        [out] = list(runner.run([line]))
        compilers.add(id(runner._inline))
        assert out["decision"] == ("allowed" if out["id"] % 2 else "implicitDeny")
    assert len(compilers) == 4  # 130 policies, 40 to a compiler
    assert len(runner._inline._actions) <= 40
