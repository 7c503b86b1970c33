"""Requests built by the cores (``request_state``, ``request_from_json``) are the reference's requests.

``qiam.request.request_state`` is the reference for every input. Each core answers the
usual shapes and None for anything else; where it answers, its state must equal the
reference's, field by field; where the reference rejects an input, every core must
defer (so that the coded error is the reference's). The inputs sit at the edge of the
usual shapes: odd characters in actions, keys that fold alike, non-string values,
every flag and type.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qiam._front
import qiam._front_py
from qiam.context import Environment
from qiam.errors import RequestError
from qiam.request import Request, arguments_of, request_state

from .conftest import examples

FRONTS = [qiam._front, qiam._front_py]
IDS = ["compiled", "python"]

_ENVIRONMENT = Environment(region="eu-west-1", time="2026-01-01T00:00:00Z")

_text = st.text(st.sampled_from("aZ09.-:*? \t/\u00e9\u0130K_${}"), max_size=12)
actions = st.one_of(
    st.sampled_from(["s3:GetObject", "S3:getobject", "kms:Decrypt", "a.b-c:X", "s3:", ":x", "s3:a:b", "s3:a*",
                     "s3:a?", "s 3:x", "s3:x y", "s3:\u00e9", "s3:x\x7f", "s3:x\x01", "iam:PassRole"]),
    _text, st.integers(), st.none())
resources = st.one_of(
    st.sampled_from(["*", "arn:aws:s3:::b/k", "arn:aws:iam::111122223333:role/R",
                     "arn:aws-cn:kms:cn-north-1:111122223333:key/k", "arn:aws:s3:::*", "arn:aws:sqs:*:1?2:q",
                     "arn::::::", "arn:aws:s3::", "not-an-arn", "arn:aws:ec2:us-east-1:111122223333:instance/i"]),
    _text, st.none())
principals = st.one_of(
    st.none(), st.sampled_from(["arn:aws:iam::111122223333:role/R", "arn:aws:iam::111122223333:user/u",
                                "arn:aws:sts::111122223333:assumed-role/R/s", "111122223333", "anonymous",
                                "sns.amazonaws.com", "", "arn:aws:iam::111122223333:role/aws-service-role/x/S",
                                "arn:aws:sts::444455556666:federated-user/f", "bad principal"]),
    st.integers())
values = st.one_of(st.text(max_size=6), st.lists(st.text(max_size=4), max_size=3),
                   st.tuples(st.text(max_size=3)), st.integers(), st.booleans(), st.none(), st.floats(),
                   st.lists(st.one_of(st.text(max_size=3), st.integers()), max_size=2))
contexts = st.one_of(
    st.none(), st.integers(),
    st.dictionaries(st.one_of(st.sampled_from(["aws:PrincipalArn", "aws:principalarn", "AWS:SourceIp", "k", "K",
                                               "", "s3:prefix", "\u0130"]), st.text(max_size=5), st.integers()),
                    values, max_size=4))
flags = st.one_of(st.booleans(), st.sampled_from([0, 1, None, "true"]))
accounts = st.one_of(st.none(), st.sampled_from(["111122223333", "444455556666", ""]), st.integers())
environments = st.one_of(st.none(), st.just(_ENVIRONMENT), st.just("eu-west-1"))
matches = st.one_of(st.none(), st.sampled_from(["all", "some", "any", ""]))


@st.composite
def arguments(draw: Any) -> tuple[Any, ...]:
    return (draw(actions), draw(resources), draw(principals), draw(contexts), draw(accounts), draw(flags),
            draw(flags), draw(flags), draw(st.one_of(st.just(False), flags)), draw(environments), draw(matches))


def _reference(args: tuple[Any, ...]) -> Any:
    try:
        return request_state(args)
    except RequestError as exc:
        return exc


def _check_answer(answer: Any, reference: Any) -> Any:
    """A core's answer (``answer()``) is the reference's state wherever it is not None; where the core raises,
    it is the reference's own error (a core reads the principal with qiam.principals). The state, or None."""
    try:
        made = answer()
    except RequestError as exc:
        assert isinstance(reference, RequestError) and str(exc) == str(reference)
        return None
    if made is not None:
        assert not isinstance(reference, RequestError), f"the core built what the reference rejects: {reference}"
        assert made == reference
    return made


def _answer(front: Any, args: tuple[Any, ...]) -> Any:
    try:
        return front.request_state(args)
    except RequestError as exc:
        return exc


@pytest.mark.parametrize("front", FRONTS, ids=IDS)
@examples(3000)
@given(args=arguments())
def test_request_state_is_the_reference_where_it_answers(front: Any, args: tuple[Any, ...]) -> None:
    if args[8] is True and args[9] is None:
        args = (*args[:9], _ENVIRONMENT, args[10])  # a fixed time, so that both calls derive the same
    _check_answer(lambda: front.request_state(args), _reference(args))


@pytest.mark.parametrize("front", FRONTS, ids=IDS)
@examples(1000)
@given(args=arguments())
def test_the_cores_answer_the_same_inputs(front: Any, args: tuple[Any, ...]) -> None:
    """Which inputs a core answers is one rule, written in both twins."""
    if args[8] is True and args[9] is None:
        args = (*args[:9], _ENVIRONMENT, args[10])
    reference = _reference(args)
    compiled, twin = (_answer(front, args) for front in FRONTS)
    if isinstance(reference, RequestError):
        assert compiled is None or isinstance(compiled, RequestError)
        return
    assert (compiled is None) == (twin is None)


USUAL = [
    ("s3:GetObject", "arn:aws:s3:::b/k", "arn:aws:iam::111122223333:role/R", {"aws:SourceIp": "10.0.0.1"}),
    ("s3:GetObject", "*", None, None),
    ("sts:AssumeRole", "arn:aws:iam::111122223333:role/T", "arn:aws:sts::111122223333:assumed-role/R/s",
     {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/path/R", "aws:TagKeys": ["a", "b"]}),
    ("kms:Decrypt", "arn:aws-cn:kms:cn-north-1:444455556666:key/k", "111122223333", {}),
]


@pytest.mark.parametrize("front", FRONTS, ids=IDS)
@pytest.mark.parametrize("case", USUAL)
def test_the_usual_shapes_are_answered_by_the_cores(front: Any, case: tuple[Any, ...]) -> None:
    """The cores do answer the usual shapes: the fast path is taken, not only deferred."""
    action, resource, principal, context = case
    for derive in (False, True):
        args = (action, resource, principal, context, None, False, False, False, derive,
                _ENVIRONMENT if derive else None, None)
        made = front.request_state(args)
        assert made is not None
        assert made == request_state(args)
    line = {"action": action, "resource": resource, "context": context}
    if principal is not None:
        line["principal"] = principal
    assert front.request_state_json(line) == request_state(arguments_of(line))
    built = front.request_from_json(Request, line)
    assert type(built) is Request and built == Request.from_json(line)
    assert built.key == Request(action, resource, principal=principal, context=context, derive_context=False).key


@st.composite
def lines(draw: Any) -> dict[str, Any]:
    fields = {"action": actions, "resource": resources, "principal": principals, "context": contexts,
              "resource_account": accounts, "service_linked_role": flags, "management_account": flags,
              "resource_management_account": flags, "derive_context": st.one_of(st.just(False), flags),
              "resource_match": matches, "region": st.just("eu-west-1"), "unknown": st.just(1)}
    chosen = draw(st.sets(st.sampled_from(sorted(fields)), max_size=6))
    if draw(st.booleans()):
        chosen.add("action")
    return {name: draw(fields[name]) for name in sorted(chosen)}


@pytest.mark.parametrize("front", FRONTS, ids=IDS)
@examples(2000)
@given(line=lines())
def test_request_from_json_is_the_reference_where_it_answers(front: Any, line: dict[str, Any]) -> None:
    try:
        reference: Any = request_state(arguments_of(line))
    except RequestError as exc:
        reference = exc
    if _check_answer(lambda: front.request_state_json(line), reference) is None:
        return
    built = front.request_from_json(Request, line)
    assert built is not None and built.facts == reference[0] and built._rest == reference[1]


@pytest.mark.parametrize("bad", [
    {"action": "s3:Get*"}, {"action": "s3:GetObject", "resource": "nope"}, {"action": "s3:x", "context": {"k": {}}},
    {"action": "s3:x", "context": {"K": "1", "k": "2"}}, {"action": "s3:x", "principal": ""},
    {"action": "s3:x", "management_account": 1}, {"action": "s3:x", "resource_match": "any"},
    {"action": "s3:x", "nope": 1}, {"resource": "*"},
])
def test_every_bad_line_keeps_its_coded_error(bad: dict[str, Any]) -> None:
    """The cores defer on every bad line, so ``Request.from_json`` raises the reference's error."""
    for front in FRONTS:
        assert front.request_state_json(bad) is None
    with pytest.raises(RequestError) as raised:
        Request.from_json(bad)
    assert raised.value.code


class _Tagged(Request):
    """A subclass with a slot of its own: its requests are made and filled as Request's are."""

    __slots__ = ("tag",)


class _Counted(Request):
    """A subclass with a __new__ of its own, which neither the reference nor the cores call (they make a
    request as object.__new__ does, and fill it)."""

    __slots__ = ()
    made = 0

    def __new__(cls, *args: Any, **kwargs: Any) -> _Counted:
        _Counted.made += 1
        return super().__new__(cls)


@pytest.mark.parametrize("front", FRONTS, ids=IDS)
def test_request_from_json_makes_the_class_it_is_given(front: Any) -> None:
    line = {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "context": {"AWS:SourceIp": "10.0.0.1"}}
    plain = Request.from_json(line)
    for cls in (_Tagged, _Counted, Request, _Tagged):
        before = _Counted.made
        built = front.request_from_json(cls, line)
        assert type(built) is cls and built.facts == plain.facts and built._rest == plain._rest
        assert built.key == plain.key and built.resource_match is None
        assert _Counted.made == before
    with pytest.raises(AttributeError):
        built.tag = 1  # (immutable as Request is)
