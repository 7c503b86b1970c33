"""The decision kernel twins: same surface, and the same result for every policy set and request."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qiam
import qiam._decide
import qiam._decide_py
from qiam import special
from qiam.explain import RecordingTracer
from qiam.policyset import results_of_pairs
from tests.properties.test_flow import policy_sets, requests

from .conftest import examples

COMPILED, TWIN = qiam._decide, qiam._decide_py
NAMES = ["Condition", "Evaluator", "Result", "Statement", "decide_pairs", "evaluate_pairs", "has_shape"]


def _params(obj: Any) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(obj).parameters.values()]


def test_decide_twins_have_the_same_surface() -> None:
    assert sorted(COMPILED.__all__) == sorted(TWIN.__all__) == NAMES
    for name in NAMES:
        compiled, twin = getattr(COMPILED, name), getattr(TWIN, name)
        assert inspect.getdoc(compiled) == inspect.getdoc(twin), name
        assert _params(compiled) == _params(twin), name
        if not inspect.isclass(twin):
            continue
        public = sorted(m for m in dir(twin) if not m.startswith("_"))
        assert public == sorted(m for m in dir(compiled) if not m.startswith("_")), name
        for member in public:
            assert inspect.getdoc(getattr(compiled, member)) == inspect.getdoc(getattr(twin, member)), member


def _twin_condition(c: Any) -> Any:
    return TWIN.Condition(c.key, c.key_text, null=c.null, negated=c.negated, if_exists=c.if_exists,
                          set_prefix=c.set_prefix, values=c.values, exact=c.exact, operator=c.operator,
                          texts=c.texts)


def _twin_statement(s: Any) -> Any:
    return TWIN.Statement(s.index, s.sid, s.allow, s.actions, s.not_action, s.resources, s.not_resource,
                          s.principal, s.not_principal, tuple(_twin_condition(c) for c in s.conditions),
                          s.path, s.services, s.variables)


def twin_of(pset: qiam.PolicySet) -> Any:
    """The same policy set, decided by the pure-Python kernel."""
    from qiam.catalog import load_catalog

    groups = []
    for kind, level, label, policy in pset.placed():
        groups.append((kind.group, level, policy.policy.source,
                       tuple(_twin_statement(s) for s in policy.statements), policy.refs(label)))
    return TWIN.Evaluator(groups, pset.warnings, session_given=pset.session is not None,
                          scp_levels=len(pset.scps or ()), rcp_levels=len(pset.rcps or ()),
                          rcp_services=load_catalog().rcp_services if pset.rcps else frozenset())


def _summary(result: Any) -> tuple[Any, ...]:
    return (result.decision, result.matched, result.decided_by, result.reasons, result.missing_context_keys,
            result.same_account, tuple(d.code for d in result.diagnostics), result.warnings)


def _compile(kwargs: dict[str, Any], request: qiam.Request) -> qiam.PolicySet:
    trust = request.action == "sts:AssumeRole" and ":role/" in request.resource
    if trust and "resource" in kwargs:
        from tests.properties.test_flow import _as_trust

        kwargs = dict(kwargs, resource=_as_trust(kwargs["resource"]))
    return qiam.compile_policies(**kwargs, resource_profile="role-trust" if trust else "resource")


@pytest.mark.skipif(qiam.IMPLEMENTATION != "cython", reason="the compiled kernel is not active")
@settings(max_examples=150, deadline=None)
@given(kwargs=policy_sets(), request=requests())
def test_decide_twins_agree(kwargs: dict[str, Any], request: qiam.Request) -> None:
    pset = _compile(kwargs, request)
    twin = twin_of(pset)
    assert _summary(pset.evaluate(request)) == _summary(twin.evaluate(request))
    traced = [RecordingTracer(), RecordingTracer()]
    pset.evaluate(request, tracer=traced[0])
    twin.evaluate(request, tracer=traced[1])
    assert traced[0].statements == traced[1].statements


@settings(max_examples=60, deadline=None)
@given(kwargs=policy_sets(), batch=st.lists(requests(), min_size=1, max_size=6))
def test_decide_evaluate_many_equals_one_at_a_time(kwargs: dict[str, Any], batch: list[qiam.Request]) -> None:
    batch = [r for r in batch if r.action != "sts:AssumeRole"] * 2  # repeats are decided once
    pset = qiam.compile_policies(**kwargs)
    assert [_summary(r) for r in pset.evaluate_many(batch)] == [_summary(pset.evaluate(r)) for r in batch]


@settings(max_examples=60, deadline=None)
@given(sets=st.lists(policy_sets(), min_size=1, max_size=3), batch=st.lists(requests(), min_size=1, max_size=6),
       picks=st.lists(st.integers(0, 2), min_size=1, max_size=12))
def test_decide_evaluate_pairs_equals_one_at_a_time(sets: list[dict[str, Any]], batch: list[qiam.Request],
                                                    picks: list[int]) -> None:
    psets = [qiam.compile_policies(**kwargs) for kwargs in sets]
    batch = [r for r in batch if r.action != "sts:AssumeRole"]
    pairs = [(psets[p % len(psets)], batch[i % len(batch)]) for i, p in enumerate(picks)] if batch else []
    want = [_summary(pset.evaluate(r)) for pset, r in pairs]
    results = qiam.evaluate_pairs(pairs)
    # The compact decisions, read without a Result, are the decisions of the Results made afterwards.
    assert results.decisions == [w[0] for w in want]
    assert [_summary(r) for r in results] == want
    assert [_summary(r) for r in results_of_pairs(pairs)] == want
    twins = {id(pset): twin_of(pset) for pset in psets}
    twin_pairs = [(twins[id(p)], r) for p, r in pairs]
    assert [_summary(r) for r in TWIN.evaluate_pairs(twin_pairs)] == want
    assert COMPILED.decide_pairs(pairs) == TWIN.decide_pairs(twin_pairs) == results.codes


def test_decide_results_are_values() -> None:
    result = TWIN.Result(qiam.Decision.ALLOW, reasons=("identity",))
    compiled = COMPILED.Result(qiam.Decision.ALLOW, reasons=("identity",))
    assert result.allowed and compiled.allowed
    assert result.to_dict() == compiled.to_dict()
    assert repr(result) == repr(compiled)


def test_decide_conditions_refuse_unknown_set_prefixes() -> None:
    for module in (COMPILED, TWIN):
        with pytest.raises(ValueError, match="set_prefix"):
            module.Condition("k", "k", null=False, negated=False, if_exists=False, set_prefix="ForSomeValues",
                             values=None, exact=None, operator="X", texts=())


def _both_kernels(pset: qiam.PolicySet) -> list[Any]:
    kernels = [twin_of(pset)]
    if qiam.IMPLEMENTATION == "cython":
        kernels.append(pset._evaluator)
    return kernels


def test_decide_index_is_right_past_its_action_cache() -> None:
    # More distinct actions than the index keeps plans for: the later ones are planned
    # per request, with the same answers.
    pset = qiam.compile_policies([{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "svc:Get*", "Resource": "*"},
        {"Effect": "Deny", "Action": "svc:*7", "Resource": "*"}]}])
    count = TWIN._MAX_ACTION_PLANS + 300
    batch = [qiam.Request(f"svc:{verb}{i}", derive_context=False) for i in range(count)
             for verb in ("Get", "Put") if verb == "Get" or (i % 2 and i > count - 600)]
    want = ["allowed" if r.action.startswith("svc:Get") and not r.action.endswith("7")
            else "explicitDeny" if r.action.endswith("7") else "implicitDeny" for r in batch]
    for kernel in _both_kernels(pset):
        assert [r.decision.value for r in kernel.evaluate_many(batch)] == want
        assert [kernel.evaluate(r).decision.value for r in batch[-50:]] == want[-50:]  # uncached plans again


def test_decide_plan_cache_holds_the_whole_action_catalog() -> None:
    # A sweep of every catalog action against one set (``can`` over an account) runs on kept plans:
    # the cache must outgrow the catalog, with room for the names of its next releases.
    from qiam import limits
    from qiam.catalog import load_catalog

    actions = load_catalog().expand("*")
    assert len(actions) > 20_000
    assert limits.ACTION_PLANS >= 2 * len(actions)
    assert TWIN._MAX_ACTION_PLANS == limits.ACTION_PLANS


def test_decide_index_is_right_past_its_service_cache() -> None:
    pset = qiam.compile_policies([{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s1:*", "Resource": "*"}]}])
    batch = [qiam.Request(f"s{i}:Get") for i in range(TWIN._MAX_SERVICE_PLANS + 300)]
    want = ["explicitDeny" if r.service == "s1" else "allowed" for r in batch]
    for kernel in _both_kernels(pset):
        assert [r.decision.value for r in kernel.evaluate_many(batch)] == want


# ARNs at the edges of the shapes the kernel recognises without regexes (KMS keys, roles,
# AWS-owned policies, reserved roles and key aliases); the twin reads them with regexes.
_EDGE_RESOURCES = [
    "arn:aws:kms:us-east-1:111122223333:key/k", "arn:aws:kms:::key/k", "arn::kms:r:a:key/k",
    "arn:aws:kms:r:a:key", "arn:aws:kms:r:a:keys/x", "arn:aws:kms:r:111122223333:alias/aws/x",
    "arn:aws:kms:r:11112222333:alias/aws/x", "arn:aws:kms:r:1111222233334:alias/aws/x",
    "arn:aws:kms:r:11112222333a:alias/aws/x", "arn:aws:kms:r:\u0661\u0661\u0661\u0661\u0662\u0662\u0662\u0662"
    "\u0663\u0663\u0663\u0663:alias/aws/x", "arn:aws:kms:r:111122223333:alias/awsx",
    "arn:aws:iam::111122223333:role/aws-reserved/sso", "arn:aws:iam:us-east-1:111122223333:role/aws-reserved/x",
    "arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy", "arn:aws:iam::awss:policy/x",
    "arn:aws:IAM::aws:policy/x", "ARN:aws:iam::aws:policy/x", "arnx:aws:iam::aws:policy/x",
    "arn:aws-cn:iam::111122223333:role/r", "arn:aws:iam::111122223333:role", "arn:aws:iam::111122223333:role/a:b",
    "arn:aws:iams::111122223333:role/r", "arn:aws:ia::111122223333:role/r", "*",
]
_EDGE_ACTIONS = ["kms:Decrypt", "kms:CreateAlias", "iam:PassRole", "iam:DeletePolicy", "sts:AssumeRole",
                 "iam:CreateRole", "s3:GetObject"]


def test_decide_kernels_read_owned_and_key_arns_alike() -> None:
    pset = qiam.compile_policies([{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}])
    twin = twin_of(pset)
    for resource in _EDGE_RESOURCES:
        for action in _EDGE_ACTIONS:
            request = qiam.Request(action, resource, principal="arn:aws:iam::111122223333:user/u")
            assert _summary(pset.evaluate(request)) == _summary(twin.evaluate(request)), (action, resource)
    key = qiam.Request("kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k")
    assert pset.evaluate(key).reasons == ("resource_policy_required", )
    reserved = qiam.Request("iam:PassRole", "arn:aws:iam::111122223333:role/aws-reserved/sso")
    assert pset.evaluate(reserved).reasons == ("aws-owned-resource:aws-reserved-role",)
    regional = qiam.Request("iam:PassRole", "arn:aws:iam:us-east-1:111122223333:role/aws-reserved/x")
    assert pset.evaluate(regional).allowed


@pytest.mark.parametrize("repeating", [False, True], ids=["distinct", "repeating"])
def test_decide_evaluate_pairs_keys_requests_only_while_repeats_pay(repeating: bool) -> None:
    """Past qiam.limits.REPEAT_SAMPLE requests of a set, distinct input is decided without keying
    (each result is its own), repeating input still once per key; the answers are the same."""
    from qiam import limits

    pset = qiam.compile_policies(identity=[{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k1*"}]}])
    count = limits.REPEAT_SAMPLE * 2
    names = [f"k{i % 7 if repeating else i}" for i in range(count)]
    batch = [qiam.Request("s3:GetObject", f"arn:aws:s3:::b/{name}", derive_context=False) for name in names]
    want = [_summary(pset.evaluate(r)) for r in batch]
    twin = twin_of(pset)
    assert qiam.evaluate_pairs([(pset, r) for r in batch]).decisions == [w[0] for w in want]
    for results in (results_of_pairs([(pset, r) for r in batch]), TWIN.evaluate_pairs([(twin, r) for r in batch]),
                    pset.evaluate_many(batch)):
        assert [_summary(r) for r in results] == want
        tail = results[limits.REPEAT_SAMPLE:]
        distinct_objects = len({id(r) for r in tail})
        assert distinct_objects == (7 if repeating else len(tail))
    unkeyed = [qiam.Request("s3:GetObject", f"arn:aws:s3:::b/{name}", derive_context=False) for name in names]
    qiam.evaluate_pairs([(pset, r) for r in unkeyed])
    assert (unkeyed[-1]._key is None) is not repeating  # distinct input is never keyed past the sample


# --- ARN shapes (qiam.special): the kernel's reading of an ARN against the twin's regex ----------------

_SHAPES = [special.ROLE, special.KMS_KEY, *(rule.shape for rule in special.AWS_OWNED)]
_ARN_PARTS = st.sampled_from(["arn", "aws", "aws-cn", "", "iam", "kms", "s3", "us-east-1", "111122223333",
                              "aws", "role/", "key/", "role/x", "key/1", "1111222233334", "ârn", "röle/"])


@st.composite
def _arn_texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(_ARN_PARTS, st.text(":ar0n/\u00e9", max_size=4)), max_size=8))
    return ":".join(parts)


@pytest.mark.parametrize("shape", _SHAPES, ids=lambda shape: f"{shape.service}:{shape.prefix}")
@examples(600)
@given(arn=_arn_texts())
def test_property_the_kernels_read_arn_shapes_as_the_regex_does(shape: special.ArnShape, arn: str) -> None:
    want = shape.regex.match(arn) is not None
    assert qiam._decide_py.has_shape(arn, shape) is want
    assert qiam._decide.has_shape(arn, shape) is want
