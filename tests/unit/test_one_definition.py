"""One definition of each rule: the policy kinds, the trust-request rule, the request's immutability, the
kernel's shortcuts and limits, the public types (regression tests for the bugs those had)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qiam
import qiam._decide
import qiam._decide_py
from qiam import operators
from qiam.batch import BatchRunner
from qiam.cli import main
from qiam.kinds import PolicyKind, Shape, is_trust_request, resource_kind

ROLE = "arn:aws:iam::111122223333:role/R"
ALICE = "arn:aws:iam::111122223333:user/alice"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}


@pytest.mark.parametrize("action", ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity",
                                    "sts:AssumeRoleWithSAML", "STS:tagsession"])
def test_trust_requests_are_one_rule_for_check_and_batch(action: str, tmp_path: Path, capsys: Any) -> None:
    """Regression: `qiam check` tested startswith("sts:assumerole") and rejected the trust policy of a
    TagSession request (exit 2, missing-resource) that `qiam batch` allowed."""
    assert is_trust_request(action, ROLE) and resource_kind(action, ROLE) is PolicyKind.TRUST
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(TRUST))
    code = main(["check", "--resource-policy", str(trust), f"{action} on {ROLE} as {ALICE}"])
    out = capsys.readouterr()
    line = json.dumps({"id": 1, "policies": {"resource": TRUST},
                       "request": {"principal": ALICE, "action": action, "resource": ROLE}})
    batch = BatchRunner().run_line(line)
    allowed = action.lower() in ("sts:assumerole", "sts:tagsession")
    assert code == (0 if allowed else 1), out.err
    assert batch["decision"] == ("allowed" if allowed else "implicitDeny"), batch


def test_not_a_trust_request() -> None:
    assert not is_trust_request("sts:AssumeRole", "arn:aws:s3:::b")
    assert not is_trust_request("s3:GetObject", ROLE)
    assert resource_kind("s3:GetObject", ROLE) is PolicyKind.RESOURCE


def test_every_kind_has_a_profile_a_group_and_a_place() -> None:
    assert set(PolicyKind.slots()) == {"identity", "resource", "boundary", "session", "scp", "rcp"}
    for kind in PolicyKind:
        assert kind.profile in qiam.PROFILES
        assert kind.group in ("identity", "resource", "boundary", "session", "scp", "rcp")
        assert kind.field in qiam.PolicySet.__dataclass_fields__
        assert (kind.shape is Shape.LEVELS) == (kind.field.endswith("s"))


def test_a_request_cannot_be_changed_after_it_is_made() -> None:
    """Regression: Request.context was the dict the kernel read, so mutating it changed the decision
    while Request.key (by which evaluate_many and evaluate_pairs dedupe) stayed stale."""
    context = {"aws:SourceIp": "10.0.0.1"}
    request = qiam.Request("s3:GetObject", "*", context=context, derive_context=False)
    pset = qiam.compile_policies([{"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}])
    key = request.key
    context["aws:SourceIp"] = "192.0.2.1"  # the caller's dict is not the request's
    with pytest.raises(TypeError):
        request.context["aws:sourceip"] = "192.0.2.1"  # type: ignore[index]
    with pytest.raises(TypeError):
        request.given["aws:sourceip"] = "192.0.2.1"  # type: ignore[index]
    with pytest.raises(AttributeError):
        request.key = b""  # type: ignore[misc]
    assert request.key == key
    assert pset.evaluate(request).allowed
    assert all(r.allowed for r in pset.evaluate_many([request, request]))


def test_the_facts_layout_is_the_kernels() -> None:
    """The compiled kernel reads Request.facts by position (F_* in _decide.pyx): the layout is FACTS."""
    import re

    from qiam.request import FACTS

    source = (Path(qiam._decide.__file__).parent / "_decide.pyx").read_text()
    positions = dict(re.findall(r"\n    F_([A-Z_]+) = (\d+)", source))
    assert len(positions) == len(FACTS)
    names = {"ACTION": "action_lower", "SERVICE": "service", "RESOURCE": "resource", "CONTEXT": "context",
             "CALLER": "caller", "KIND": "caller_kind", "HAS_IDENTITY": "has_identity_policies",
             "AUTHENTICATED": "authenticated", "SERVICE_LINKED": "service_linked_role",
             "MANAGEMENT": "management_account", "RESOURCE_MANAGEMENT": "resource_management_account",
             "ACCOUNT": "caller_account", "OWNER_ACCOUNT": "owner_account", "PARTITION": "caller_partition",
             "OWNER_PARTITION": "owner_partition", "ACTION_AS_GIVEN": "action", "SAME_ACCOUNT": "same_account",
             "SAME_PARTITION": "same_partition"}
    assert {names[n]: int(i) for n, i in positions.items()} == {name: i for i, name in enumerate(FACTS)}


@pytest.mark.parametrize("kernel", [qiam._decide, qiam._decide_py], ids=["compiled", "python"])
def test_both_kernels_refuse_more_than_64_groups(kernel: Any) -> None:
    """The compiled kernel keeps a group per bit of a 64-bit word; the twin refuses what it refuses."""
    allow = ()
    assert kernel.Evaluator([], scp_levels=60, rcp_levels=4) is not None
    with pytest.raises(ValueError, match="at most 64"):
        kernel.Evaluator([("identity", 0, None, allow, ())], scp_levels=60, rcp_levels=4)


_texts = st.text(st.sampled_from("ab:*?/A"), max_size=8)


@settings(max_examples=300, deadline=None)
@given(family=st.sampled_from(["StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnLike"]),
       texts=st.lists(_texts, min_size=1, max_size=3), value=_texts, negated=st.booleans())
def test_shortcuts_say_what_test_does(family: str, texts: list[str], value: str, negated: bool) -> None:
    """Each SHORTCUT_* kind, as the compiled kernel reads it, gives what the values' own test gives."""
    spec = operators.parse_operator(family)
    assert isinstance(spec, operators.Operator)
    values = operators.compile_values(spec.spec, tuple(texts), reads_variables=False)
    kind, data = values.shortcut()
    expected = values.test(value, {}, negated)
    if kind == operators.SHORTCUT_EXACT:
        assert ((value in data) != negated) == expected
    elif kind == operators.SHORTCUT_FOLDED:
        assert ((value.lower() in data) != negated) == expected
    elif kind == operators.SHORTCUT_GLOB:
        assert (data.matches_any(value) != negated) == expected
    else:
        assert kind == operators.SHORTCUT_ARN
        assert (data.matches_any(value) != negated if operators.is_arn(value) else None) == expected


def test_public_types_do_not_depend_on_the_engine() -> None:
    from qiam.compile import CompiledCondition, CompiledStatement

    assert qiam.Result.__module__ == "qiam.decision"
    assert CompiledStatement.__module__ == CompiledCondition.__module__ == "qiam.decision"
    for name in ("cython", "python"):
        with qiam._impl.using(name):
            pset = qiam.compile_policies([{"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "s3:*", "Resource": "*",
                "Condition": {"StringEquals": {"aws:username": "a"}}}]}])
        statement = pset.identity[0].statements[0]
        assert isinstance(statement, CompiledStatement) and isinstance(statement.conditions[0], CompiledCondition)
        result = pset.evaluate(qiam.Request("s3:GetObject", "*", context={"aws:username": "a"}))
        assert isinstance(result, qiam.Result) and result.allowed and pset.engine.name == name


def test_a_policy_set_is_of_one_engine() -> None:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    compiled = qiam.compile_policy(doc, engine=qiam._impl.engine("cython"))
    twin = qiam.compile_policy(doc, engine=qiam._impl.engine("python"))
    with pytest.raises(ValueError, match="one engine"):
        qiam.PolicySet(identity=(compiled, twin))


def test_the_document_readers_kinds_are_the_families_shortcuts() -> None:
    import re

    source = (Path(qiam._decide.__file__).parent / "_front.pyx").read_text()
    kinds = {name: int(n) for name, n in re.findall(r"\n    KIND_([A-Z_]+) = (\d+)", source)}
    by_name = {"STRING": "String", "IGNORE_CASE": "StringIgnoreCase", "LIKE": "StringLike", "ARN": "Arn",
               "BOOL": "Bool", "NULL": "Null"}
    assert {by_name[k]: v for k, v in kinds.items()} == {
        family.value: rules.front_kind for family, rules in operators.FAMILY_RULES.items() if rules.front_kind}


def test_policy_sets_share_the_statement_refs_of_their_policies() -> None:
    """A set is made from its policies' references, made once per policy and place: two sets of one
    policy share them, and they are what a set made without them would hold."""
    policy = qiam.compile_policy('{"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow", '
                                 '"Action": "s3:GetObject", "Resource": "*"}]}', name="p.json")
    request = qiam.Request("s3:GetObject", "arn:aws:s3:::b/k")
    first = qiam.PolicySet(identity=(policy,)).evaluate(request).matched
    second = qiam.PolicySet(identity=(policy,)).evaluate(request).matched
    assert first[0] is second[0]
    made = qiam.StatementRef("identity[0]", "p.json", 0, "A", "Allow",
                             qiam.Location(policy.policy.source, ("Statement", 0)))
    assert first == (made,)
    assert first[0].location.render() == "p.json:1:41"  # the statement object's opening brace
    # At another place the same policy has references of its own.
    behind = qiam.PolicySet(identity=(policy, policy)).explain(request).result.matched
    assert {ref.policy for ref in behind} == {"identity[0]", "identity[1]"}
