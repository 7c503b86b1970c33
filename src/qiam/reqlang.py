"""The request language of ``qiam check`` (and of task requirements), parsed with pyparsing.

    s3:GetObject on arn:aws:s3:::b/k as arn:aws:iam::111122223333:user/alice
        in account 111122223333 with aws:SourceIp=10.0.0.1 and aws:TagKeys=[a, b]

Every part after the action is optional; ``on`` defaults to ``*``. Values are
bare words, quoted strings ('...' or "...") or lists in brackets; a list makes
a multivalued key. Keywords are case-insensitive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from qiam.errors import RequestError
from qiam.request import Request

if TYPE_CHECKING:
    import pyparsing as pp

# The tokens, one home each: the grammar reads them, and so does ``expression_of``.
_WORD = r"[^\s\[\],=\"']+"
_ACTION = r"[A-Za-z0-9.\-]+:" + _WORD
_KEYWORDS = ("on", "as", "in", "account", "with", "and")
_PLAIN_ACTION = re.compile(_ACTION)
_PLAIN_WORD = re.compile(_WORD)


@cache
def _grammar() -> pp.ParserElement:
    # pyparsing takes longer to import than a whole `qiam check` takes to answer: it is read only when an
    # expression is.
    import pyparsing as pp

    on, as_, in_, account, with_, and_ = map(pp.CaselessKeyword, _KEYWORDS)
    keyword = on | as_ | in_ | with_ | and_
    bare = ~keyword + pp.Regex(_WORD)
    quoted = pp.QuotedString('"', esc_char="\\") | pp.QuotedString("'", esc_char="\\")
    scalar = (quoted | bare).set_name("value")
    listed = pp.Group(pp.Suppress("[") - pp.Optional(pp.DelimitedList(scalar)) - pp.Suppress("]"))
    key = (quoted | pp.Regex(_WORD)).set_name("condition key")
    pair = pp.Group(key - pp.Suppress("=") - (listed | scalar).set_name("value or [list]"))
    action = pp.Regex(_ACTION).set_name("action (service:Action)")
    word = (quoted | bare).set_name("ARN")
    grammar = (
        action("action")
        # `-` stops backtracking after a keyword, so a mistake is reported where it is.
        + pp.Optional(pp.Suppress(on) - word("resource"))
        + pp.Optional(pp.Suppress(as_) - word("principal"))
        + pp.Optional(pp.Suppress(in_) - pp.Suppress(account)
                      - pp.Regex(r"[0-9]{12}|aws").set_name("12-digit account")("account"))
        + pp.Optional(pp.Suppress(with_) - pp.DelimitedList(pair, delim=and_)("context"))
        + pp.StringEnd()
    )
    # Tabs are text like any other: pyparsing would expand them to spaces (changing a quoted value, and
    # every column after them).
    return grammar.parse_with_tabs()


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
    import pyparsing as pp

    try:
        found = _grammar().parse_string(text, parse_all=True)
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


def expression_of(action: str, resource: str) -> ParsedExpression:
    """What ``ACTION on RESOURCE`` reads as (``qiam check --action --resource``): without the grammar
    when each is one plain word, as they nearly always are."""
    if (_PLAIN_ACTION.fullmatch(action) and _PLAIN_WORD.fullmatch(resource)
            and not resource.lower().startswith(_KEYWORDS)):  # (`on-x` starts with a keyword, to pyparsing)
        return ParsedExpression(action=action, resource=resource, principal=None, account=None, context={})
    return parse_expression(f"{action} on {resource}")


def _get(found: pp.ParseResults, name: str, default: Any = None) -> Any:
    return found[name] if name in found else default


def _one(value: Any) -> Any:
    import pyparsing as pp

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
