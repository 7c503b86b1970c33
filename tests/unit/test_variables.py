"""qiam.variables: ${...} policy variables: tokenising, resolving, compiling (semantics.md §3.6)."""

from __future__ import annotations

import pytest

from qiam._impl import current
from qiam.variables import (
    Special,
    Template,
    Variable,
    VariableSyntaxError,
    compile_value,
    pattern_text,
    tokenize,
)


def template(text: str, *, pattern: bool) -> Template:
    parts = tokenize(text)
    assert not isinstance(parts, VariableSyntaxError)
    return Template(text, parts, pattern=pattern)


def glob_matches(pattern: str, text: str) -> bool:
    return bool(current().match.GlobSet([pattern]).matches_any(text))


# ----- tokenize -----


def test_tokenize_plain_text() -> None:
    assert tokenize("arn:aws:s3:::b/*") == ["arn:aws:s3:::b/*"]


def test_tokenize_empty_text() -> None:
    assert tokenize("") == [""]


def test_tokenize_variable_between_text() -> None:
    assert tokenize("home/${aws:username}/*") == [
        "home/",
        Variable("${aws:username}", "aws:username", None),
        "/*",
    ]


def test_tokenize_variable_alone() -> None:
    assert tokenize("${aws:username}") == [Variable("${aws:username}", "aws:username", None)]


def test_tokenize_variable_name_is_case_folded() -> None:
    (variable,) = tokenize("${AWS:PrincipalTag/Team}")  # type: ignore[misc]
    assert isinstance(variable, Variable)
    assert variable.key == "aws:principaltag/team"
    assert variable.text == "${AWS:PrincipalTag/Team}"


def test_tokenize_adjacent_variables() -> None:
    parts = tokenize("${a:x}${b:y}")
    assert parts == [Variable("${a:x}", "a:x", None), Variable("${b:y}", "b:y", None)]


@pytest.mark.parametrize(("text", "char"), [("${*}", "*"), ("${?}", "?"), ("${$}", "$")])
def test_tokenize_specials(text: str, char: str) -> None:
    assert tokenize(text) == [Special(char)]
    assert tokenize(f"a{text}b") == ["a", Special(char), "b"]


def test_tokenize_dollar_without_brace_is_text() -> None:
    assert tokenize("a$b$") == ["a$b$"]
    assert tokenize("$${a:b}") == ["$", Variable("${a:b}", "a:b", None)]


def test_tokenize_default_value() -> None:
    assert tokenize("b-${aws:PrincipalTag/team, 'company-wide'}") == [
        "b-",
        Variable(
            "${aws:PrincipalTag/team, 'company-wide'}", "aws:principaltag/team", "company-wide"
        ),
    ]


def test_tokenize_default_keeps_case_and_spaces() -> None:
    (variable,) = tokenize("${aws:username, 'Company Wide'}")  # type: ignore[misc]
    assert isinstance(variable, Variable)
    assert variable.default == "Company Wide"


def test_tokenize_empty_default() -> None:
    (variable,) = tokenize("${aws:username, ''}")  # type: ignore[misc]
    assert isinstance(variable, Variable)
    assert variable.default == ""


@pytest.mark.parametrize(
    ("text", "offset", "words"),
    [
        ("${aws:username", 0, "closing"),
        ("home/${aws:username", 5, "closing"),
        ("${a:b}/${c:d", 7, "closing"),
        ("${}", 0, "empty"),
        ("x/${}", 2, "empty"),
        ("${ aws:username}", 0, "space"),
        ("ab${aws:username }", 2, "space"),
        ("${aws:user name}", 0, "space"),
        ("${aws:username, default}", 0, "quotes"),
        ('${aws:username, "x"}', 0, "quotes"),
        ("${a:b}-${aws:username, 'x}", 7, "quotes"),
    ],
)
def test_tokenize_syntax_errors_with_offsets(text: str, offset: int, words: str) -> None:
    error = tokenize(text)
    assert isinstance(error, VariableSyntaxError)
    assert error.offset == offset
    assert words in error.message
    assert error.hint


# ----- Template.resolve -----


def test_template_resolve_substitutes_values() -> None:
    t = template("home/${aws:username}/${aws:PrincipalTag/team}", pattern=False)
    assert t.resolve({"aws:username": "alice", "aws:principaltag/team": "red"}) == "home/alice/red"


def test_template_pattern_mode_escapes_values() -> None:
    t = template("b/${aws:username}/*", pattern=True)
    resolved = t.resolve({"aws:username": "a*"})
    assert resolved == "b/" + current().match.escape("a*") + "/*"
    assert resolved is not None
    assert glob_matches(resolved, "b/a*/x")
    assert not glob_matches(resolved, "b/ab/x")


@pytest.mark.parametrize("value", ["a?", "*", "a\\*", "\\", "x*y?z"])
def test_template_pattern_mode_value_matches_only_itself(value: str) -> None:
    t = template("${aws:username}", pattern=True)
    resolved = t.resolve({"aws:username": value})
    assert resolved is not None
    assert glob_matches(resolved, value)
    assert not glob_matches(resolved, value + "x")
    assert not glob_matches(resolved, "ab")


def test_template_literal_mode_does_not_escape() -> None:
    t = template("b/${aws:username}/*", pattern=False)
    assert t.resolve({"aws:username": "a*"}) == "b/a*/*"


def test_template_specials_escaped_in_pattern_mode_only() -> None:
    assert template("f${*}${?}${$}${a:b}", pattern=False).resolve({"a:b": "v"}) == "f*?$v"
    resolved = template("f${*}${?}${a:b}", pattern=True).resolve({"a:b": "v"})
    assert resolved is not None
    assert glob_matches(resolved, "f*?v")
    assert not glob_matches(resolved, "fxyv")


def test_template_pattern_mode_keeps_literal_wildcards() -> None:
    resolved = template("home/*/${aws:username}?", pattern=True).resolve({"aws:username": "al"})
    assert resolved is not None
    assert glob_matches(resolved, "home/x/y/al1")
    assert not glob_matches(resolved, "home/x/al")


def test_template_pattern_mode_backslash_in_text_is_literal() -> None:
    resolved = template("a\\*${aws:username}", pattern=True).resolve({"aws:username": "z"})
    assert resolved is not None
    assert glob_matches(resolved, "a\\anythingz")
    assert not glob_matches(resolved, "a*z")


def test_template_missing_value_without_default_is_unresolved() -> None:
    t = template("home/${aws:username}", pattern=False)
    assert t.resolve({}) is None
    assert t.resolve({"aws:userid": "x"}) is None


def test_template_multivalued_key_is_unresolved() -> None:
    t = template("${aws:TagKeys}", pattern=False)
    assert t.resolve({"aws:tagkeys": ("a",)}) is None
    assert t.resolve({"aws:tagkeys": ("a", "b")}) is None
    t = template("x-${aws:TagKeys}", pattern=True)
    assert t.resolve({"aws:tagkeys": ("a", "b")}) is None


def test_template_default_used_only_when_absent() -> None:
    t = template("b-${aws:PrincipalTag/team, 'company-wide'}", pattern=False)
    assert t.resolve({}) == "b-company-wide"
    assert t.resolve({"aws:principaltag/team": "yellow"}) == "b-yellow"


def test_template_default_is_escaped_in_pattern_mode() -> None:
    resolved = template("b-${aws:PrincipalTag/team, 'a*'}", pattern=True).resolve({})
    assert resolved is not None
    assert glob_matches(resolved, "b-a*")
    assert not glob_matches(resolved, "b-ab")


def test_template_one_missing_variable_unresolves_the_whole_value() -> None:
    t = template("${aws:username}/${aws:PrincipalTag/team}", pattern=False)
    assert t.resolve({"aws:username": "alice"}) is None


def test_template_variables_attribute() -> None:
    t = template("${a:x}/${*}/${b:y, 'd'}", pattern=True)
    assert [v.key for v in t.variables] == ["a:x", "b:y"]
    assert t.text == "${a:x}/${*}/${b:y, 'd'}"


# ----- compile_value / pattern_text -----


def test_compile_value_without_variables_is_text() -> None:
    assert (
        compile_value("arn:aws:s3:::b/*", pattern=True, reads_variables=True) == "arn:aws:s3:::b/*"
    )
    assert compile_value("alice", pattern=False, reads_variables=True) == "alice"


def test_compile_value_pattern_escapes_backslashes() -> None:
    value = compile_value("a\\b*", pattern=True, reads_variables=True)
    assert value == "a\\\\b*"
    assert compile_value("a\\b*", pattern=False, reads_variables=True) == "a\\b*"


def test_compile_value_with_variable_is_template() -> None:
    value = compile_value("home/${aws:username}", pattern=False, reads_variables=True)
    assert isinstance(value, Template)
    assert [v.key for v in value.variables] == ["aws:username"]
    assert value.resolve({"aws:username": "bob"}) == "home/bob"


def test_compile_value_version_2008_is_literal() -> None:
    value = compile_value("home/${aws:username}", pattern=False, reads_variables=False)
    assert value == "home/${aws:username}"
    special = compile_value("file${*}", pattern=True, reads_variables=False)
    assert isinstance(special, str)
    assert glob_matches(special, "file${anything}")


def test_compile_value_specials_only_is_text() -> None:
    literal = compile_value("file${*}", pattern=False, reads_variables=True)
    assert literal == "file*"
    pattern = compile_value("file${*}", pattern=True, reads_variables=True)
    assert isinstance(pattern, str)
    assert glob_matches(pattern, "file*")
    assert not glob_matches(pattern, "file1")


def test_compile_value_malformed_variable_is_literal_text() -> None:
    assert (
        compile_value("home/${aws:username", pattern=False, reads_variables=True)
        == "home/${aws:username"
    )


def test_pattern_text_escapes_only_backslashes() -> None:
    assert pattern_text("a*b?c") == "a*b?c"
    assert pattern_text("a\\*") == "a\\\\*"
