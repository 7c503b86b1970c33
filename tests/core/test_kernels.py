"""IpNetworkSet and json_member_count: examples, oracle properties and twin agreement."""

from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from . import oracles
from . import strategies as s
from .conftest import COMPILED, TWIN, TWINS, examples, outcome, twin_id

twins = pytest.mark.parametrize("core", TWINS, ids=twin_id)


def v4(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def v6(text: str) -> int:
    return int(ipaddress.IPv6Address(text))


# --- IpNetworkSet: examples --------------------------------------------------------------


@twins
def test_ipnetworkset_docstring_examples(core):
    nets = core.IpNetworkSet([(4, 0xCB007100, 24)])
    assert (nets.contains(4, 0xCB00712D), nets.contains(6, 0xCB00712D)) == (True, False)


IP_EXAMPLES = [
    # (blocks, version, address, expected)
    ([(4, v4("192.168.0.0"), 16)], 4, v4("192.168.255.255"), True),
    ([(4, v4("192.168.0.0"), 16)], 4, v4("192.168.0.0"), True),
    ([(4, v4("192.168.0.0"), 16)], 4, v4("192.169.0.0"), False),
    ([(4, v4("192.168.0.0"), 16)], 4, v4("192.167.255.255"), False),
    ([(4, v4("192.168.1.77"), 24)], 4, v4("192.168.1.1"), True),  # host bits ignored
    ([(4, v4("10.0.0.1"), 32)], 4, v4("10.0.0.1"), True),
    ([(4, v4("10.0.0.1"), 32)], 4, v4("10.0.0.2"), False),
    ([(4, v4("255.255.255.255"), 32)], 4, v4("255.255.255.255"), True),
    ([(4, 0, 0)], 4, v4("255.255.255.255"), True),
    ([(4, 0, 0)], 6, 0, False),  # never across versions
    ([(6, 0, 0)], 4, 0, False),
    ([(6, 0, 0)], 6, 2**128 - 1, True),
    ([(6, v6("2001:db8::"), 32)], 6, v6("2001:db8:ffff::1"), True),
    ([(6, v6("2001:db8::"), 32)], 6, v6("2001:db9::"), False),
    ([(6, v6("2001:db8::1"), 128)], 6, v6("2001:db8::1"), True),
    ([(6, v6("::ffff:0:0"), 96)], 6, v6("::ffff:10.0.0.1"), True),
    ([(6, v6("::ffff:0:0"), 96)], 4, v4("10.0.0.1"), False),  # v4-mapped is still v6
    ([(4, v4("10.0.0.0"), 8), (6, v6("fe80::"), 10)], 6, v6("fe80::1"), True),
    ([(4, v4("10.0.0.0"), 8), (6, v6("fe80::"), 10)], 4, v4("11.0.0.0"), False),
    ([], 4, 0, False),
]


@twins
@pytest.mark.parametrize(("blocks", "version", "address", "expected"), IP_EXAMPLES)
def test_ipnetworkset_contains_examples(core, blocks, version, address, expected):
    assert oracles.ip_contains(blocks, version, address) is expected
    nets = core.IpNetworkSet(blocks)
    assert nets.contains(version, address) is expected
    assert len(nets) == len(blocks)


IP_ERRORS = [
    ([(5, 0, 0)], ValueError, "IP version must be 4 or 6"),
    ([(4.0, 0, 0)], ValueError, "IP version must be 4 or 6"),
    ([(4, 0, 33)], ValueError, "prefix length must be between 0 and 32"),
    ([(4, 0, -1)], ValueError, "prefix length must be between 0 and 32"),
    ([(6, 0, 129)], ValueError, "prefix length must be between 0 and 128"),
    ([(4, 2**32, 32)], ValueError, "network must be an unsigned 32-bit integer"),
    ([(4, -1, 32)], ValueError, "network must be an unsigned 32-bit integer"),
    ([(6, 2**128, 0)], ValueError, "network must be an unsigned 128-bit integer"),
    ([[4, 0, 0]], TypeError, "`blocks` must hold (version, network, prefix_length) tuples"),
    ([(4, 0)], TypeError, "`blocks` must hold (version, network, prefix_length) tuples"),
]


@twins
@pytest.mark.parametrize(("blocks", "error", "text"), IP_ERRORS)
def test_ipnetworkset_rejects_bad_blocks(core, blocks, error, text):
    with pytest.raises(error) as info:
        core.IpNetworkSet(blocks)
    assert str(info.value) == text


@twins
def test_ipnetworkset_accepts_largest_networks(core):
    nets = core.IpNetworkSet([(4, 2**32 - 1, 32), (6, 2**128 - 1, 128)])
    assert nets.contains(4, 2**32 - 1) is True
    assert nets.contains(6, 2**128 - 1) is True
    assert nets.contains(6, 2**128 - 2) is False


@twins
def test_ipnetworkset_contains_rejects_non_int(core):
    nets = core.IpNetworkSet([(4, 0, 0)])
    for version, address in [(4, 1.0), ("4", 1), (4, "10.0.0.1"), (None, 1)]:
        with pytest.raises(TypeError) as info:
            nets.contains(version, address)
        assert str(info.value) == "`version` and `address` must be int"


# --- IpNetworkSet: properties ------------------------------------------------------------


@st.composite
def ip_case(draw):
    blocks = draw(st.lists(s.ip_block(), max_size=4))
    queries = draw(st.lists(s.ip_address_near(blocks), min_size=1, max_size=4))
    return blocks, queries


@twins
@examples(200)
@given(ip_case())
def test_ipnetworkset_contains_agrees_with_oracle(core, case):
    blocks, queries = case
    nets = core.IpNetworkSet(blocks)
    for version, address in queries:
        assert nets.contains(version, address) is oracles.ip_contains(blocks, version, address)


any_int = st.one_of(
    st.integers(-2, 2), st.integers(), st.integers(2**31, 2**33), st.integers(2**127, 2**129)
)
odd_value = st.one_of(any_int, st.sampled_from([4, 6, 5, 0, True, 4.0, None, "4"]))
maybe_block = st.one_of(
    s.ip_block(),
    st.tuples(odd_value, odd_value, odd_value),
    st.tuples(st.sampled_from([4, 6]), any_int, st.integers(-1, 130)),
    st.lists(st.integers(0, 6), max_size=3),
    s.not_str,
)


@examples(200)
@given(
    st.one_of(st.lists(maybe_block, max_size=3), s.not_str),
    st.lists(st.tuples(odd_value, odd_value), min_size=1, max_size=3),
)
def test_ipnetworkset_twins_agree(blocks, queries):
    def run(core):
        built = outcome(lambda: core.IpNetworkSet(blocks))
        if built[0] == "raised":
            return [built]
        nets = built[1]
        return [outcome(lambda: len(nets))] + [
            outcome(lambda v=v, a=a: nets.contains(v, a)) for v, a in queries
        ]

    assert run(COMPILED) == run(TWIN)


# --- json_member_count: examples ---------------------------------------------------------

JSON_EXAMPLES = [
    ('{"a": "x:y", "b": {"c": 1}}', 3),
    ("{}", 0),
    ("[]", 0),
    ('{"a":1}', 1),
    ('{"a:b":"c:d"}', 1),
    ('{"a\\"": 1}', 1),  # escaped quote inside a key
    ('{"a\\\\": 1}', 1),  # escaped backslash closes nothing
    ('{"a\\\\":"b\\":"}', 1),
    ('{"a": {"b": {"c": {}}}, "d": [{"e": 1}, {"f": 2, "g": 3}]}', 7),
    ('{"a": 1, "a": 2}', 2),  # duplicate keys are counted, that is the point
    ('"abc:', 0),  # unterminated string runs to the end
    ('"\\', 0),
    (":", 1),
    ('"":', 1),
    ("", 0),
    ('{"é\U0001f600": "\\u0022:"}', 1),
]


@twins
@pytest.mark.parametrize(("text", "expected"), JSON_EXAMPLES)
def test_json_member_count_examples(core, text, expected):
    assert oracles.member_count(text) == expected  # the example obeys the spec
    assert core.json_member_count(text) == expected
    assert core.json_member_count(text.encode("utf-8")) == expected


@twins
def test_json_member_count_docstring_example(core):
    assert core.json_member_count(b'{"a": "x:y", "b": {"c": 1}}') == 3


@twins
@pytest.mark.parametrize("value", [bytearray(b"{}"), memoryview(b"{}"), None, 1, ["{}"]])
def test_json_member_count_rejects_other_types(core, value):
    with pytest.raises(TypeError) as info:
        core.json_member_count(value)
    assert str(info.value) == f"`data` must be bytes or str, got {type(value).__name__}"


# --- json_member_count: properties -------------------------------------------------------


@twins
@examples(200)
@given(s.json_texts)
def test_json_member_count_agrees_with_oracle(core, text):
    expected = oracles.member_count(text)
    assert core.json_member_count(text) == expected
    # structural characters are ASCII, so UTF-8 bytes count the same
    assert core.json_member_count(text.encode("utf-8", "surrogatepass")) == expected


@twins
@given(st.binary(max_size=40))
def test_json_member_count_bytes_agrees_with_oracle(core, data):
    assert core.json_member_count(data) == oracles.member_count(data)


@twins
@given(s.json_documents)
def test_json_member_count_counts_dict_members(core, document):
    expected = oracles.dict_members(document)
    for text in s.json_dumps_variants(document):
        assert json.loads(text) == document
        assert core.json_member_count(text) == expected
        assert core.json_member_count(text.encode("utf-8", "surrogatepass")) == expected


# Quotes, backslashes, colons and blanks, densely: where a scan that jumps between quotes
# could lose its place.
_JSON_PUNCTUATION = st.text(alphabet='"\\: \t\n\rab{}\u00e9\U0001f600', max_size=60)


@twins
@given(_JSON_PUNCTUATION)
def test_json_scans_agree_with_oracles_on_punctuation(core, text):
    data = text.encode("utf-8")
    assert core.json_member_count(text) == core.json_member_count(data) == oracles.member_count(text)
    assert core.json_whitespace_count(text) == core.json_whitespace_count(data) == oracles.whitespace_count(text)


@twins
@pytest.mark.parametrize(("text", "expected"), [
    ('{"a b": [1, 2]}', 2),
    ("{\n\t\"a\" :\r\n 1 }", 7),
    ('"  \\"  " x', 1),  # an escaped quote does not end the string
    ('"\\\\" \t', 2),  # an escaped backslash does not escape the quote
    ('" never closed  ', 0),
    ("\u00a0 \u2003", 1),  # only JSON's four whitespace characters count
    ("", 0),
])
def test_json_whitespace_count_examples(core, text, expected):
    assert oracles.whitespace_count(text) == expected  # the example obeys the spec
    assert core.json_whitespace_count(text) == expected
    assert core.json_whitespace_count(text.encode("utf-8")) == expected


@twins
@examples(200)
@given(s.json_texts)
def test_json_whitespace_count_agrees_with_oracle(core, text):
    expected = oracles.whitespace_count(text)
    assert core.json_whitespace_count(text) == expected
    assert core.json_whitespace_count(text.encode("utf-8", "surrogatepass")) == expected


@given(st.one_of(s.json_texts, st.binary(max_size=20), s.not_str, st.builds(bytearray)))
def test_json_whitespace_count_twins_agree(data):
    assert outcome(lambda: COMPILED.json_whitespace_count(data)) == outcome(
        lambda: TWIN.json_whitespace_count(data)
    )


@given(st.one_of(s.json_texts, st.binary(max_size=20), s.not_str, st.builds(bytearray)))
def test_json_member_count_twins_agree(data):
    assert outcome(lambda: COMPILED.json_member_count(data)) == outcome(
        lambda: TWIN.json_member_count(data)
    )


@twins
@given(s.json_documents)
def test_decoded_member_count_agrees_with_oracle(core, document):
    assert core.decoded_member_count(document) == oracles.dict_members(document)


@twins
def test_decoded_member_count_ignores_scalars_and_takes_any_depth(core):
    assert core.decoded_member_count("x") == 0
    assert core.decoded_member_count([1, "a", None]) == 0
    deep: object = {"k": 1}
    for _ in range(5000):
        deep = [deep]
    assert core.decoded_member_count(deep) == 1
