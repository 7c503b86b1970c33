"""${...} policy variables: tokenised once at compile time, resolved per request.

Syntax (semantics.md §3.6): ``${key}``, ``${key, 'default'}``, and the three
specials ``${*}``, ``${?}``, ``${$}`` for a literal ``*``, ``?`` and ``$``.
A ``$`` not followed by ``{`` is an ordinary character. Variables are read
only under ``Version 2012-10-17``.

Substituted values are literal: in a wildcard pattern they are escaped, so a
``*`` inside a user name never becomes a wildcard.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from qiam._impl import Engine, current

SPECIALS = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True, slots=True)
class Variable:
    """One ``${...}`` reference: the context key (case-folded) and its default."""

    text: str
    key: str
    default: str | None

    @property
    def name(self) -> str:
        """The key's name as written."""
        return self.text[2:-1].split(",", 1)[0].strip()


@dataclass(frozen=True, slots=True)
class Special:
    """``${*}``, ``${?}`` or ``${$}``: a character that is always literal."""

    char: str


@dataclass(frozen=True, slots=True)
class VariableSyntaxError:
    """A malformed variable: message, hint and the offset of its ``${``."""

    message: str
    hint: str
    offset: int


Part = str | Special | Variable


def tokenize(text: str) -> list[Part] | VariableSyntaxError:
    """Split ``text`` into policy text, specials and variables."""
    parts: list[Part] = []
    pos = 0
    while True:
        start = text.find("${", pos)
        if start < 0:
            if pos < len(text) or not parts:
                parts.append(text[pos:])
            break
        if start > pos:
            parts.append(text[pos:start])
        end = text.find("}", start + 2)
        if end < 0:
            return VariableSyntaxError(
                f"policy variable `{text[start:start + 24]}` has no closing `}}`",
                "close the variable with `}`", start)
        body = text[start + 2 : end]
        if "${" in body:
            return VariableSyntaxError(
                f"policy variable `{text[start:end + 1]}` holds another: variables do not nest",
                "name one context key, e.g. ${aws:username}", start)
        if body in SPECIALS:
            parts.append(Special(SPECIALS[body]))
            pos = end + 1
            continue
        name, default = body, None
        if "," in body:
            name, rest = body.split(",", 1)
            rest = rest.strip()
            if len(rest) < 2 or rest[0] != "'" or rest[-1] != "'":
                return VariableSyntaxError(
                    f"the default of `${{{body}}}` is not in single quotes",
                    f"write it as `${{{name.strip()}, 'default'}}`", start)
            default = rest[1:-1]
        if not name:
            return VariableSyntaxError("empty policy variable `${}`", "name a context key", start)
        if name != name.strip() or " " in name or "\t" in name:
            fixed = "".join(name.split())
            return VariableSyntaxError(
                f"policy variable `${{{body}}}` has a space in its name",
                f"write `${{{fixed}}}`" if default is None else f"write `${{{fixed}, '{default}'}}`", start)
        parts.append(Variable(text[start : end + 1], name.lower(), default))
        pos = end + 1
    return parts


class Template:
    """A value with variables, rendered per request.

    ``pattern`` says whether the value is a wildcard pattern (Resource, StringLike,
    Arn*): then literal parts keep their wildcards, specials and substituted
    values are escaped, and backslashes (literal in IAM) are escaped too.
    """

    __slots__ = ("_escape", "parts", "pattern", "text", "variables")

    def __init__(self, text: str, parts: list[Part], *, pattern: bool,
                 escape: Callable[[str], str] | None = None) -> None:
        self._escape = escape or current().match.escape  # the engine's: it makes substituted text literal
        self.text = text
        self.pattern = pattern
        rendered: list[str | Variable] = []
        for part in parts:
            if isinstance(part, Special):
                rendered.append(self._escape(part.char) if pattern else part.char)
            elif isinstance(part, str):
                rendered.append(_pattern_literal(part) if pattern else part)
            else:
                rendered.append(part)
        self.parts = tuple(rendered)
        self.variables = tuple(p for p in rendered if isinstance(p, Variable))

    def __repr__(self) -> str:
        return f"Template({self.text!r})"

    def resolve(self, context: Mapping[str, str | tuple[str, ...]]) -> str | None:
        """The value for this request, or None when a variable has no value and no default.

        A multivalued key cannot be a variable (semantics.md §3.6): it counts as
        having no value.
        """
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = context.get(part.key)
            if value is None or isinstance(value, tuple):
                if part.default is None:
                    return None
                value = part.default
            out.append(self._escape(value) if self.pattern else value)
        return "".join(out)


def _pattern_literal(text: str) -> str:
    # IAM has no escape character: a backslash in policy text is literal.
    return text.replace("\\", "\\\\")


def pattern_text(text: str) -> str:
    """A policy string without variables as a core pattern (backslashes made literal)."""
    return _pattern_literal(text) if "\\" in text else text


def compile_value(text: str, *, pattern: bool, reads_variables: bool, engine: Engine | None = None
                  ) -> str | Template:
    """The compiled form of one policy value: plain text, or a ``Template`` if it has variables.

    Syntax errors were reported by validation; here a malformed variable is
    left as literal text.
    """
    if not reads_variables or "${" not in text:
        return pattern_text(text) if pattern else text
    parts = tokenize(text)
    if isinstance(parts, VariableSyntaxError):
        return pattern_text(text) if pattern else text
    template = Template(text, parts, pattern=pattern, escape=(engine or current()).match.escape)
    if not template.variables:
        return "".join(p for p in template.parts if isinstance(p, str))
    return template
