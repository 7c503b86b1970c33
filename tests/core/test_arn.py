"""ArnPatternSet: examples, oracle properties and twin agreement."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from . import oracles
from . import strategies as s
from .conftest import COMPILED, TWIN, TWINS, examples, outcome, twin_id

twins = pytest.mark.parametrize("core", TWINS, ids=twin_id)

BUCKET = "arn:aws:s3:::DOC-EXAMPLE-BUCKET"


@twins
def test_arn_docstring_examples(core):
    arns = core.ArnPatternSet(["arn:aws:s3:::b/*", "arn:aws:logs:*:*:log-group:app*"])
    arn = "arn:aws:logs:us-east-1:111122223333:log-group:app:log-stream:s1"
    assert arns.matches_any(arn) is True
    assert arns.matches_any("arn:aws:s3:::b") is False


ARN_EXAMPLES = [
    # the IAM user guide's "*/test/*" example
    (BUCKET + "/*/test/*", BUCKET + "/1/2/test/3/object.jpg", True),
    (BUCKET + "/*/test/*", BUCKET + "/1///test///object.jpg", True),
    (BUCKET + "/*/test/*", BUCKET + "//test/object.jpg", True),
    (BUCKET + "/*/test/*", BUCKET + "/1/test/", True),
    (BUCKET + "/*/test/*", BUCKET + "/test/object.jpg", False),
    (BUCKET + "/*/test/*", BUCKET + "/1-test/object.jpg", False),
    (BUCKET + "/*/test/*", BUCKET + "/1/2/test.jpg", False),
    # bucket and its objects
    ("arn:aws:s3:::b*", "arn:aws:s3:::b", True),
    ("arn:aws:s3:::b*", "arn:aws:s3:::b-logs", True),
    ("arn:aws:s3:::b*", "arn:aws:s3:::b/k", True),
    ("arn:aws:s3:::b*", "arn:aws:s3:::a", False),
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b", False),
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b/", True),
    ("arn:aws:s3:::b", "arn:aws:s3:::b", True),
    ("arn:aws:s3:::b", "arn:aws:s3:::b:", False),
    ("arn:aws:s3:::b", "arn:aws:S3:::b", False),  # case-sensitive
    ("arn:aws:s3:::B", "arn:aws:s3:::b", False),
    # wildcards in the first five fields never absorb a colon
    ("arn:aws:sqs:*:111122223333:q", "arn:aws:sqs:us-east-1:999988887777:x:111122223333:q", False),
    ("arn:aws:sqs:*:111122223333:q", "arn:aws:sqs:us-east-1:111122223333:q", True),
    ("arn:aws:sqs:*:111122223333:q", "arn:aws:sqs::111122223333:q", True),
    ("arn:aws:sqs:*:*:*", "arn:aws:sqs:a:b:c:d:e", True),
    ("arn:aws:s3:?::b", "arn:aws:s3::::b", False),
    ("arn:*:s3:::b", "arn:aws:x:s3:::b", False),
    # the resource field crosses colons and slashes
    ("arn:aws:logs:*:*:*", "arn:aws:logs:us-east-1:1:log-group:a:b/c", True),
    (
        "arn:aws:logs:*:*:log-group:*:log-stream:*",
        "arn:aws:logs:r:1:log-group:g:log-stream:s",
        True,
    ),
    (
        "arn:aws:logs:*:*:log-group:*:log-stream:*",
        "arn:aws:logs:r:1:log-group:g:log-streams",
        False,
    ),
    ("arn:aws:iam::*:role/*/admin", "arn:aws:iam::1:role/a/b/admin", True),
    ("arn:aws:iam::*:role/?/admin", "arn:aws:iam::1:role/a/b/admin", False),
    ("arn:aws:iam::*:role/?/admin", "arn:aws:iam::1:role/:/admin", True),
    # escaped colons belong to their field
    ("arn:aws:s3:::a\\:b", "arn:aws:s3:::a:b", True),
    ("arn\\:aws:s3:::a:b:c", "arn:aws:s3:::a:b:c", False),
    ("arn:aws:s3\\::::b", "arn:aws:s3\\::::b", False),  # an escaped colon never splits
    ("arn:aws:s3\\::::b", "arn:aws:s3:::::b", False),
    ("arn:aws:s3:::a\\*", "arn:aws:s3:::a*", True),
    ("arn:aws:s3:::a\\*", "arn:aws:s3:::ab", False),
    # field counts
    ("arn:aws:s3::", "arn:aws:s3::", False),  # five fields: matches nothing, itself included
    ("arn:aws:s3:::b:c:d", "arn:aws:s3:::b:c:d", True),  # seven: the resource keeps colons
    ("arn:*:*:*:*:*", "arn:aws:s3::", False),
    ("arn:*:*:*:*:*", "arn:::::", True),
    ("arn:*:*:*:*:*", "*", False),
    ("", "", False),
    ("", "arn:::::", False),
    # "*" (any number of stars) matches anything; the literal resource "*" needs it
    ("*", "*", True),
    ("**", "*", True),
    ("*", "", True),
    ("*", "not an arn", True),
    ("arn:aws:s3:::*", "*", False),
    ("\\*", "*", False),
    ("?", "*", False),
]


@twins
@pytest.mark.parametrize(("pattern", "arn", "expected"), ARN_EXAMPLES)
def test_arn_matches_any_examples(core, pattern, arn, expected):
    assert oracles.arn_match(pattern, arn) is expected  # the example obeys the spec
    arns = core.ArnPatternSet([pattern])
    assert arns.matches_any(arn) is expected
    assert arns.first_match(arn) == (0 if expected else -1)
    assert core.ArnPatternSet(["arn:aws:none:::x", pattern]).first_match(arn) == (
        1 if expected else -1
    )


@twins
def test_arn_first_match_reports_policy_order(core):
    arns = core.ArnPatternSet(["arn:aws:s3::", "arn:aws:s3:::b/*", "*", "arn:aws:s3:::*"])
    assert arns.first_match("arn:aws:s3:::b/k") == 1
    assert arns.first_match("arn:aws:s3:::c") == 2
    assert arns.first_match("*") == 2
    assert arns.first_match("x") == 2
    assert core.ArnPatternSet(["arn:aws:s3::"]).first_match("arn:aws:s3::") == -1


@twins
def test_arn_empty_and_any_all_examples(core):
    empty = core.ArnPatternSet([])
    assert empty.matches_any("*") is False
    assert empty.first_match("arn:aws:s3:::b") == -1
    assert empty.any_of([]) is False
    assert empty.all_of([]) is True
    assert len(empty) == 0
    arns = core.ArnPatternSet(["arn:aws:s3:::b/*"])
    assert arns.any_of(["arn:aws:s3:::b", "arn:aws:s3:::b/k"]) is True
    assert arns.all_of(["arn:aws:s3:::b", "arn:aws:s3:::b/k"]) is False
    assert arns.all_of(["arn:aws:s3:::b/j", "arn:aws:s3:::b/k"]) is True
    assert arns.any_of(iter(["arn:aws:s3:::c"])) is False
    assert arns.patterns == ("arn:aws:s3:::b/*",)
    assert len(core.ArnPatternSet(p for p in ["*", "x"])) == 2


def test_arn_repr_twins_agree():
    patterns = ["*", "arn:aws:s3:::b/*", "İ"]
    assert repr(COMPILED.ArnPatternSet(patterns)) == repr(TWIN.ArnPatternSet(patterns))
    assert repr(TWIN.ArnPatternSet(patterns)) == f"ArnPatternSet({patterns!r})"


# --- properties --------------------------------------------------------------------------


@twins
@examples(300)
@given(s.arn_case())
def test_arn_matches_any_agrees_with_oracle(core, case):
    patterns, texts = case
    arns = core.ArnPatternSet(patterns)
    for text in texts:
        expected = any(oracles.arn_match(p, text) for p in patterns)
        assert arns.matches_any(text) is expected
        assert arns.matches_any(text) is (arns.first_match(text) != -1)


@twins
@examples(200)
@given(s.arn_case())
def test_arn_first_match_agrees_with_oracle(core, case):
    patterns, texts = case
    arns = core.ArnPatternSet(patterns)
    for text in texts:
        expected = oracles.first_index(oracles.arn_match(p, text) for p in patterns)
        assert arns.first_match(text) == expected


@twins
@examples(150)
@given(s.arn_case())
def test_arn_any_of_all_of_agrees_with_oracle(core, case):
    patterns, texts = case
    arns = core.ArnPatternSet(patterns)
    matched = [any(oracles.arn_match(p, t) for p in patterns) for t in texts]
    assert arns.any_of(texts) is any(matched)
    assert arns.all_of(texts) is all(matched)
    assert arns.patterns == tuple(patterns)
    assert len(arns) == len(patterns)


@st.composite
def unicode_arn_case(draw):
    fields = draw(st.lists(s.unicode_patterns(max_pieces=3), min_size=5, max_size=7))
    pattern = ":".join(fields)
    text = draw(s.mutate(draw(s.expand(pattern, s.any_chars)), s.any_chars))
    return pattern, text


@twins
@examples(150)
@given(unicode_arn_case())
def test_arn_unicode_agrees_with_oracle(core, case):
    pattern, text = case
    arns = core.ArnPatternSet([pattern])
    assert arns.matches_any(text) is oracles.arn_match(pattern, text)
    assert arns.first_match(text) == (0 if oracles.arn_match(pattern, text) else -1)


arn_texts = st.one_of(st.text(s.small_chars, max_size=12), st.text(max_size=6), s.not_str)


@st.composite
def arn_twin_inputs(draw):
    if draw(st.integers(0, 4)) == 0:
        patterns = draw(st.one_of(st.lists(st.one_of(st.text(), s.not_str), max_size=3), s.not_str))
        texts = draw(st.lists(arn_texts, max_size=3))
        return patterns, texts
    patterns, texts = draw(s.arn_case())
    if draw(st.integers(0, 4)) == 0:
        texts.append(draw(s.not_str))
    return patterns, texts


@examples(200)
@given(arn_twin_inputs())
def test_arn_twins_agree(case):
    patterns, texts = case

    def run(core):
        built = outcome(lambda: core.ArnPatternSet(patterns))
        if built[0] == "raised":
            return [built]
        arns = built[1]
        results = [outcome(lambda: (arns.patterns, len(arns)))]
        for text in texts:
            results.append(outcome(lambda t=text: arns.matches_any(t)))
            results.append(outcome(lambda t=text: arns.first_match(t)))
        results.append(outcome(lambda: arns.any_of(texts)))
        results.append(outcome(lambda: arns.all_of(texts)))
        return results

    assert run(COMPILED) == run(TWIN)
