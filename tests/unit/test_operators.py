"""qiam.operators: the operator table, operator names and value coercions (semantics.md §3.3)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qiam._impl import current
from qiam.operators import (
    FOR_ALL_VALUES,
    FOR_ANY_VALUE,
    OPERATORS,
    Family,
    Operator,
    OperatorNameError,
    condition_value_text,
    parse_binary,
    parse_bool,
    parse_cidr,
    parse_date,
    parse_ip,
    parse_number,
    parse_operator,
)

# The catalogue of semantics.md §3.3: name -> (family, negated)
CATALOGUE: dict[str, tuple[Family, bool]] = {
    "StringEquals": (Family.STRING, False),
    "StringNotEquals": (Family.STRING, True),
    "StringEqualsIgnoreCase": (Family.STRING_IGNORE_CASE, False),
    "StringNotEqualsIgnoreCase": (Family.STRING_IGNORE_CASE, True),
    "StringLike": (Family.STRING_LIKE, False),
    "StringNotLike": (Family.STRING_LIKE, True),
    "NumericEquals": (Family.NUMERIC, False),
    "NumericNotEquals": (Family.NUMERIC, True),
    "NumericLessThan": (Family.NUMERIC, False),
    "NumericLessThanEquals": (Family.NUMERIC, False),
    "NumericGreaterThan": (Family.NUMERIC, False),
    "NumericGreaterThanEquals": (Family.NUMERIC, False),
    "DateEquals": (Family.DATE, False),
    "DateNotEquals": (Family.DATE, True),
    "DateLessThan": (Family.DATE, False),
    "DateLessThanEquals": (Family.DATE, False),
    "DateGreaterThan": (Family.DATE, False),
    "DateGreaterThanEquals": (Family.DATE, False),
    "Bool": (Family.BOOL, False),
    "BinaryEquals": (Family.BINARY, False),
    "IpAddress": (Family.IP, False),
    "NotIpAddress": (Family.IP, True),
    "ArnEquals": (Family.ARN, False),
    "ArnLike": (Family.ARN, False),
    "ArnNotEquals": (Family.ARN, True),
    "ArnNotLike": (Family.ARN, True),
    "Null": (Family.NULL, False),
}
WITH_IFEXISTS = sorted(set(CATALOGUE) - {"Null"})

NS = 1_000_000_000
Y2020 = 1_577_836_800 * NS  # 2020-01-01T00:00:00Z in nanoseconds


def nanos(*args: int) -> int:
    moment = datetime(*args, tzinfo=UTC)  # type: ignore[misc]
    return int(moment.timestamp()) * NS


# ----- parse_operator -----


def test_parse_operator_table_is_the_catalogue() -> None:
    assert set(OPERATORS) == set(CATALOGUE)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_parse_operator_every_name(name: str) -> None:
    operator = parse_operator(name)
    assert isinstance(operator, Operator)
    assert operator.spec.name == name
    assert (operator.spec.family, operator.spec.negated) == CATALOGUE[name]
    assert operator.set_prefix is None
    assert operator.if_exists is False
    assert operator.text == name


@pytest.mark.parametrize("name", WITH_IFEXISTS)
def test_parse_operator_ifexists(name: str) -> None:
    operator = parse_operator(name + "IfExists")
    assert isinstance(operator, Operator)
    assert operator.spec.name == name
    assert operator.if_exists is True
    assert operator.set_prefix is None


@pytest.mark.parametrize("prefix", [FOR_ALL_VALUES, FOR_ANY_VALUE])
@pytest.mark.parametrize("name", WITH_IFEXISTS)
def test_parse_operator_set_prefixes(prefix: str, name: str) -> None:
    operator = parse_operator(f"{prefix}:{name}")
    assert isinstance(operator, Operator)
    assert (operator.set_prefix, operator.spec.name, operator.if_exists) == (prefix, name, False)
    operator = parse_operator(f"{prefix}:{name}IfExists")
    assert isinstance(operator, Operator)
    assert (operator.set_prefix, operator.spec.name, operator.if_exists) == (prefix, name, True)


def test_parse_operator_set_prefix_constants() -> None:
    assert (FOR_ALL_VALUES, FOR_ANY_VALUE) == ("ForAllValues", "ForAnyValue")


def test_parse_operator_spec_compare_kinds() -> None:
    for name, symbol in [
        ("NumericEquals", "=="),
        ("NumericLessThan", "<"),
        ("NumericLessThanEquals", "<="),
        ("NumericGreaterThan", ">"),
        ("NumericGreaterThanEquals", ">="),
        ("DateLessThan", "<"),
        ("DateGreaterThanEquals", ">="),
    ]:
        assert OPERATORS[name].compare.value == symbol, name


def test_parse_operator_variables_and_wildcards_flags() -> None:
    readers = {n for n, s in OPERATORS.items() if s.variables}
    assert readers == {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
    }
    wildcards = {n for n, s in OPERATORS.items() if s.wildcards}
    assert wildcards == {
        "StringLike",
        "StringNotLike",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
    }


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("StringEqual", "StringEquals"),
        ("stringequals", "StringEquals"),
        ("StringEqualsIgnorecase", "StringEqualsIgnoreCase"),
        ("NumericLessThen", "NumericLessThan"),
        ("IPAddress", "IpAddress"),
        ("BoolIfexists", "BoolIfExists"),
    ],
)
def test_parse_operator_unknown_with_suggestion(text: str, suggestion: str) -> None:
    error = parse_operator(text)
    assert isinstance(error, OperatorNameError)
    assert error.code == "unknown-operator"
    assert text in error.message
    assert error.hint is not None and f"`{suggestion}`" in error.hint


def test_parse_operator_unknown_without_suggestion() -> None:
    error = parse_operator("Frobnicate")
    assert isinstance(error, OperatorNameError)
    assert error.code == "unknown-operator"
    assert error.hint is None


@pytest.mark.parametrize("text", ["IfExists", "", "StringEqualsIfExistsIfExists", "ForAllValues:"])
def test_parse_operator_degenerate_names(text: str) -> None:
    assert isinstance(parse_operator(text), OperatorNameError)


@pytest.mark.parametrize(
    "text",
    [
        "forallvalues:StringEquals",
        "ForAllValue:StringEquals",
        "ForEach:StringEquals",
        "FORANYVALUE:StringLike",
    ],
)
def test_parse_operator_bad_set_prefix(text: str) -> None:
    error = parse_operator(text)
    assert isinstance(error, OperatorNameError)
    assert error.code == "invalid-set-prefix"
    assert error.hint is not None


def test_parse_operator_bad_set_prefix_suggests_spelling() -> None:
    error = parse_operator("forallvalues:StringEquals")
    assert isinstance(error, OperatorNameError)
    assert error.hint is not None and "`ForAllValues:StringEquals`" in error.hint


def test_parse_operator_double_colon_is_malformed() -> None:
    error = parse_operator("ForAnyValue::StringEquals")
    assert isinstance(error, OperatorNameError)
    assert error.code == "invalid-set-prefix"
    assert "ForAnyValue::StringEquals" in error.message


def test_parse_operator_unknown_base_under_set_prefix() -> None:
    error = parse_operator("ForAllValues:StringEqual")
    assert isinstance(error, OperatorNameError)
    assert error.code == "unknown-operator"


@pytest.mark.parametrize(
    "text", ["NullIfExists", "ForAllValues:NullIfExists", "ForAnyValue:NullIfExists"]
)
def test_parse_operator_null_with_ifexists(text: str) -> None:
    error = parse_operator(text)
    assert isinstance(error, OperatorNameError)
    assert error.code == "null-with-ifexists"


def test_parse_operator_null_under_set_prefix_reads() -> None:
    operator = parse_operator("ForAllValues:Null")
    assert isinstance(operator, Operator)
    assert operator.spec.family is Family.NULL


# ----- parse_number -----


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10", Decimal(10)),
        ("0", Decimal(0)),
        ("-3", Decimal(-3)),
        ("+4", Decimal(4)),
        ("9.5", Decimal("9.5")),
        (".5", Decimal("0.5")),
        ("5.", Decimal(5)),
        ("007", Decimal(7)),
        ("-0.25", Decimal("-0.25")),
        ("123456789012345678901234567890", Decimal("123456789012345678901234567890")),
    ],
)
def test_parse_number_reads_integers_and_decimals(text: str, value: Decimal) -> None:
    parsed = parse_number(text)
    assert isinstance(parsed, Decimal)
    assert parsed == value


def test_parse_number_is_exact() -> None:
    a, b, c = parse_number("0.1"), parse_number("0.2"), parse_number("0.3")
    assert a is not None and b is not None and c is not None
    assert a + b == c
    assert parse_number("0.30000000000000004") != c
    assert parse_number("9007199254740993") != parse_number("9007199254740992")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1,000",
        " 1",
        "1 ",
        "0x10",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "1.2.3",
        "--1",
        "+",
        ".",
        "1_000",
        "\u0661\u0662",
        "\uff11",
    ],
)
def test_parse_number_rejects_non_numbers(text: str) -> None:
    assert parse_number(text) is None


# ----- parse_date -----


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-01-01T00:00:00Z", Y2020),
        ("2020-01-01T00:00Z", Y2020),
        ("2020-01-01", Y2020),
        ("2020-01", Y2020),
        ("2020", Y2020),
        ("2020-01-01T00:00:00", Y2020),
        ("2020-01-01t00:00:00z", Y2020),
        ("2020-01-01T01:00:00+01:00", Y2020),
        ("2020-01-01T01:00:00+01", Y2020),
        ("2019-12-31T19:00:00-05:00", Y2020),
        ("2020-01-01T05:30+05:30", Y2020),
        ("2020-01-01T00:00:00.5Z", Y2020 + 500_000_000),
        ("2020-01-01T00:00:00.123456789Z", Y2020 + 123_456_789),
        ("2020-01-01T00:00:00.000000001+00:00", Y2020 + 1),
        ("2020-03-15T12:34:56Z", nanos(2020, 3, 15, 12, 34, 56)),
        ("2020-02-29", nanos(2020, 2, 29)),
        ("1577836800", Y2020),
        ("0", 0),
        ("1", NS),
        (str(2**63 - 1), (2**63 - 1) * NS),
    ],
)
def test_parse_date_accepted_forms(text: str, expected: int) -> None:
    assert parse_date(text) == expected


def test_parse_date_epoch_is_seconds_not_milliseconds() -> None:
    # DISPUTED (E74): seconds, as the docs say.
    assert parse_date("1704067200") == parse_date("2024-01-01T00:00:00Z")
    assert parse_date("1704067200000") != parse_date("2024-01-01T00:00:00Z")


def test_parse_date_orders_instants() -> None:
    earlier, later = parse_date("2020-01-01T00:30:00+01:00"), parse_date("2020-01-01T00:00:00Z")
    assert earlier is not None and later is not None and earlier < later


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2020-02-30",
        "2021-02-29",
        "2020-13-01",
        "2020-00-10",
        "2020-01-32",
        "2020-01-01T24:00:00Z",
        "2020-01-01T00:60Z",
        "2020-01-01T00:00:60Z",
        "2020-01-01 00:00:00Z",
        "2020-1-1",
        "-1",
        "1.5",
        "2020-01-01T00:00:00+24:00",
        "2020-01-01T00:00:00+01:60",
        "2020-01-01T00:00:00.1234567890Z",
        "2020-01-01T00Z",
        "2020-01-01T",
        "yesterday",
        str(2**63),
        "12345678901234567890",
        "2020-01-01Z",
        "2020-01-01T00:00:00.Z",
        " 2020-01-01",
        "\u0662\u0660\u0662\u0660-01-01",
        "\u0661\u0665\u0667\u0667",
    ],
)
def test_parse_date_rejects_bad_dates(text: str) -> None:
    assert parse_date(text) is None


# ----- parse_cidr / parse_ip -----


def test_parse_cidr_ipv4_block() -> None:
    assert parse_cidr("203.0.113.0/24") == (4, int(ipaddress.IPv4Address("203.0.113.0")), 24)


def test_parse_cidr_bare_addresses_are_hosts() -> None:
    assert parse_cidr("203.0.113.5") == (4, int(ipaddress.IPv4Address("203.0.113.5")), 32)
    assert parse_cidr("2001:db8::5") == (6, int(ipaddress.IPv6Address("2001:db8::5")), 128)


def test_parse_cidr_ipv6_is_case_insensitive_and_compressible() -> None:
    expected = (6, int(ipaddress.IPv6Address("2001:db8:1234:5678::")), 64)
    assert parse_cidr("2001:DB8:1234:5678::/64") == expected
    assert parse_cidr("2001:0db8:1234:5678:0:0:0:0/64") == expected


def test_parse_cidr_host_bits_are_masked() -> None:
    assert parse_cidr("203.0.113.77/24") == parse_cidr("203.0.113.0/24")


def test_parse_cidr_zero_prefix() -> None:
    assert parse_cidr("0.0.0.0/0") == (4, 0, 0)
    assert parse_cidr("::/0") == (6, 0, 0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "300.0.0.1",
        "1.2.3.4/33",
        "2001:db8::/129",
        "1.2.3",
        "1.2.3.4/-1",
        "1.2.3.4/a",
        "10.0.0.0/8/8",
    ],
)
def test_parse_cidr_rejects_non_blocks(text: str) -> None:
    assert parse_cidr(text) is None


def test_parse_ip_addresses() -> None:
    assert parse_ip("203.0.113.45") == (4, int(ipaddress.IPv4Address("203.0.113.45")))
    assert parse_ip("2001:DB8::ABCD") == (6, int(ipaddress.IPv6Address("2001:db8::abcd")))
    assert parse_ip("2001:0db8:0000:0000:0000:0000:0000:abcd") == parse_ip("2001:db8::abcd")


@pytest.mark.parametrize(
    "text", ["", "abc", "300.1.1.1", "10.0.0.0/8", "1.2.3", "2001:db8:::1", "::g"]
)
def test_parse_ip_rejects_non_addresses(text: str) -> None:
    assert parse_ip(text) is None


# ----- parse_bool -----


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("false", False), ("True", True), ("FALSE", False), ("tRuE", True)],
)
def test_parse_bool_any_case(text: str, value: bool) -> None:
    assert parse_bool(text) is value


@pytest.mark.parametrize("text", ["", "yes", "no", "1", "0", "t", "f", " true", "true ", "truee"])
def test_parse_bool_rejects_other_text(text: str) -> None:
    assert parse_bool(text) is None


# ----- parse_binary -----


@pytest.mark.parametrize(
    ("text", "value"),
    [("QmluYXJ5", b"Binary"), ("T3RoZXI=", b"Other"), ("AA==", b"\x00"), ("//79", b"\xff\xfe\xfd")],
)
def test_parse_binary_decodes_base64(text: str, value: bytes) -> None:
    assert parse_binary(text) == value


@pytest.mark.parametrize("text", ["not base64!", "QQ", "Q===", "QmluY XJ5", "-_-_"])
def test_parse_binary_rejects_non_base64(text: str) -> None:
    assert parse_binary(text) is None


# ----- condition_value_text -----


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("abc", "abc"),
        ("", ""),
        (True, "true"),
        (False, "false"),
        (10, "10"),
        (0, "0"),
        (-3, "-3"),
        (9.5, "9.5"),
        (10.0, "10"),
        (0.1, "0.1"),
        (" x ", " x "),
    ],
)
def test_condition_value_text_canonical_strings(value: object, text: str) -> None:
    assert condition_value_text(value) == text


@pytest.mark.parametrize("value", [None, [], ["a"], {}, {"a": "b"}])
def test_condition_value_text_rejects_non_scalars(value: object) -> None:
    assert condition_value_text(value) is None


def test_condition_value_text_numbers_read_back_as_numbers() -> None:
    for value in (10, 9.5, -0.25, 12345678901234567890):
        text = condition_value_text(value)
        assert text is not None
        assert parse_number(text) == Decimal(str(value))


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.sampled_from(["a", "a*", "${aws:username}", "x${y}", "a\\*", "\\", "${", "é", ""]),
                      max_size=4).map(tuple),
       pattern=st.booleans(), reads_variables=st.booleans())
def test_values_without_variables_or_escapes_split_as_each_would(texts: tuple[str, ...], pattern: bool,
                                                                 reads_variables: bool) -> None:
    from qiam.operators import _split, _split_each

    def plain(found: Any) -> Any:
        return found[0], tuple(t.text for t in found[1])

    assert plain(_split(texts, pattern=pattern, reads_variables=reads_variables, engine=current())) == \
        plain(_split_each(texts, pattern=pattern, reads_variables=reads_variables, engine=current()))
