"""The request language of ``qiam check`` (and of task requirements), parsed with pyparsing.

    s3:GetObject on arn:aws:s3:::b/k as arn:aws:iam::111122223333:user/alice
        in account 111122223333 with aws:SourceIp=10.0.0.1 and aws:TagKeys=[a, b]

Every part after the action is optional; ``on`` defaults to ``*``. Values are
bare words, quoted strings ('...' or "...") or lists in brackets; a list makes
a multivalued key. Keywords are case-insensitive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyparsing as pp

from qiam.errors import RequestError
from qiam.request import Request

_ON, _AS, _IN, _ACCOUNT, _WITH, _AND = map(pp.CaselessKeyword, ["on", "as", "in", "account", "with", "and"])
_KEYWORD = _ON | _AS | _IN | _WITH | _AND


def _grammar() -> pp.ParserElement:
    bare = ~_KEYWORD + pp.Regex(r"[^\s\[\],=\"']+")
    quoted = pp.QuotedString('"', esc_char="\\") | pp.QuotedString("'", esc_char="\\")
    scalar = (quoted | bare).set_name("value")
    listed = pp.Group(pp.Suppress("[") - pp.Optional(pp.DelimitedList(scalar)) - pp.Suppress("]"))
    key = (quoted | pp.Regex(r"[^\s\[\],=\"']+")).set_name("condition key")
    pair = pp.Group(key - pp.Suppress("=") - (listed | scalar).set_name("value or [list]"))
    action = pp.Regex(r"[A-Za-z0-9.\-]+:[^\s\[\],=\"']+").set_name("action (service:Action)")
    word = (quoted | bare).set_name("ARN")
    return (
        action("action")
        # `-` stops backtracking after a keyword, so a mistake is reported where it is.
        + pp.Optional(pp.Suppress(_ON) - word("resource"))
        + pp.Optional(pp.Suppress(_AS) - word("principal"))
        + pp.Optional(pp.Suppress(_IN) - pp.Suppress(_ACCOUNT)
                      - pp.Regex(r"[0-9]{12}|aws").set_name("12-digit account")("account"))
        + pp.Optional(pp.Suppress(_WITH) - pp.DelimitedList(pair, delim=_AND)("context"))
        + pp.StringEnd()
    )


# Tabs are text like any other: pyparsing would expand them to spaces (changing a quoted value, and every
# column after them).
_GRAMMAR = _grammar().parse_with_tabs()


class ExpressionError(RequestError):
    """A request expression that does not parse; ``column`` is 1-based."""

    default_code = "invalid-expression"

    def __init__(self, message: str, expression: str, column: int) -> None:
        self.expression = expression
        self.column = column
        super().__init__(message, hint="e.g. s3:GetObject on arn:aws:s3:::b/k with aws:SourceIp=10.0.0.1")

    def __str__(self) -> str:
        return f"column {self.column}: {self.message}"

    def caret(self) -> str:
        """The expression with a caret under the column of the mistake."""
        return f"{self.expression}\n{' ' * (self.column - 1)}^"


@dataclass(frozen=True, slots=True)
class ParsedExpression:
    """The parts of an expression, before they become a Request."""

    action: str
    resource: str
    principal: str | None
    account: str | None
    context: dict[str, str | list[str]]  # a list: a multivalued key


def parse_expression(text: str) -> ParsedExpression:
    """Read an expression; raises ExpressionError with the column of the mistake."""
    try:
        found = _GRAMMAR.parse_string(text, parse_all=True)
    except pp.ParseBaseException as exc:
        message = str(exc.msg)
        if exc.loc < len(text):
            near = text[exc.loc :].split()[0] if text[exc.loc :].split() else text[exc.loc]
            message = f"{message}, found `{near}`"
        raise ExpressionError(message, text, exc.loc + 1) from None
    context: dict[str, Any] = {}
    for pair in _get(found, "context", []):
        key, value = pair[0], pair[1]
        if key.lower() in (k.lower() for k in context):
            start = text.find(key)
            raise ExpressionError(f"condition key `{key}` is given twice", text, max(start, 0) + 1)
        context[key] = list(value) if isinstance(value, pp.ParseResults) else value
    return ParsedExpression(
        action=_one(found["action"]),
        resource=_one(_get(found, "resource", "*")),
        principal=_one(_get(found, "principal")),
        account=_one(_get(found, "account")),
        context=context,
    )


def _get(found: pp.ParseResults, name: str, default: Any = None) -> Any:
    return found[name] if name in found else default


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, pp.ParseResults) else value


def parse_request(text: str) -> Request:
    """Read an expression into a Request.

    Examples
    --------
    >>> r = parse_request("s3:GetObject on arn:aws:s3:::b/k with aws:TagKeys=[a, b] and s3:max-keys=10")
    >>> r.resource, r.context["aws:tagkeys"], r.context["s3:max-keys"]
    ('arn:aws:s3:::b/k', ('a', 'b'), '10')
    """
    parsed = parse_expression(text)
    return Request(parsed.action, parsed.resource, principal=parsed.principal, context=parsed.context,
                   resource_account=parsed.account)
