"""Hypothesis strategies for the matcher-core tests.

The central one is the near-miss generator: draw a pattern from pieces, expand it
into a text the pattern matches (each ``*`` becomes random text, each ``?`` one
random character), then mutate up to two characters. Half the cases are left
unmutated, so they match; the rest sit one or two edits away from a match, which
is where matchers go wrong.
"""

from __future__ import annotations

import functools
import json

from hypothesis import strategies as st

from .oracles import tokens

# Small alphabet: colon and slash (ARN separators), both cases, and characters whose
# case folding is unusual: "ß".upper() == "SS", "İ".lower() == "i̇" (two code
# points), "ẞ".lower() == "ß", and an astral character (a surrogate pair in UTF-16).
ASTRAL = "\U0001f600"
ALPHABET = "aAbBiIsS:/-é" + "ßẞİ" + ASTRAL
ALPHABET_NO_COLON = ALPHABET.replace(":", "")

# Strategies are built once and reused: building them inside every draw costs more
# than the tests themselves.
chars_of = functools.lru_cache(maxsize=None)(lambda alphabet: st.sampled_from(tuple(alphabet)))
small_chars = chars_of(ALPHABET)

# Any code point, lone surrogates included (st.characters() leaves them out).
any_chars = st.one_of(
    st.characters(),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    small_chars,
)

ESCAPED = ("\\*", "\\?", "\\\\", "\\a", "\\:", "\\/", "\\ß")

_booleans = st.booleans()
_edits = st.sampled_from(("insert", "delete", "replace"))
_case_changes = st.sampled_from(("keep", "upper", "lower"))
_star_text = functools.lru_cache(maxsize=None)(lambda chars: st.text(chars, max_size=4))


@functools.cache
def pattern_pieces(alphabet: str = ALPHABET) -> st.SearchStrategy[str]:
    escaped = tuple(e for e in ESCAPED if ":" in alphabet or e != "\\:")
    return st.one_of(
        st.just("*"),
        st.just("?"),
        st.sampled_from(escaped),
        st.text(chars_of(alphabet), min_size=1, max_size=4),
    )


@functools.cache
def patterns(
    alphabet: str = ALPHABET, max_pieces: int = 7, trailing_backslash: bool = True
) -> st.SearchStrategy[str]:
    """A pattern built from ``*``, ``?``, escapes and literal runs of ``alphabet``."""
    pieces = st.lists(pattern_pieces(alphabet), max_size=max_pieces).map("".join)
    if not trailing_backslash:
        return pieces
    # a lone trailing backslash is a literal backslash
    return st.tuples(pieces, st.integers(0, 9)).map(lambda t: t[0] + ("\\" if t[1] == 0 else ""))


_unicode_pieces = st.one_of(
    st.just("*"),
    st.just("?"),
    st.sampled_from(ESCAPED),
    st.text(any_chars, min_size=1, max_size=3),
)


@functools.cache
def unicode_patterns(max_pieces: int = 6) -> st.SearchStrategy[str]:
    """A pattern over all of Unicode, with wildcards and escapes mixed in."""
    return st.lists(_unicode_pieces, max_size=max_pieces).map("".join)


# Plain helpers taking ``draw``, so composites can call them without building strategies.


def expand_text(draw: st.DrawFn, pattern: str, chars: st.SearchStrategy[str] = small_chars) -> str:
    """A text that ``pattern`` matches (case-sensitively)."""
    out = []
    for token in tokens(pattern):
        if token == "*":
            out.append(draw(_star_text(chars)))
        elif token == "?":
            out.append(draw(chars))
        elif len(token) == 2:
            out.append(token[1])
        else:
            out.append(token)
    return "".join(out)


def mutate_text(
    draw: st.DrawFn, text: str, chars: st.SearchStrategy[str] = small_chars, max_edits: int = 2
) -> str:
    """``text`` unchanged half the time, else with 1 to ``max_edits`` random edits."""
    if draw(_booleans):
        return text
    for _ in range(draw(st.integers(1, max_edits))):
        edit = draw(_edits)
        if edit == "insert" or not text:
            i = draw(st.integers(0, len(text)))
            text = text[:i] + draw(chars) + text[i:]
        else:
            i = draw(st.integers(0, len(text) - 1))
            text = text[:i] + ("" if edit == "delete" else draw(chars)) + text[i + 1 :]
    return text


def flip_case_text(draw: st.DrawFn, text: str) -> str:
    """``text`` with some characters upper- or lower-cased (lengths may change: ß → SS)."""
    if not draw(_booleans):
        return text
    out = []
    for char in text:
        how = draw(_case_changes)
        out.append(char if how == "keep" else char.upper() if how == "upper" else char.lower())
    return "".join(out)


@st.composite
def expand(draw: st.DrawFn, pattern: str, chars: st.SearchStrategy[str] = small_chars) -> str:
    """A text that ``pattern`` matches (case-sensitively)."""
    return expand_text(draw, pattern, chars)


@st.composite
def mutate(draw: st.DrawFn, text: str, chars: st.SearchStrategy[str] = small_chars) -> str:
    """``text`` unchanged half the time, else with one or two random edits."""
    return mutate_text(draw, text, chars)


@st.composite
def flip_case(draw: st.DrawFn, text: str) -> str:
    """``text`` with some characters upper- or lower-cased."""
    return flip_case_text(draw, text)


@st.composite
def near_miss(
    draw: st.DrawFn, alphabet: str = ALPHABET, fold_case: bool = False
) -> tuple[str, str]:
    """(pattern, text): a matching text, mutated 0-2 times (and case-flipped if folding)."""
    pattern = draw(patterns(alphabet))
    text = mutate_text(draw, expand_text(draw, pattern), chars_of(alphabet))
    if fold_case:
        text = flip_case_text(draw, text)
    return pattern, text


@st.composite
def unicode_near_miss(draw: st.DrawFn) -> tuple[str, str]:
    """(pattern, text) over all of Unicode, lone surrogates included."""
    pattern = draw(unicode_patterns())
    text = expand_text(draw, pattern, any_chars)
    text = mutate_text(draw, text, any_chars)
    return pattern, flip_case_text(draw, text)


_small_text_8 = st.text(small_chars, max_size=8)


def text_near(draw: st.DrawFn, pattern_list: list[str], fold_case: bool = False) -> str:
    """A text near one of the patterns (or random text when there are none)."""
    if pattern_list and draw(st.integers(0, 4)) > 0:
        pattern = pattern_list[draw(st.integers(0, len(pattern_list) - 1))]
        text = mutate_text(draw, expand_text(draw, pattern))
    else:
        text = draw(_small_text_8)
    return flip_case_text(draw, text) if fold_case else text


# Shapes the GlobSet fast paths special-case: exact literals, `prefix*`, all stars,
# escaped stars and question marks that make a pattern look like those shapes.
SHAPED = (
    "*",
    "**",
    "a*",
    "a**",
    "a\\*",
    "a\\**",
    "*a",
    "a?",
    "a?*",
    "\\*",
    "\\?",
    "\\\\",
    "\\",
    "a\\",
    "A*",
    "ß*",
    "İ*",
    "ẞ",
    "",
    "a*b",
    "?*",
    "*?",
)

glob_set_patterns = st.lists(st.one_of(patterns(max_pieces=4), st.sampled_from(SHAPED)), max_size=5)


@st.composite
def glob_set_case(draw: st.DrawFn, fold_case: bool = False) -> tuple[list[str], list[str]]:
    """(patterns, texts) for a GlobSet, the texts near its patterns."""
    pattern_list = draw(glob_set_patterns)
    texts = [text_near(draw, pattern_list, fold_case) for _ in range(draw(st.integers(1, 4)))]
    return pattern_list, texts


# --- ARNs --------------------------------------------------------------------------------

PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "")
SERVICES = ("s3", "sqs", "iam", "logs", "")
REGIONS = ("", "us-east-1", "eu-west-3")
ACCOUNTS = ("", "111122223333", "999988887777")
RESOURCES = (
    "b",
    "b/k",
    "b/",
    "log-group:app",
    "log-group:app:log-stream:s1",
    "role/a/b",
    "*",
    "",
    "DOC-EXAMPLE-BUCKET/1/2/test/3/object.jpg",
    "q",
    "a:b:c",
)
_arn_prefixes = st.sampled_from(("arn", "arn", "ar?", "*", "Arn"))
_field_wildcards = st.sampled_from(("*", "?", "**"))
_odd_arn_patterns = st.sampled_from(("*", "**", "***", "", "arn", "arn:aws:s3:::", "\\*"))
_field_patterns = patterns(ALPHABET_NO_COLON, max_pieces=3, trailing_backslash=False)
_resource_patterns = patterns(ALPHABET, max_pieces=3, trailing_backslash=True)
_small_text_12 = st.text(small_chars, max_size=12)


def field_pattern(draw: st.DrawFn, known: tuple[str, ...], resource: bool) -> str:
    """One ARN field pattern: a known value, a wildcard variant of one, or random pieces."""
    how = draw(st.integers(0, 5))
    if how == 0:
        return "*"
    if how == 1:
        return draw(_resource_patterns if resource else _field_patterns)
    value = known[draw(st.integers(0, len(known) - 1))]
    if how == 2 and value:  # replace a slice of the value by a wildcard
        i = draw(st.integers(0, len(value)))
        j = draw(st.integers(i, len(value)))
        return value[:i] + draw(_field_wildcards) + value[j:]
    return value


def arn_pattern(draw: st.DrawFn) -> str:
    """An ARN pattern: six fields usually, sometimes all stars or the wrong field count."""
    how = draw(st.integers(0, 9))
    if how == 0:
        return draw(_odd_arn_patterns)
    if how == 1:  # four to seven fields (seven: the last two are one resource field)
        known = PARTITIONS + SERVICES + REGIONS
        count = draw(st.integers(4, 7))
        return ":".join(field_pattern(draw, known, False) for _ in range(count))
    fields = [
        draw(_arn_prefixes),
        field_pattern(draw, PARTITIONS, False),
        field_pattern(draw, SERVICES, False),
        field_pattern(draw, REGIONS, False),
        field_pattern(draw, ACCOUNTS, False),
        field_pattern(draw, RESOURCES, True),
    ]
    if draw(st.integers(0, 9)) == 0:  # an escaped colon merges two fields
        i = draw(st.integers(0, 4))
        fields[i : i + 2] = [fields[i] + "\\:" + fields[i + 1]]
    return ":".join(fields)


@st.composite
def arn_patterns(draw: st.DrawFn) -> str:
    return arn_pattern(draw)


def pick(draw: st.DrawFn, values: tuple[str, ...] | list[str]) -> str:
    return values[draw(st.integers(0, len(values) - 1))]


def arn_text_near(draw: st.DrawFn, pattern_list: list[str]) -> str:
    """An ARN-shaped text, often derived from one of the patterns, then mutated."""
    how = draw(st.integers(0, 5))
    if pattern_list and how == 5:  # the pattern read literally: backslashes and all
        text = pick(draw, pattern_list)
    elif pattern_list and how > 1:
        text = expand_text(draw, pick(draw, pattern_list))
    elif how == 1:
        known = (PARTITIONS, SERVICES, REGIONS, ACCOUNTS, RESOURCES)
        text = ":".join(["arn"] + [pick(draw, values) for values in known])
    else:
        text = draw(_small_text_12)
    return mutate_text(draw, text)


@st.composite
def arn_case(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """(patterns, texts) for an ArnPatternSet."""
    pattern_list = [arn_pattern(draw) for _ in range(draw(st.integers(0, 4)))]
    texts = [arn_text_near(draw, pattern_list) for _ in range(draw(st.integers(1, 4)))]
    return pattern_list, texts


# --- IP networks -------------------------------------------------------------------------


@st.composite
def ip_block(draw: st.DrawFn, version: int | None = None) -> tuple[int, int, int]:
    version = draw(st.sampled_from([4, 6])) if version is None else version
    bits = 32 if version == 4 else 128
    prefix = draw(st.integers(0, bits))
    network = draw(st.integers(0, 2**bits - 1))
    return version, network, prefix


@st.composite
def ip_address_near(draw: st.DrawFn, blocks: list[tuple[int, int, int]]) -> tuple[int, int]:
    """(version, address): inside, just outside, or at the edge of one of the blocks."""
    if blocks and draw(st.integers(0, 3)) > 0:
        version, network, prefix = draw(st.sampled_from(blocks))
        if draw(st.integers(0, 4)) == 0:
            version = 10 - version  # the other IP version
        bits = 32 if version == 4 else 128
        host_bits = max(0, bits - prefix)
        base = (network >> host_bits) << host_bits
        offset = draw(
            st.one_of(
                st.just(0),
                st.just((1 << host_bits) - 1),
                st.just(1 << host_bits),
                st.just(-1),
                st.integers(0, max(0, (1 << host_bits) - 1)),
            )
        )
        address = (base + offset) % (1 << bits)
        return version, address
    version = draw(st.sampled_from([4, 6]))
    return version, draw(st.integers(0, 2 ** (32 if version == 4 else 128) - 1))


# --- JSON --------------------------------------------------------------------------------

# Characters that matter to the member count: quotes, backslashes, colons, braces.
JSON_TRICKY = '"\\:{}[],' + "ab é" + ASTRAL
json_texts = st.one_of(
    st.text(st.sampled_from(JSON_TRICKY), max_size=30),
    st.text(any_chars, max_size=20),
)

json_keys = st.text(st.one_of(st.sampled_from('":\\{}'), any_chars), max_size=5)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    json_keys,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(json_keys, children, max_size=4)
    ),
    max_leaves=20,
)
json_documents = st.dictionaries(json_keys, json_values, max_size=5)


def json_dumps_variants(value: object) -> list[str]:
    """``value`` serialised compactly, indented and with non-ASCII kept as is."""
    return [
        json.dumps(value),
        json.dumps(value, separators=(",", ":")),
        json.dumps(value, indent=2, ensure_ascii=False),
    ]


# Non-str values to throw at the twins in the "twins agree" properties.
not_str = st.one_of(
    st.none(), st.integers(), st.binary(max_size=4), st.lists(st.text(max_size=2), max_size=2)
)
