"""Thousands of policy sets stay out of the cycle collector's way: the compiled kernel's evaluator, its
groups, entries and plans hold nothing that can refer back to them, so they are not tracked, and a set
made from compiled policies adds only a few tracked objects (each collection walks every tracked one;
with 20,000 sets it was most of a fresh set's cost)."""

from __future__ import annotations

import gc

import pytest

from qiam import PolicySet, Request, compile_policy
from qiam._impl import EngineError, engine, using

POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"},
    {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::secret/*"},
    {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}
SETS = 500
TRACKED_PER_SET = 10  # 5 here: the set, its two bound methods, its fields; 30 when entries and groups were


@pytest.fixture
def compiled_engine() -> object:
    try:
        return engine("cython")
    except EngineError:
        pytest.skip("the compiled cores are not built")


def test_an_evaluator_and_its_plans_are_not_tracked(compiled_engine: object) -> None:
    with using(compiled_engine):  # type: ignore[arg-type]
        policy = compile_policy(POLICY)
        policy_set = PolicySet(identity=(policy, policy))
        request = Request("s3:GetObject", "arn:aws:s3:::secret/k", principal="arn:aws:iam::111122223333:role/R")
        assert not policy_set.evaluate(request).allowed
        assert not gc.is_tracked(policy_set._evaluator)


def test_a_set_adds_few_tracked_objects(compiled_engine: object) -> None:
    with using(compiled_engine):  # type: ignore[arg-type]
        policies = (compile_policy(POLICY), compile_policy(POLICY))
        request = Request("s3:GetObject", "arn:aws:s3:::b/k", principal="arn:aws:iam::111122223333:role/R")
        gc.collect()
        before = len(gc.get_objects())
        made = [PolicySet(identity=policies) for _ in range(SETS)]
        assert all(s.evaluate(request).allowed for s in made)
        gc.collect()
        added = len(gc.get_objects()) - before
    assert added < SETS * TRACKED_PER_SET, f"{added / SETS:.1f} tracked objects per set"
