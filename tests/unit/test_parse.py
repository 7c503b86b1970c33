"""parse_policy: what it accepts, what raises PolicySyntaxError, and where diagnostics point.

semantics.md §1.1 (a policy is one JSON object) and §1.5 (a duplicate key at any
level is an ERROR, never silently resolved); positions are 1-based line and
column in characters.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from qiam import Location, Policy, PolicyError, PolicySyntaxError, parse_policy, validate_policy
from qiam.errors import CODES, Severity
from tests.conftest import shared_path
from tests.helpers import assert_diagnostic, describe, policy

ALLOW = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}


def syntax_error(document: Any) -> PolicySyntaxError:
    with pytest.raises(PolicySyntaxError) as info:
        parse_policy(document)
    error = info.value
    assert error.code in CODES
    return error


def position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based (line, column) of a character offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def second(text: str, needle: str) -> int:
    """The offset of the second occurrence of ``needle``."""
    first = text.index(needle)
    return text.index(needle, first + 1)


# ----- inputs: text, bytes, dict -----

TEXT = json.dumps(policy(ALLOW), indent=2)


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(TEXT, id="str"),
        pytest.param(TEXT.encode(), id="bytes"),
        pytest.param(bytearray(TEXT.encode()), id="bytearray"),
        pytest.param(memoryview(TEXT.encode()), id="memoryview"),
        pytest.param(policy(ALLOW), id="dict"),
    ],
)
def test_parse_accepts_text_bytes_and_dict(document: Any) -> None:
    parsed = parse_policy(document)
    assert isinstance(parsed, Policy)
    assert parsed.raw == policy(ALLOW)
    assert len(parsed.statements) == 1
    assert parsed.statements[0].raw == ALLOW
    assert parsed.statements[0].path == ("Statement", 0)
    assert parsed.version == "2012-10-17"
    assert validate_policy(parsed).diagnostics == ()


def test_parse_non_ascii_text_and_bytes_agree() -> None:
    text = json.dumps(policy(dict(ALLOW, Resource="arn:aws:s3:::b/café")), ensure_ascii=False)
    from_text, from_bytes = parse_policy(text), parse_policy(text.encode("utf-8"))
    assert from_text.raw == from_bytes.raw
    assert from_text.statements[0].raw["Resource"] == "arn:aws:s3:::b/café"


def test_parse_returns_a_policy_unchanged() -> None:
    parsed = parse_policy(TEXT)
    assert parse_policy(parsed) is parsed


@pytest.mark.parametrize("document", [3, 3.5, None, ["Statement"]])
def test_parse_rejects_other_python_types(document: Any) -> None:
    with pytest.raises(TypeError):
        parse_policy(document)


def test_parse_statement_object_is_one_statement() -> None:
    parsed = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": ALLOW}))
    assert len(parsed.statements) == 1
    assert parsed.statements[0].raw == ALLOW
    assert parsed.statements[0].path == ("Statement",)
    assert parsed.statements[0].index == 0


def test_parse_statement_list_keeps_order_and_indexes() -> None:
    statements = [ALLOW, dict(ALLOW, Effect="Deny"), dict(ALLOW, Sid="Third")]
    parsed = parse_policy(json.dumps(policy(*statements)))
    assert [s.raw for s in parsed.statements] == statements
    assert [s.path for s in parsed.statements] == [
        ("Statement", 0),
        ("Statement", 1),
        ("Statement", 2),
    ]
    assert [s.index for s in parsed.statements] == [0, 1, 2]


def test_parse_statement_list_items_keep_their_own_index() -> None:
    # Items that are not objects are for validate to report; the others keep their place.
    parsed = parse_policy(json.dumps(policy(1, ALLOW)))
    assert [s.path for s in parsed.statements] == [("Statement", 1)]


def test_parse_leaves_shape_problems_to_validate() -> None:
    parsed = parse_policy('{"Statement": 3, "Foo": {"Bar": []}}')
    assert parsed.statements == ()
    report = validate_policy(parsed)
    assert_diagnostic(report, code="unknown-element", pointer="/Foo", severity=Severity.ERROR)
    assert_diagnostic(report, code="wrong-type", pointer="/Statement", severity=Severity.ERROR)


def test_parse_name_appears_in_locations() -> None:
    parsed = parse_policy(TEXT, name="readonly.json")
    assert parsed.name == "readonly.json"
    error = syntax_error(b'{"Statement": [], "Statement": []}')
    assert error.location.source is not None and error.location.source.name is None
    with pytest.raises(PolicySyntaxError) as info:
        parse_policy("{", name="broken.json")
    assert info.value.location.render().startswith("broken.json:1:")
    assert info.value.to_dict()["policy"] == "broken.json"


# ----- JSON syntax errors carry line and column -----


def test_parse_seed_malformed_policy_reports_missing_comma() -> None:
    text = shared_path("corpus", "seed", "q-subscription-console.txt").read_text(encoding="utf-8")
    error = syntax_error(text)
    assert error.code == "json-syntax"
    assert (error.location.line, error.location.column) == (1, 1923)
    assert error.hint is not None and "comma" in error.hint
    assert isinstance(error, PolicyError) and isinstance(error, ValueError)
    as_dict = error.to_dict()
    assert (as_dict["code"], as_dict["line"], as_dict["column"]) == ("json-syntax", 1, 1923)


def test_parse_seed_malformed_policy_as_bytes_has_the_same_position() -> None:
    data = shared_path("corpus", "seed", "q-subscription-console.txt").read_bytes()
    error = syntax_error(data)
    assert (error.code, error.location.line, error.location.column) == ("json-syntax", 1, 1923)


def test_parse_seed_policy_with_the_comma_added_reports_the_duplicate_statement() -> None:
    # The seed note: a loader must never silently keep only the last `Statement`.
    text = shared_path("corpus", "seed", "q-subscription-console.txt").read_text(encoding="utf-8")
    offset = text.index('"Statement"', text.index('"Statement"') + 1)
    fixed = text[:offset].rstrip() + ", " + text[offset:]
    error = syntax_error(fixed)
    assert error.code == "duplicate-key"
    assert error.location.pointer == "/Statement"
    assert (error.location.line, error.location.column) == position(
        fixed, second(fixed, '"Statement"')
    )


MULTILINE_MISSING_COMMA = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow"
     "Action": "*"}
  ]
}
"""


@pytest.mark.parametrize(
    "text, line, column",
    [
        pytest.param(MULTILINE_MISSING_COMMA, 5, 6, id="missing-comma"),
        pytest.param('{"Statement": [1,]}', 1, 17, id="trailing-comma"),
        pytest.param("{\n  'Statement': []\n}", 2, 3, id="single-quotes"),
        pytest.param('{"Statement": []}\n}', 2, 1, id="content-after-document"),
        pytest.param('{"Statement": [\n', None, None, id="truncated"),
    ],
)
def test_parse_json_syntax_error_has_line_and_column(
    text: str, line: int | None, column: int | None
) -> None:
    error = syntax_error(text)
    assert error.code == "json-syntax"
    assert error.location.line is not None and error.location.column is not None
    if line is not None:
        assert (error.location.line, error.location.column) == (line, column)


def test_parse_missing_comma_hint_mentions_the_comma() -> None:
    error = syntax_error(MULTILINE_MISSING_COMMA)
    assert error.hint is not None and "comma" in error.hint


@pytest.mark.parametrize("document", ["", "   \n\t ", b"", b"\n"])
def test_parse_empty_text_is_a_json_syntax_error(document: Any) -> None:
    error = syntax_error(document)
    assert error.code == "json-syntax"
    assert "empty" in error.message


@pytest.mark.parametrize(
    "text, kind",
    [
        ("[]", "array"),
        ('[{"Statement": []}]', "array"),
        ('"policy"', "string"),
        ("3", "number"),
        ("true", "boolean"),
        ("null", "null"),
    ],
)
def test_parse_top_level_not_an_object(text: str, kind: str) -> None:
    error = syntax_error(text)
    assert error.code == "not-an-object"
    assert error.location.pointer == ""
    assert kind in error.message
    assert (error.location.line, error.location.column) == (1, 1)


# ----- §1.5 duplicate keys, at every level -----

DUPLICATES = [
    pytest.param(
        """{
  "Version": "2012-10-17",
  "Statement": [],
  "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}
  ]
}""",
        '"Statement"',
        "/Statement",
        id="top-level",
    ),
    pytest.param(
        '{"Version": "2012-10-17", "Version": "2008-10-17", "Statement": []}',
        '"Version"',
        "/Version",
        id="top-level-version",
    ),
    pytest.param(
        """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "*",
      "Effect": "Deny",
      "Resource": "*"
    }
  ]
}""",
        '"Effect"',
        "/Statement/0/Effect",
        id="statement",
    ),
    pytest.param(
        """{"Version": "2012-10-17",
 "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
  "Resource": "arn:aws:s3:::b"}}""",
        '"Resource"',
        "/Statement/Resource",
        id="statement-object",
    ),
    pytest.param(
        """{
  "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {
       "StringEquals": {"aws:username": "a"},
       "StringEquals": {"aws:userid": "b"}
     }}
  ]
}""",
        '"StringEquals"',
        "/Statement/1/Condition/StringEquals",
        id="condition-operator-block",
    ),
    pytest.param(
        """{
  "Statement": [
    {"Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {
       "StringEquals": {
         "aws:username": "a",
         "aws:username": "b"
       }
     }}
  ]
}""",
        '"aws:username"',
        "/Statement/0/Condition/StringEquals/aws:username",
        id="condition-key-block",
    ),
    pytest.param(
        """{
  "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
     "Principal": {
       "AWS": "arn:aws:iam::111122223333:user/alice",
       "AWS": "arn:aws:iam::444455556666:user/bob"
     }}
  ]
}""",
        '"AWS"',
        "/Statement/0/Principal/AWS",
        id="principal-map",
    ),
    pytest.param(
        """{"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
  "NotPrincipal": {"AWS": "*", "Service": "s3.amazonaws.com", "Service": "sns.amazonaws.com"}}]}""",
        '"Service"',
        "/Statement/0/NotPrincipal/Service",
        id="notprincipal-map",
    ),
    pytest.param(
        """{"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
  "Condition": {"StringLike": {"aws:ResourceTag/a/b": "x", "aws:ResourceTag/a/b": "y"}}}]}""",
        '"aws:ResourceTag/a/b"',
        "/Statement/0/Condition/StringLike/aws:ResourceTag~1a~1b",
        id="pointer-escapes-slash",
    ),
]


@pytest.mark.parametrize("text, needle, pointer", DUPLICATES)
def test_parse_duplicate_key_is_reported_where_it_repeats(
    text: str, needle: str, pointer: str
) -> None:
    error = syntax_error(text)
    assert error.code == "duplicate-key"
    assert error.location.pointer == pointer
    assert (error.location.line, error.location.column) == position(text, second(text, needle))
    assert needle.strip('"').rsplit("/", 1)[-1] in error.message
    assert error.hint is not None


@pytest.mark.parametrize("text, needle, pointer", DUPLICATES)
def test_parse_duplicate_key_is_reported_in_bytes_too(text: str, needle: str, pointer: str) -> None:
    error = syntax_error(text.encode("utf-8"))
    assert (error.code, error.location.pointer) == ("duplicate-key", pointer)
    assert (error.location.line, error.location.column) == position(text, second(text, needle))


def test_parse_duplicate_key_written_with_an_escape_is_a_duplicate() -> None:
    text = (
        '{"Statement": [{"Effect": "Allow", "\\u0045ffect": "Deny", '
        '"Action": "*", "Resource": "*"}]}'
    )
    error = syntax_error(text)
    assert (error.code, error.location.pointer) == ("duplicate-key", "/Statement/0/Effect")
    assert error.location.column == text.index('"\\u0045ffect"') + 1


def test_parse_duplicate_key_after_non_ascii_text_is_positioned_in_characters() -> None:
    text = '{"Id": "naïve ✓",\n "Statement": [], "Id": "x"}'
    error = syntax_error(text.encode("utf-8"))
    assert (error.code, error.location.pointer) == ("duplicate-key", "/Id")
    assert (error.location.line, error.location.column) == position(text, second(text, '"Id"'))


def test_parse_keys_differing_in_case_are_not_json_duplicates() -> None:
    # Condition keys are case-insensitive: validate's concern (`duplicate-condition-key`),
    # not JSON's.
    text = (
        '{"Version": "2012-10-17", "Statement": '
        '{"Effect": "Allow", "Action": "*", "Resource": "*", '
        '"Condition": {"StringEquals": {"aws:SourceVpc": "a", "AWS:SOURCEVPC": "b"}}}}'
    )
    parsed = parse_policy(text)
    report = validate_policy(parsed)
    assert_diagnostic(
        report,
        code="duplicate-condition-key",
        pointer="/Statement/Condition/StringEquals/AWS:SOURCEVPC",
        severity=Severity.ERROR,
    )


def test_parse_same_key_in_sibling_objects_is_not_a_duplicate() -> None:
    parsed = parse_policy(json.dumps(policy(ALLOW, dict(ALLOW, Effect="Deny"))))
    assert len(parsed.statements) == 2


# ----- bytes that are not UTF-8, text that is not Unicode -----


@pytest.mark.parametrize(
    "data, line, column",
    [
        pytest.param(b'{"Statement": "\xff"}', 1, 16, id="ff"),
        pytest.param(b'{"a": "\xc0\xaf"}', 1, 8, id="overlong"),
        pytest.param(b'{"a": "\xed\xa0\x80"}', 1, 8, id="encoded-surrogate"),
        pytest.param(
            b'{"Statement":\n "ok\xc3\xa9 \xe2\x82"}', 2, 7, id="truncated-after-non-ascii"
        ),
        pytest.param(b'{\n\n  "a": "x\xf5"}', 3, 10, id="third-line"),
    ],
)
def test_parse_invalid_utf8_bytes_have_a_position(data: bytes, line: int, column: int) -> None:
    error = syntax_error(data)
    assert error.code == "invalid-utf8"
    assert (error.location.line, error.location.column) == (line, column)
    assert "UTF-8" in error.message or "utf-8" in error.message.lower()


@pytest.mark.parametrize(
    "text, line, column",
    [
        pytest.param('{"Statement": "\ud800"}', 1, 16, id="high"),
        pytest.param('{"a":\n "ok", "b": "\udc80"}', 2, 14, id="low-second-line"),
    ],
)
def test_parse_lone_surrogate_in_str_is_invalid_utf8(text: str, line: int, column: int) -> None:
    error = syntax_error(text)
    assert error.code == "invalid-utf8"
    assert (error.location.line, error.location.column) == (line, column)


def test_parse_escaped_lone_surrogate_does_not_crash() -> None:
    # `\ud800` written as an escape is valid JSON text; whatever the reader makes of it,
    # it must be a PolicySyntaxError or a policy, never another exception.
    text = (
        '{"Version": "2012-10-17", "Statement": '
        '{"Effect": "Allow", "Action": "*", "Resource": "\\ud800"}}'
    )
    try:
        parsed = parse_policy(text)
    except PolicySyntaxError as error:
        assert error.code in CODES
    else:
        validate_policy(parsed)


# ----- nesting -----


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[" * 100_000, id="open-arrays"),
        pytest.param('{"a":' * 100_000, id="open-objects"),
        pytest.param('{"a":' * 100_000 + "1" + "}" * 100_000, id="closed-objects"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="closed-arrays"),
        pytest.param('{"Statement": ' + "[" * 100_000 + "]" * 100_000 + "}", id="inside-statement"),
    ],
)
def test_parse_nesting_100000_deep_is_refused_without_crashing(text: str) -> None:
    for document in (text, text.encode()):
        error = syntax_error(document)
        assert error.code == "nesting-too-deep"
        assert error.location.line == 1 and error.location.column is not None


def test_parse_nesting_of_a_policy_shape_is_accepted() -> None:
    text = '{"Statement": ' + "[" * 500 + "]" * 500 + "}"
    parsed = parse_policy(text)
    assert_diagnostic(
        validate_policy(parsed), code="wrong-type", pointer="/Statement/0", severity="error"
    )


def test_parse_dict_nested_100000_deep_never_crashes() -> None:
    # A dict input cannot be refused by the JSON reader; it must still be refused or
    # validated with a report, never end in RecursionError.
    deep: list[Any] = []
    inner = deep
    for _ in range(100_000):
        inner.append([])
        inner = inner[0]
    document = policy(dict(ALLOW, Condition={"StringEquals": {"aws:username": deep}}))
    try:
        parsed = parse_policy(document)
    except PolicySyntaxError as error:
        assert error.code == "nesting-too-deep"
        return
    report = validate_policy(parsed)
    assert not report.valid
    for diagnostic in report.diagnostics:
        str(diagnostic)


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(policy(ALLOW) | {1: "x"}, id="int-key-top-level"),
        pytest.param(policy(ALLOW | {2: "y"}), id="int-key-statement"),
        pytest.param(
            policy(ALLOW | {"Condition": {"StringEquals": {3: "a"}}}), id="int-condition-key"
        ),
        pytest.param(policy(ALLOW | {"Action": {"s3:GetObject"}}), id="set-value"),
        pytest.param(policy(ALLOW | {"Action": b"s3:GetObject"}), id="bytes-value"),
    ],
)
def test_parse_dict_that_is_not_json_is_refused_or_reported(document: Any) -> None:
    # A mapping with non-string keys or non-JSON values: parse_policy may refuse it
    # (TypeError or PolicySyntaxError); otherwise validate_policy, which never raises,
    # must report it. AttributeError or a json.dumps TypeError from inside validate is a crash.
    try:
        parsed = parse_policy(document)
    except (TypeError, PolicySyntaxError):
        return
    report = validate_policy(parsed)
    assert not report.valid
    for diagnostic in report.diagnostics:
        str(diagnostic)


# ----- size -----


def test_parse_ten_megabyte_policy_parses_and_validates_quickly() -> None:
    resources = [f"arn:aws:s3:::bucket-{i:06d}/key-{i:06d}" for i in range(250_000)]
    text = json.dumps(policy(dict(ALLOW, Resource=resources)))
    assert len(text) > 10_000_000
    started = time.perf_counter()
    parsed = parse_policy(text)
    report = validate_policy(parsed)
    elapsed = time.perf_counter() - started
    assert len(parsed.statements) == 1
    assert len(parsed.statements[0].raw["Resource"]) == 250_000
    assert report.valid, describe(report.errors)
    assert_diagnostic(report, code="policy-too-large", pointer="", severity="warning")
    assert [d.code for d in report.diagnostics] == ["policy-too-large"]
    assert elapsed < 20, f"10 MB took {elapsed:.1f} s"


# ----- positions -----

MULTILINE = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "First",
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Resource": "*"
    },
      {"Sid": "Second", "Effect": "allow", "Action": "s3:PutObject", "Resource": "*"},
\t{
\t\t"Sid": "Third",
\t\t"Effect": "Deny",
\t\t"Action": ["iam:*"],
\t\t"Resource": "*"
\t}
  ]
}
"""


def statement_offsets(text: str) -> list[int]:
    body = text.index("[", text.index('"Statement"'))
    offsets, pos = [], body
    for sid in ("First", "Second", "Third"):
        pos = text.rindex("{", 0, text.index(f'"{sid}"'))
        offsets.append(pos)
    return offsets


def test_parse_statement_positions_in_multiline_text() -> None:
    parsed = parse_policy(MULTILINE)
    expected = [position(MULTILINE, o) for o in statement_offsets(MULTILINE)]
    assert expected == [(4, 5), (10, 7), (11, 2)]
    got = [
        (Location(parsed.source, s.path).line, Location(parsed.source, s.path).column)
        for s in parsed.statements
    ]
    assert got == expected


def test_parse_element_positions_key_and_value() -> None:
    parsed = parse_policy(MULTILINE)
    source = parsed.source
    value = Location(source, ("Statement", 2, "Action", 0))
    assert (value.line, value.column) == position(MULTILINE, MULTILINE.index('"iam:*"'))
    key = Location(source, ("Statement", 2, "Effect"), key=True)
    assert (key.line, key.column) == position(MULTILINE, MULTILINE.index('"Effect": "Deny"'))
    effect = Location(source, ("Statement", 2, "Effect"))
    assert (effect.line, effect.column) == position(MULTILINE, MULTILINE.index('"Deny"'))


def test_parse_validation_diagnostic_points_into_multiline_text() -> None:
    report = validate_policy(parse_policy(MULTILINE))
    found = assert_diagnostic(
        report, code="invalid-effect", pointer="/Statement/1/Effect", severity="error"
    )
    assert (found.location.line, found.location.column) == position(
        MULTILINE, MULTILINE.index('"allow"')
    )
    assert str(found).startswith(f"<policy>:{found.location.line}:{found.location.column}:")


def test_parse_positions_count_characters_not_bytes() -> None:
    text = (
        '{"Id": "日本語",\n "Statement": '
        '[{"Effect": "Allow", "Action": "s3:x", "Resource": "é", "Sid": "ü!"}]}'
    )
    parsed = parse_policy(text.encode("utf-8"))
    sid = Location(parsed.source, ("Statement", 0, "Sid"))
    assert (sid.line, sid.column) == position(text, text.index('"ü!"'))


def test_parse_dict_policy_is_positioned_in_its_json_dumps_rendering() -> None:
    document = policy(
        ALLOW, {"Sid": "B", "Effect": "allow", "Action": "s3:PutObject", "Resource": "*"}
    )
    rendering = json.dumps(document)
    parsed = parse_policy(document)
    assert parsed.source.text == rendering
    second_statement = Location(parsed.source, ("Statement", 1))
    assert (second_statement.line, second_statement.column) == (1, rendering.index('{"Sid"') + 1)
    report = validate_policy(parsed)
    found = assert_diagnostic(
        report, code="invalid-effect", pointer="/Statement/1/Effect", severity="error"
    )
    assert (found.location.line, found.location.column) == (1, rendering.index('"allow"') + 1)


def test_parse_error_location_renders_pointer_and_position() -> None:
    error = syntax_error('{"Statement": [], "Statement": []}')
    assert error.location.pointer == "/Statement"
    assert error.location.dotted == "$.Statement"
    assert str(error).startswith("<policy>:1:19:")
