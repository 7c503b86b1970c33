"""Compiled and result objects never change once made, in both implementations.

One Compiler shares its matchers between statements and policies, and results are
cached and handed out again: a second ``__init__``, an assignment or a deletion on any
of them would change other answers, so each must raise. (Every test here runs once per
engine.)
"""

from __future__ import annotations

from typing import Any

import pytest

import qiam
from qiam._impl import current
from qiam.scope import ScopeAnalyzer
from qiam.tasks import Checker

POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "kms:GenerateDataKey*"], "Resource": "arn:aws:s3:::b/*",
     "Condition": {"StringEquals": {"aws:username": "alice"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
    {"Effect": "Deny", "NotAction": "s3:*", "NotResource": "arn:aws:s3:::b/${aws:username}"}]}
REQUEST = qiam.Request("s3:GetObject", "arn:aws:s3:::b/k", principal="arn:aws:iam::111122223333:user/alice",
                       context={"aws:username": "alice", "aws:SourceIp": "10.1.2.3"}, derive_context=False)


def _objects() -> dict[str, Any]:
    pset = qiam.compile_policies([POLICY], scps=[[{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}]])
    policy = pset.identity[0]
    allow, deny = policy.statements
    result = pset.evaluate(REQUEST)
    explanation = pset.explain(REQUEST)
    scope = ScopeAnalyzer().evaluate(pset, qiam.Request("s3:GetObject", "arn:aws:s3:::b/*", resource_match="all",
                                                        derive_context=False))
    task = Checker().check(pset, "plugins")
    return {
        "PolicySet": pset, "CompiledPolicy": policy, "Statement": allow, "Statement (NotAction)": deny,
        "ResourceMatcher": allow.resources, "ArnPatternSet": allow.resources.static, "GlobSet": allow.actions,
        "Condition": allow.conditions[0], "StringValues": allow.conditions[0].values,
        "IpValues": allow.conditions[1].values, "IpNetworkSet": allow.conditions[1].values.networks,
        "Result": result, "StatementRef": result.matched[0],
        "Explanation": explanation, "StatementTrace": explanation.statements[0], "ScopeResult": scope,
        "TaskResult": task, "Request": REQUEST, "Caller": REQUEST.caller,
        "Glob": current().match.Glob("kms:GenerateDataKey*"),
    }


def _attributes(obj: Any) -> list[str]:
    names = set()
    for klass in type(obj).__mro__:
        names.update(getattr(klass, "__slots__", ()))
        names.update(n for n, v in vars(klass).items() if isinstance(v, property) or type(v).__name__ ==
                     "getset_descriptor" or type(v).__name__ == "member_descriptor")
    return sorted(n for n in names if not n.startswith("__"))


NAMES = ["PolicySet", "CompiledPolicy", "Statement", "Statement (NotAction)", "ResourceMatcher", "ArnPatternSet",
         "GlobSet", "Condition", "StringValues", "IpValues", "IpNetworkSet", "Result", "StatementRef", "Explanation",
         "StatementTrace", "ScopeResult", "TaskResult", "Request", "Caller", "Glob"]


@pytest.mark.parametrize("name", NAMES)
def test_compiled_and_result_objects_refuse_every_change(name: str) -> None:
    obj = _objects()[name]
    before = repr(obj)
    positional, keywords = _init_arguments(obj)
    with pytest.raises(TypeError, match="made once"):
        obj.__init__(*positional, **keywords)
    attributes = _attributes(obj)
    with pytest.raises(AttributeError):
        obj.extra = 1  # no attribute beyond its own, either
    for attribute in attributes:
        try:
            value = getattr(obj, attribute)
        except AttributeError:
            value = None
        with pytest.raises(AttributeError):
            setattr(obj, attribute, value)
        with pytest.raises(AttributeError):
            delattr(obj, attribute)
    assert repr(obj) == before


def _init_arguments(obj: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Arguments that a second __init__ would accept, where they can be given: the guard must come first,
    so any will do; a TypeError for the arguments would not say "made once"."""
    import inspect

    try:
        signature = inspect.signature(type(obj))
    except (TypeError, ValueError):
        return (), {}
    required = [p for p in signature.parameters.values() if p.default is inspect.Parameter.empty]
    return (tuple(["*"] for p in required if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)),
            {p.name: ["*"] for p in required if p.kind is p.KEYWORD_ONLY})


def test_the_mutation_probe_raises_and_answers_stay() -> None:
    """The probe that once turned a live policy set's answers to ALLOW."""
    pset = qiam.compile_policies([POLICY])
    request = qiam.Request("s3:GetObject", "arn:aws:s3:::other/k", derive_context=False)
    assert pset.evaluate(request).decision is qiam.Decision.IMPLICIT_DENY
    static = pset.identity[0].statements[0].resources.static
    with pytest.raises(TypeError):
        static.__init__(["*"])
    with pytest.raises(AttributeError):
        pset.identity[0].statements = ()
    assert pset.evaluate(request).decision is qiam.Decision.IMPLICIT_DENY
