"""Glob, GlobSet and escape: examples, oracle properties and twin agreement."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from . import oracles
from . import strategies as s
from .conftest import COMPILED, TWIN, TWINS, examples, outcome, twin_id

twins = pytest.mark.parametrize("core", TWINS, ids=twin_id)

I_DOT = "i\u0307"  # "İ".lower(): two code points


# --- Glob: examples ----------------------------------------------------------------------


@twins
def test_glob_docstring_examples(core):
    assert core.Glob("iam:*AccessKey*", fold_case=True).matches("IAM:CreateAccessKey") is True
    assert core.Glob("s3:Get?").matches("s3:GetObject") is False


GLOB_EXAMPLES = [
    # IAM action patterns
    ("iam:*AccessKey*", "iam:CreateAccessKey", False, True),
    ("iam:*AccessKey*", "iam:UpdateAccessKey", False, True),
    ("iam:*AccessKey*", "iam:AccessKey", False, True),
    ("iam:*AccessKey*", "iam:ListUsers", False, False),
    ("iam:*AccessKey*", "iam:createaccesskey", False, False),
    ("iam:*AccessKey*", "iam:createaccesskey", True, True),
    ("s3:Get?bject", "s3:GetObject", False, True),
    ("s3:Get?bject", "s3:Getobject", False, True),
    ("s3:Get?bject", "s3:GetObjects", False, False),
    ("s3:Get?bject", "s3:Getbject", False, False),
    ("s3:Get?", "s3:GetObject", False, False),
    ("s3:Get?", "s3:GetO", False, True),
    ("s3:Get*", "s3:Get", False, True),
    ("s3:*", "s3:", False, True),
    ("s3:*", "s4:GetObject", False, False),
    ("*", "", False, True),
    ("**", "", False, True),
    ("", "", False, True),
    ("", "a", False, False),
    ("?", "", False, False),
    ("*a*", "bbb", False, False),
    ("a*a", "a", False, False),  # first and last segment must not overlap
    ("a*a", "aa", False, True),
    ("ab*ba", "aba", False, False),
    ("*?*?*", "a", False, False),
    ("*?*?*", "ab", False, True),
    ("a?c*x?z", "abcxyz", False, True),
    ("a?c*x?z", "abcxz", False, False),
    ("*a?c*", "aXaYc", False, True),
    # astral characters are one character
    ("?", "\U0001f600", False, True),
    ("??", "\U0001f600", False, False),
    ("*\U0001f600?", "x\U0001f600\U0001f600", False, True),
    # escapes
    ("\\*", "*", False, True),
    ("\\*", "a", False, False),
    ("\\*", "", False, False),
    ("\\?", "?", False, True),
    ("\\?", "a", False, False),
    ("\\\\", "\\", False, True),
    ("\\\\*", "\\abc", False, True),
    ("\\a", "a", False, True),
    ("a\\", "a\\", False, True),  # a trailing lone backslash is literal
    ("a\\", "a", False, False),
    ("a\\**", "a*bc", False, True),
    ("a\\**", "abc", False, False),
    ("*\\?", "what?", False, True),
    ("*\\?", "what!", False, False),
    # case folding is str.lower() of both sides
    ("ß", "SS", True, False),
    ("ss", "ß", True, False),
    ("ẞ", "ß", True, True),
    ("İ", I_DOT, True, True),
    ("İ", "i", True, False),
    ("?", "İ", True, False),
    ("??", "İ", True, True),
    ("i?", "İ", True, True),
    ("?", "İ", False, True),
    ("İ*", I_DOT + "x", True, True),
    ("\\İ", I_DOT, True, True),
    ("É?", "éX", True, True),
]


@twins
@pytest.mark.parametrize(("pattern", "text", "fold_case", "expected"), GLOB_EXAMPLES)
def test_glob_matches_examples(core, pattern, text, fold_case, expected):
    assert oracles.glob(pattern, text, fold_case) is expected  # the example obeys the spec
    assert core.Glob(pattern, fold_case=fold_case).matches(text) is expected


@twins
def test_glob_properties_report_construction(core):
    glob = core.Glob("A*", fold_case=1)
    assert glob.pattern == "A*"
    assert glob.fold_case is True
    assert core.Glob("A*").fold_case is False
    assert core.Glob("A*", fold_case=0).fold_case is False


@pytest.mark.parametrize(
    ("pattern", "fold_case"), [("a*", False), ("İ?\\*", True), ("", False), ("a\\", True)]
)
def test_glob_repr_twins_agree(pattern, fold_case):
    assert repr(COMPILED.Glob(pattern, fold_case=fold_case)) == repr(
        TWIN.Glob(pattern, fold_case=fold_case)
    )
    assert repr(COMPILED.Glob(pattern, fold_case=fold_case)) == (
        f"Glob({pattern!r}, fold_case={fold_case})"
    )


# --- Glob: linearity ---------------------------------------------------------------------

A_100K = "a" * 100_000

LINEAR_CASES = [
    ("*a*a*a*a*a*a*a*a*a*b", A_100K, False),
    ("*a*a*a*a*a*a*a*a*a*b*", A_100K, False),
    ("*a?*a?*a?*a?*a?*a?*a?*a?*a?*b?*", A_100K, False),
    ("*a?a*a?a*a?a*a?a*a?a*a?a*a?a*a?a*a?a*b*", A_100K, False),
    ("*?a*a?*?a*a?*?a*a?*?a*b?", A_100K, False),
    ("*a*a*a*a*a*a*a*a*a*b", A_100K + "b", True),
    ("*a*a*a*a*a*a*a*a*a*b*", A_100K + "b", True),
    ("*a?*a?*a?*a?*a?*a?*a?*a?*a?*b?*", A_100K + "bx", True),
    ("*a?a*a?a*a?a*a?a*a?a*a?a*a?a*a?a*a?a*b*", A_100K + "b", True),
    # A run of `?` between literals: trying every alignment costs the run's length per character.
    ("*a" + "?" * 4000 + "b*c", "a" * 400_000 + "c", False),
    ("*a" + "?" * 4000 + "b*c", "a" * 400_000 + "bc", True),
    ("*" + "a" * 3000 + "?b*", "a" * 200_000, False),
]


@twins
@pytest.mark.parametrize(("pattern", "text", "expected"), LINEAR_CASES)
def test_glob_linear_on_adversarial_text(core, pattern, text, expected):
    # A backtracking matcher takes visibly long here; the answer must still be right.
    assert core.Glob(pattern).matches(text) is expected
    assert core.Glob(pattern, fold_case=True).matches(text) is expected
    assert core.GlobSet(["x", pattern]).matches_any(text) is expected


# --- Glob: properties --------------------------------------------------------------------

fold_and_near_miss = st.booleans().flatmap(
    lambda fold: st.tuples(st.just(fold), s.near_miss(fold_case=fold))
)


@twins
@examples(300)
@given(fold_and_near_miss)
def test_glob_matches_agrees_with_oracle(core, case):
    fold_case, (pattern, text) = case
    expected = oracles.glob(pattern, text, fold_case)
    assert core.Glob(pattern, fold_case=fold_case).matches(text) is expected


@twins
@examples(200)
@given(st.booleans(), s.unicode_near_miss())
def test_glob_matches_unicode_agrees_with_oracle(core, fold_case, case):
    pattern, text = case
    expected = oracles.glob(pattern, text, fold_case)
    assert core.Glob(pattern, fold_case=fold_case).matches(text) is expected


@twins
@given(st.booleans(), st.text(), st.text())
def test_glob_matches_random_text_agrees_with_oracle(core, fold_case, pattern, text):
    expected = oracles.glob(pattern, text, fold_case)
    assert core.Glob(pattern, fold_case=fold_case).matches(text) is expected


glob_inputs = st.one_of(s.patterns(), s.unicode_patterns(), st.text(), s.not_str)


@examples(300)
@given(st.booleans(), glob_inputs, st.one_of(st.text(s.small_chars), st.text(), s.not_str))
def test_glob_twins_agree(fold_case, pattern, text):
    def run(core):
        return outcome(lambda: core.Glob(pattern, fold_case=fold_case).matches(text))

    assert run(COMPILED) == run(TWIN)


@given(fold_and_near_miss)
def test_glob_twins_agree_near_miss(case):
    fold_case, (pattern, text) = case
    assert COMPILED.Glob(pattern, fold_case=fold_case).matches(text) == TWIN.Glob(
        pattern, fold_case=fold_case
    ).matches(text)


# --- GlobSet: examples -------------------------------------------------------------------


@twins
def test_globset_docstring_examples(core):
    actions = core.GlobSet(["s3:GetObject", "kms:GenerateDataKey*"], fold_case=True)
    assert actions.matches_any("kms:generatedatakeypair") is True
    assert actions.first_match("s3:PutObject") == -1


@twins
def test_globset_first_match_reports_policy_order(core):
    globs = core.GlobSet(["s3:Put*", "s3:Get*", "s3:GetObject", "*"])
    assert globs.first_match("s3:GetObject") == 1
    assert globs.first_match("s3:PutObject") == 0
    assert globs.first_match("ec2:RunInstances") == 3
    assert core.GlobSet(["s3:GetObject", "s3:*"]).first_match("s3:GetObject") == 0


@twins
def test_globset_empty_matches_nothing(core):
    empty = core.GlobSet([])
    assert empty.matches_any("") is False
    assert empty.first_match("a") == -1
    assert empty.any_of(["a", ""]) is False
    assert empty.all_of(["a"]) is False
    assert empty.all_of([]) is True  # vacuous truth, like ForAllValues
    assert empty.any_of([]) is False
    assert len(empty) == 0


@twins
def test_globset_any_of_all_of_examples(core):
    globs = core.GlobSet(["s3:Get*", "s3:ListBucket"])
    assert globs.any_of(["ec2:Run", "s3:GetObject"]) is True
    assert globs.any_of(["ec2:Run", "s3:PutObject"]) is False
    assert globs.all_of(["s3:GetObject", "s3:ListBucket"]) is True
    assert globs.all_of(["s3:GetObject", "s3:ListBuckets"]) is False


@twins
def test_globset_accepts_any_iterable_of_str(core):
    from_generator = core.GlobSet(p for p in ["a*", "b"])
    assert from_generator.patterns == ("a*", "b")
    assert len(from_generator) == 2
    assert core.GlobSet({"x": 1}).patterns == ("x",)
    assert core.GlobSet(("A",), fold_case=True).fold_case is True
    assert core.GlobSet(("a*", "b")).any_of(iter(["c", "b"])) is True


@twins
@pytest.mark.parametrize("pattern", s.SHAPED)
@pytest.mark.parametrize("fold_case", [False, True], ids=["exact", "fold"])
def test_globset_shaped_patterns_match_like_their_glob(core, pattern, fold_case):
    # exact literals, `prefix*` and all-star patterns take fast paths in GlobSet
    texts = ["", "a", "A", "ab", "a*", "a*b", "a?", "*", "?", "\\", "a\\", "ß", "SS", "ẞ", I_DOT]
    glob = core.Glob(pattern, fold_case=fold_case)
    globs = core.GlobSet([pattern], fold_case=fold_case)
    for text in texts:
        expected = oracles.glob(pattern, text, fold_case)
        assert glob.matches(text) is expected, text
        assert globs.matches_any(text) is expected, text
        assert globs.first_match(text) == (0 if expected else -1), text


@pytest.mark.parametrize("fold_case", [False, True])
def test_globset_repr_twins_agree(fold_case):
    patterns = ["a*", "İ", "\\*"]
    assert repr(COMPILED.GlobSet(patterns, fold_case=fold_case)) == repr(
        TWIN.GlobSet(patterns, fold_case=fold_case)
    )


# --- GlobSet: properties -----------------------------------------------------------------

fold_and_set_case = st.booleans().flatmap(
    lambda fold: st.tuples(st.just(fold), s.glob_set_case(fold_case=fold))
)


@twins
@examples(200)
@given(fold_and_set_case)
def test_globset_first_match_agrees_with_oracle(core, case):
    fold_case, (patterns, texts) = case
    globs = core.GlobSet(patterns, fold_case=fold_case)
    singles = [core.Glob(p, fold_case=fold_case) for p in patterns]
    for text in texts:
        expected = oracles.first_index(oracles.glob(p, text, fold_case) for p in patterns)
        assert globs.first_match(text) == expected
        assert globs.first_match(text) == oracles.first_index(g.matches(text) for g in singles)


@twins
@examples(200)
@given(fold_and_set_case)
def test_globset_matches_any_agrees_with_oracle(core, case):
    fold_case, (patterns, texts) = case
    globs = core.GlobSet(patterns, fold_case=fold_case)
    for text in texts:
        expected = any(oracles.glob(p, text, fold_case) for p in patterns)
        assert globs.matches_any(text) is expected
        assert globs.matches_any(text) is (globs.first_match(text) != -1)


@twins
@examples(150)
@given(fold_and_set_case)
def test_globset_any_of_all_of_agrees_with_oracle(core, case):
    fold_case, (patterns, texts) = case
    globs = core.GlobSet(patterns, fold_case=fold_case)
    matched = [any(oracles.glob(p, t, fold_case) for p in patterns) for t in texts]
    assert globs.any_of(texts) is any(matched)
    assert globs.all_of(texts) is all(matched)
    assert globs.patterns == tuple(patterns)
    assert len(globs) == len(patterns)


@twins
@examples(150)
@given(st.booleans(), st.lists(s.unicode_patterns(max_pieces=4), max_size=4), st.data())
def test_globset_unicode_agrees_with_oracle(core, fold_case, patterns, data):
    globs = core.GlobSet(patterns, fold_case=fold_case)
    texts = [data.draw(s.flip_case(data.draw(s.expand(p, s.any_chars)))) for p in patterns]
    texts.append(data.draw(st.text()))
    for text in texts:
        expected = oracles.first_index(oracles.glob(p, text, fold_case) for p in patterns)
        assert globs.first_match(text) == expected
        assert globs.matches_any(text) is (expected != -1)


set_texts = st.one_of(st.text(s.small_chars, max_size=6), st.text(max_size=4), s.not_str)


@examples(200)
@given(
    st.booleans(),
    st.one_of(
        s.glob_set_patterns, st.lists(st.one_of(st.text(), s.not_str), max_size=3), s.not_str
    ),
    st.lists(set_texts, max_size=4),
)
def test_globset_twins_agree(fold_case, patterns, texts):
    def run(core):
        built = outcome(lambda: core.GlobSet(patterns, fold_case=fold_case))
        if built[0] == "raised":
            return [built]
        globs = built[1]
        results = [outcome(lambda: (globs.patterns, len(globs), globs.fold_case))]
        for text in texts:
            results.append(outcome(lambda t=text: globs.matches_any(t)))
            results.append(outcome(lambda t=text: globs.first_match(t)))
        results.append(outcome(lambda: globs.any_of(texts)))
        results.append(outcome(lambda: globs.all_of(texts)))
        return results

    assert run(COMPILED) == run(TWIN)


# --- escape ------------------------------------------------------------------------------


@twins
def test_escape_examples(core):
    assert core.escape("a*b?c\\") == "a\\*b\\?c\\\\"
    assert core.escape("${*}") == "${\\*}"
    assert core.escape("plain:text/ß") == "plain:text/ß"
    assert core.escape("") == ""
    assert core.Glob(core.escape("a*")).matches("abc") is False
    assert core.Glob(core.escape("a*")).matches("a*") is True


@twins
@examples(150)
@given(st.text(s.any_chars), st.data())
def test_escape_glob_matches_only_its_text(core, text, data):
    pattern = core.escape(text)
    assert core.Glob(pattern).matches(text) is True
    other = data.draw(st.one_of(s.mutate(text, s.any_chars), s.flip_case(text), st.text()))
    assert core.Glob(pattern).matches(other) is (other == text)
    assert core.Glob(pattern, fold_case=True).matches(other) is (other.lower() == text.lower())
    assert core.GlobSet([pattern]).matches_any(other) is (other == text)


@twins
@examples(100)
@given(st.text(st.one_of(st.sampled_from("*?\\"), s.small_chars)), st.data())
def test_escape_agrees_with_oracle(core, text, data):
    pattern = core.escape(text)
    other = data.draw(st.one_of(st.just(text), s.mutate(text)))
    assert oracles.glob(pattern, other) is (other == text)
    assert core.Glob(pattern).matches(other) is oracles.glob(pattern, other)


@given(st.one_of(st.text(), s.not_str))
def test_escape_twins_agree(value):
    assert outcome(lambda: COMPILED.escape(value)) == outcome(lambda: TWIN.escape(value))


# ----- the prefix table: many prefix* patterns decided by one cut per prefix length -----

_prefix_alphabet = st.sampled_from("ab-/")


@twins
@examples(300)
@given(prefixes=st.lists(st.text(_prefix_alphabet, max_size=6), max_size=60),
       others=st.lists(st.text(st.sampled_from("ab-/*?"), max_size=5), max_size=4),
       text=st.text(_prefix_alphabet, max_size=8), fold_case=st.booleans())
def test_globset_prefix_table_agrees_with_oracle(core, prefixes, others, text, fold_case):
    patterns = [p + "*" for p in prefixes] + others
    expected = any(oracles.glob(p, text, fold_case=fold_case) for p in patterns)
    assert core.GlobSet(patterns, fold_case=fold_case).matches_any(text) is expected


@twins
@pytest.mark.parametrize("count", [1, 10, 1000, 10_000])
def test_globset_prefix_table_many_buckets(core, count):
    arns = core.ArnPatternSet([f"arn:aws:s3:::bucket-{n}/*" for n in range(count)])
    assert arns.matches_any(f"arn:aws:s3:::bucket-{count - 1}/key") is True
    assert arns.matches_any(f"arn:aws:s3:::bucket-{count}/key") is False
    assert arns.matches_any("arn:aws:s3:::bucket-0") is False
    actions = core.GlobSet([f"svc{n}:Get*" for n in range(count)], fold_case=True)
    assert actions.matches_any(f"SVC{count - 1}:GetThing") is True
    assert actions.matches_any(f"svc{count}:GetThing") is False


# ----- segments with `?` longer than one word of the bit-parallel scan -----

_long_alphabet = st.sampled_from("ab\u00e9")


@twins
@examples(200)
@given(head=st.text(_long_alphabet, max_size=3),
       segment=st.lists(st.sampled_from(["a", "b", "?", "\u00e9"]), min_size=50, max_size=140).map("".join),
       text=st.text(_long_alphabet, min_size=40, max_size=700), fold_case=st.booleans())
def test_glob_long_segments_agree_with_oracle(core, head, segment, text, fold_case):
    pattern = f"{head}*{segment}*"
    expected = oracles.glob(pattern, text, fold_case=fold_case)
    assert core.Glob(pattern, fold_case=fold_case).matches(text) is expected
    # Somewhere in the text's middle, as found by the scan (the text itself holds the segment's shape).
    placed = text[: len(text) // 2] + segment.replace("?", "b") + text[len(text) // 2:]
    assert core.Glob(f"*{segment}*", fold_case=fold_case).matches(placed) is True


@twins
@examples(200)
@given(runs=st.lists(st.integers(0, 70), min_size=2, max_size=4),
       letters=st.lists(st.sampled_from(["a", "b", "\u00e9"]), min_size=1, max_size=3),
       text=st.text(_long_alphabet, max_size=500), fold_case=st.booleans())
def test_glob_mostly_question_marks_agree_with_oracle(core, runs, letters, text, fold_case):
    # Runs of `?` between a few letters: read as fixed-width gaps when the letters are that few.
    segment = "?" * runs[0] + "".join(letter + "?" * run for letter, run in zip(letters, runs[1:], strict=False))
    pattern = f"*{segment}*"
    expected = oracles.glob(pattern, text, fold_case=fold_case)
    assert core.Glob(pattern, fold_case=fold_case).matches(text) is expected
    assert core.Glob(f"x*{segment}", fold_case=fold_case).matches("x" + text) is oracles.glob(
        f"x*{segment}", "x" + text, fold_case=fold_case)
