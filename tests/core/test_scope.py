"""Pattern inclusion (qiam.scope) against a brute-force oracle: every short ARN matched one by one.

For a request pattern P, allow patterns A and deny patterns D, the exact
answer says whether every ARN of P is in some A and no D ("all"), some are
("some"), or none ("none"). The oracle enumerates every ARN over a small
alphabet up to a length and matches each with the naive regex matcher of
``tests.core.oracles``. The enumeration cannot see long ARNs, so the test
checks both directions where each is sound: a class the oracle finds must be
one the exact walk finds, and each witness the walk returns is checked by the
oracle to be in P and in exactly the class it stands for.
"""

from __future__ import annotations

import functools
import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from qiam.scope import COVERS, DISJOINT, PARTIAL, ArnLanguage, classes, relation, scope_of
from tests.core.oracles import arn_fields, arn_match, glob_regex

# Fields 4 and 5 (region, account) and 6 (the resource) vary; the others are fixed.
_FIELD = st.text(st.sampled_from("ab*?"), max_size=2)
_RESOURCE = st.text(st.sampled_from("ab:*?"), max_size=3)
_patterns = st.one_of(
    st.builds(lambda r, a, x: f"arn:p:s:{r}:{a}:{x}", _FIELD, _FIELD, _RESOURCE),
    st.sampled_from(["*", "arn:p:s", "arn:p:x:*:*:*"]),
)

_ALPHABET_FIELD = "abc"  # c: a character no pattern names
_ALPHABET_RESOURCE = "ab:c"


def _words(alphabet: str, longest: int) -> list[str]:
    return ["".join(w) for n in range(longest + 1) for w in itertools.product(alphabet, repeat=n)]


_TEXTS = [f"arn:p:s:{r}:{a}:{x}" for r in _words(_ALPHABET_FIELD, 2) for a in _words(_ALPHABET_FIELD, 2)
          for x in _words(_ALPHABET_RESOURCE, 3)]


@functools.cache
def _regex(pattern: str) -> re.Pattern[str] | None:
    """The whole-text regular expression of an ARN pattern (the oracle's reading, made fast to run
    over every text): a wildcard of the first five fields cannot take a colon."""
    if pattern != "" and set(pattern) == {"*"}:
        return re.compile(".*", re.DOTALL)
    fields = arn_fields(pattern)
    if len(fields) != 6:
        return None
    parts = [glob_regex(f).replace(".*", "[^:]*").replace(".", "[^:]") if "\\" not in f else glob_regex(f)
             for f in fields[:5]]
    return re.compile(":".join([*parts, glob_regex(fields[5])]), re.DOTALL)


def _matches(pattern: str, text: str) -> bool:
    regex = _regex(pattern)
    found = regex is not None and regex.fullmatch(text) is not None
    return found


def _in(patterns: list[str], text: str) -> bool:
    return any(_matches(p, text) for p in patterns)


@settings(max_examples=40, deadline=None)
@given(_patterns.filter(lambda p: p.startswith("arn:p:s:")), st.lists(_patterns, max_size=2),
       st.lists(_patterns, max_size=2))
def test_property_scope_agrees_with_matching_every_short_arn(pattern: str, allow: list[str], deny: list[str]) -> None:
    exact = classes(ArnLanguage((pattern,)), [ArnLanguage(allow), ArnLanguage(deny)])
    for (in_allow, in_deny), witness in exact.items():
        assert arn_match(pattern, witness)
        assert any(arn_match(p, witness) for p in allow) == in_allow
        assert any(arn_match(p, witness) for p in deny) == in_deny
    seen = {(_in(allow, t), _in(deny, t)) for t in _TEXTS if _matches(pattern, t)}
    assert seen <= set(exact)
    verdicts = {a and not d for a, d in exact}
    expected = "none" if True not in verdicts else "all" if verdicts == {True} else "some"
    assert scope_of(pattern, allow, deny) == expected
    oracle = {a and not d for a, d in seen}
    if oracle == {True, False}:
        assert expected == "some"
    if expected == "all":
        assert False not in oracle
    if expected == "none":
        assert True not in oracle


@settings(max_examples=40, deadline=None)
@given(_patterns.filter(lambda p: p.startswith("arn:p:s:")), st.lists(_patterns, min_size=1, max_size=2))
def test_property_relation_agrees_with_matching_every_short_arn(pattern: str, element: list[str]) -> None:
    found = relation(ArnLanguage((pattern,)), ArnLanguage(element))
    members = [t for t in _TEXTS if _matches(pattern, t)]
    inside = {_in(element, t) for t in members}
    if found == COVERS:
        assert False not in inside
    elif found == DISJOINT:
        assert True not in inside
    else:
        assert found == PARTIAL
    if inside == {True, False}:
        assert found == PARTIAL


def test_fast_oracle_agrees_with_the_field_oracle() -> None:
    for pattern in ["arn:p:s:a*:?:b*", "arn:p:s:*:*:a:b", "*", "arn:p:s", "arn:p:s:\\::a:*"]:
        for text in _TEXTS[::97]:
            assert _matches(pattern, text) == arn_match(pattern, text), (pattern, text)


def test_scope_examples() -> None:
    app = "arn:aws:sso::111122223333:application/*/*"
    assert scope_of(app, ["arn:aws:sso::111122223333:application/*"]) == "all"
    assert scope_of(app, ["*"]) == "all"
    assert scope_of(app, ["arn:aws:sso::444455556666:application/*"]) == "none"
    assert scope_of(app, ["arn:aws:sso::*:application/ssoins-1/*"]) == "some"
    assert scope_of(app, ["*"], ["arn:aws:sso::111122223333:application/ssoins-1/*"]) == "some"
    assert scope_of(app, ["*"], ["arn:aws:sso::*:*"]) == "none"
    # Wildcards in the first five fields stay inside their field.
    assert scope_of("arn:aws:sqs:*:111122223333:q", ["arn:aws:sqs:us-*:111122223333:q"]) == "some"
    assert scope_of("arn:aws:sqs:us-east-1:111122223333:q*", ["arn:aws:sqs:*:*:q"]) == "some"
    # A short pattern matches nothing; an escaped colon in the first fields can never match.
    assert scope_of(app, ["arn:aws:sso"]) == "none"
    assert scope_of("arn:aws:s3:::b/*", ["arn:aws:s3:::b/\\*"]) == "some"


def test_a_walk_of_many_positions_is_given_up_by_its_steps_and_fails_closed() -> None:
    # Stars in the request pattern and in the element make states of hundreds of positions each: the walk
    # stops at MAX_STEPS (long before MAX_STATES) rather than run for seconds.
    import pytest

    from qiam.scope import MAX_STATES, ScopeTooLarge

    pattern = ArnLanguage(["arn:aws:s3:::" + "".join("*" + c for c in "abcdefghij" * 40)])
    element = ArnLanguage(["arn:aws:s3:::" + "*".join("abcdefghij"[i % 10] for i in range(k)) for k in (40, 60, 80)])
    with pytest.raises(ScopeTooLarge):
        classes(pattern, [element])
    assert MAX_STATES > 1_000  # (the states alone would have let it run on)


def test_a_pattern_request_too_large_to_walk_is_allowed_on_none() -> None:
    from qiam import PolicySet, Request, compile_policy

    allow = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": [
        "arn:aws:s3:::" + "*".join("abcdefghij"[i % 10] for i in range(k)) for k in (40, 60, 80)]}}
    request = Request("s3:GetObject", "arn:aws:s3:::" + "".join("*" + c for c in "abcdefghij" * 40),
                      resource_match="some")
    found = PolicySet(identity=[compile_policy(allow)]).evaluate_scope(request)
    assert found.scope == "none" and not found.allowed and found.result.reasons == ("scope-too-large",)
