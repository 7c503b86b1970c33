"""THE table of condition operators, their names' grammar, and the value coercions.

Each operator is one ``OperatorSpec``: its family (how values compare), whether
it is negated, whether it reads policy variables and wildcards. The coercion
functions here are the only ones: ``validate`` calls them to report values that
do not read, ``compile`` calls them to build the compiled values.
"""

from __future__ import annotations

import base64
import binascii
import enum
import ipaddress
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from qiam._immutable import Immutable
from qiam._impl import Engine, current
from qiam.variables import Template, compile_value

if TYPE_CHECKING:
    from qiam.decision import ConditionValues, PatternSet, Shortcut


class Family(enum.Enum):
    """How an operator compares values."""

    STRING = "String"
    STRING_IGNORE_CASE = "StringIgnoreCase"
    STRING_LIKE = "StringLike"
    NUMERIC = "Numeric"
    DATE = "Date"
    BOOL = "Bool"
    BINARY = "Binary"
    IP = "IpAddress"
    ARN = "Arn"
    NULL = "Null"


# The families as module names. On Python 3.11 each read of ``Family.X`` goes through the
# enum metaclass's attribute hook, a Python-level call that code run once per condition key
# (judging and compiling it) feels; that code compares against these instead.
STRING, STRING_IGNORE_CASE, STRING_LIKE, ARN = Family.STRING, Family.STRING_IGNORE_CASE, Family.STRING_LIKE, Family.ARN
NUMERIC, DATE, BOOL, BINARY, IP, NULL = Family.NUMERIC, Family.DATE, Family.BOOL, Family.BINARY, Family.IP, Family.NULL


class Compare(enum.Enum):
    """The comparison of an ordered (Numeric, Date) operator."""

    EQ = "=="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    """One condition operator of AWS's catalogue (semantics.md §3.3)."""

    name: str
    family: Family
    negated: bool = False
    compare: Compare = Compare.EQ
    variables: bool = False
    wildcards: bool = False


def _spec_table() -> dict[str, OperatorSpec]:
    s, n, v, w = Family.STRING, Family.NUMERIC, True, True
    specs = [
        OperatorSpec("StringEquals", s, variables=v),
        OperatorSpec("StringNotEquals", s, negated=True, variables=v),
        OperatorSpec("StringEqualsIgnoreCase", Family.STRING_IGNORE_CASE, variables=v),
        OperatorSpec("StringNotEqualsIgnoreCase", Family.STRING_IGNORE_CASE, negated=True, variables=v),
        OperatorSpec("StringLike", Family.STRING_LIKE, variables=v, wildcards=w),
        OperatorSpec("StringNotLike", Family.STRING_LIKE, negated=True, variables=v, wildcards=w),
        OperatorSpec("NumericEquals", n),
        OperatorSpec("NumericNotEquals", n, negated=True),
        OperatorSpec("NumericLessThan", n, compare=Compare.LT),
        OperatorSpec("NumericLessThanEquals", n, compare=Compare.LE),
        OperatorSpec("NumericGreaterThan", n, compare=Compare.GT),
        OperatorSpec("NumericGreaterThanEquals", n, compare=Compare.GE),
        OperatorSpec("DateEquals", Family.DATE),
        OperatorSpec("DateNotEquals", Family.DATE, negated=True),
        OperatorSpec("DateLessThan", Family.DATE, compare=Compare.LT),
        OperatorSpec("DateLessThanEquals", Family.DATE, compare=Compare.LE),
        OperatorSpec("DateGreaterThan", Family.DATE, compare=Compare.GT),
        OperatorSpec("DateGreaterThanEquals", Family.DATE, compare=Compare.GE),
        # Variables with Bool are DISPUTED (semantics.md §3.3): the validator refuses them,
        # following the variables page and Access Analyzer.
        OperatorSpec("Bool", Family.BOOL),
        OperatorSpec("BinaryEquals", Family.BINARY),
        OperatorSpec("IpAddress", Family.IP),
        OperatorSpec("NotIpAddress", Family.IP, negated=True),
        # ArnEquals is ArnLike: wildcards are honoured in both (semantics.md §3.3).
        OperatorSpec("ArnEquals", Family.ARN, variables=v, wildcards=w),
        OperatorSpec("ArnLike", Family.ARN, variables=v, wildcards=w),
        OperatorSpec("ArnNotEquals", Family.ARN, negated=True, variables=v, wildcards=w),
        OperatorSpec("ArnNotLike", Family.ARN, negated=True, variables=v, wildcards=w),
        OperatorSpec("Null", Family.NULL),
    ]
    return {spec.name: spec for spec in specs}


OPERATORS: dict[str, OperatorSpec] = _spec_table()

FOR_ALL_VALUES = "ForAllValues"
FOR_ANY_VALUE = "ForAnyValue"
SET_PREFIXES = (FOR_ALL_VALUES, FOR_ANY_VALUE)
IF_EXISTS = "IfExists"


@dataclass(frozen=True, slots=True)
class Operator:
    """An operator as used in a condition: the spec, a set prefix and ``IfExists``."""

    text: str
    spec: OperatorSpec
    set_prefix: str | None = None
    if_exists: bool = False


@dataclass(frozen=True, slots=True)
class OperatorNameError:
    """Why an operator name does not read: a diagnostic code, message and hint."""

    code: str
    message: str
    hint: str | None = None


def _all_spellings() -> list[str]:
    names = []
    for name in OPERATORS:
        forms = [name] if name == "Null" else [name, name + IF_EXISTS]
        names.extend(forms)
        names.extend(f"{p}:{f}" for p in SET_PREFIXES for f in forms)
    return names


_SPELLINGS = _all_spellings()
_SPELLINGS_FOLDED = {s.lower(): s for s in _SPELLINGS}


def suggest_operator(text: str) -> str | None:
    """The valid operator spelling closest to ``text``, if any is close."""
    exact = _SPELLINGS_FOLDED.get(text.lower())
    if exact is not None:
        return exact
    import difflib  # (only for a mistake: start-up does not pay for it)

    close = difflib.get_close_matches(text.lower(), list(_SPELLINGS_FOLDED), n=1, cutoff=0.75)
    return _SPELLINGS_FOLDED[close[0]] if close else None


def parse_operator(text: str) -> Operator | OperatorNameError:
    """Read an operator name such as ``ForAnyValue:StringLikeIfExists``.

    Spellings are exact: ``stringequals`` or ``forallvalues:`` are not operators
    (semantics.md §1.4 recommends exact names, as IAM's own parser has).
    """
    set_prefix = None
    base = text
    if ":" in text:
        prefix, base = text.split(":", 1)
        if prefix not in SET_PREFIXES or ":" in base:
            suggestion = suggest_operator(text)
            return OperatorNameError(
                "invalid-set-prefix",
                f"`{prefix}:` is not a set operator prefix" if prefix not in SET_PREFIXES
                else f"malformed operator `{text}`",
                f"did you mean `{suggestion}`?" if suggestion else
                "the prefixes are `ForAllValues:` and `ForAnyValue:`",
            )
        set_prefix = prefix
    if_exists = base.endswith(IF_EXISTS) and base != IF_EXISTS
    name = base[: -len(IF_EXISTS)] if if_exists else base
    spec = OPERATORS.get(name)
    if spec is None:
        suggestion = suggest_operator(text)
        return OperatorNameError(
            "unknown-operator",
            f"unknown condition operator `{text}`",
            f"did you mean `{suggestion}`?" if suggestion else None,
        )
    if spec.family is Family.NULL and if_exists:
        return OperatorNameError(
            "null-with-ifexists",
            "the `Null` operator cannot take `IfExists`",
            "`Null` already tests whether the key exists; drop `IfExists`",
        )
    return Operator(text, spec, set_prefix, if_exists)


# ----- value coercions: one function each, used by validate and compile alike -----

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def parse_number(text: str) -> Decimal | None:
    """An integer or decimal number, exactly; None if ``text`` is not one."""
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None


_DATE = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:[Tt](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?)?)?)?",
    re.ASCII,
)
_EPOCH = re.compile(r"\d{1,19}", re.ASCII)
_EPOCH_MAX = 2**63 - 1
_EPOCH_START = datetime(1970, 1, 1, tzinfo=UTC)


def parse_date(text: str) -> int | None:
    """An instant as nanoseconds since 1970-01-01T00:00:00Z; None if ``text`` is not a date.

    Reads the W3C profile of ISO 8601 (``2020``, ``2020-01``, ``2020-01-01``,
    ``2020-01-01T00:00Z``, ``2020-01-01T00:00:00.123Z``, offsets ``+01:00`` and
    ``+01``; no zone means UTC) and epoch **seconds** (semantics.md §3.3: the
    milliseconds reading is DISPUTED and not followed).
    """
    # Four digits are a year (ISO 8601 ``YYYY``), not a few seconds after 1970.
    if _EPOCH.fullmatch(text) and len(text) != 4:
        seconds = int(text)
        return seconds * 1_000_000_000 if seconds <= _EPOCH_MAX else None
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    g = match.groupdict()
    try:
        moment = datetime(
            int(g["year"]),
            int(g["month"] or 1),
            int(g["day"] or 1),
            int(g["hour"] or 0),
            int(g["minute"] or 0),
            int(g["second"] or 0),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    zone = g["zone"]
    if zone and zone not in "Zz":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 23 or minutes > 59:
            return None
        moment -= sign * timedelta(hours=hours, minutes=minutes)
    delta = moment - _EPOCH_START
    nanos = (delta.days * 86_400 + delta.seconds) * 1_000_000_000
    fraction = g["fraction"]
    if fraction:
        nanos += int(fraction.ljust(9, "0"))
    return nanos


def parse_bool(text: str) -> bool | None:
    """``true`` or ``false`` in any case; None otherwise."""
    folded = text.lower()
    if folded == "true":
        return True
    if folded == "false":
        return False
    return None


def parse_cidr(text: str) -> tuple[int, int, int] | None:
    """An IPv4 or IPv6 block as (version, network, prefix length); a bare address is /32 or /128.

    None for text with blanks around it or an IPv6 zone (``fe80::1%eth0``): AWS gives neither, and
    reading them would drop part of what the text says, so they are reported as unreadable instead.
    """
    if text != text.strip() or "%" in text:
        return None
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return network.version, int(network.network_address), network.prefixlen


def parse_ip(text: str) -> tuple[int, int] | None:
    """An IPv4 or IPv6 address as (version, integer); None if ``text`` is not one (as for parse_cidr: no
    blanks around it, no zone)."""
    if text != text.strip() or "%" in text:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.version, int(address)


def parse_binary(text: str) -> bytes | None:
    """The bytes of a base64 text; None if ``text`` is not base64."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def is_arn(text: str) -> bool:
    """Whether ``text`` has the six colon-separated fields of an ARN."""
    return text.count(":") >= 5


def condition_value_text(value: object) -> str | None:
    """The canonical string of a condition value: ``true`` for JSON true, ``10`` for 10.

    None for values that are not scalars (objects, arrays, null).
    """
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if not value.is_integer() or abs(value) >= 1e16 else str(int(value))
    return None


# ----- value matchers: the compiled policy values of one condition key -----
#
# ``test(value, context, negated)`` compares one request value with every policy
# value: OR for a positive operator, NOR for a negated one (semantics.md §3.1).
# It answers True, False, or None when a value cannot be read: a Deny is then
# applied and an Allow is not, so nothing qiam cannot read ever grants.

Context = Mapping[str, "str | tuple[str, ...]"]


def _negate(result: bool | None, negated: bool) -> bool | None:
    if result is None or not negated:
        return result
    return not result


# Shortcuts: how a value matcher without variables can be tested by the compiled kernel without a
# call to ``test``, each kind saying what ``test(value, context, negated)`` then is for a string
# value (``data`` is what ``shortcut()`` returns beside the kind). A test holds them equal.
SHORTCUT_NONE = 0  # no shortcut: call test
SHORTCUT_EXACT = 1  # (value in data) != negated
SHORTCUT_FOLDED = 2  # (value.lower() in data) != negated
SHORTCUT_GLOB = 3  # data.matches_any(value) != negated (a GlobSet that does not fold case)
SHORTCUT_ARN = 4  # None when not is_arn(value), else data.matches_any(value) != negated (an ArnPatternSet)


class _Values(Immutable):
    """What every value matcher has: ``reads`` says whether a request value can be read, and
    ``shortcut`` how the compiled kernel may test it (a ``SHORTCUT_*`` kind and its data)."""

    __slots__ = ()

    def reads(self, value: str) -> bool:
        return True

    def shortcut(self) -> Shortcut:
        return SHORTCUT_NONE, None


class StringValues(_Values):
    """``StringEquals`` and ``StringNotEquals``: exact, case-sensitive equality."""

    __slots__ = ("static", "templates")

    def __init__(self, static: frozenset[str], templates: tuple[Template, ...]) -> None:
        self.static = static
        self.templates = templates

    def shortcut(self) -> Shortcut:
        return (SHORTCUT_NONE, None) if self.templates else (SHORTCUT_EXACT, self.static)

    def test(self, value: str, context: Context, negated: bool) -> bool | None:
        found = value in self.static
        if not found:
            for template in self.templates:
                if template.resolve(context) == value:
                    found = True
                    break
        return found is not negated


class IgnoreCaseValues(StringValues):
    """``StringEqualsIgnoreCase``: equality after ``str.lower()`` (no full case folding)."""

    __slots__ = ()

    def shortcut(self) -> Shortcut:
        return (SHORTCUT_NONE, None) if self.templates else (SHORTCUT_FOLDED, self.static)

    def test(self, value: str, context: Context, negated: bool) -> bool | None:
        folded = value.lower()
        found = folded in self.static
        if not found:
            for template in self.templates:
                resolved = template.resolve(context)
                if resolved is not None and resolved.lower() == folded:
                    found = True
                    break
        return found is not negated


class PatternValues(_Values):
    """``StringLike`` and the ``Arn`` operators: a core pattern set, plus templates."""

    __slots__ = ("arn", "make", "static", "templates")

    def __init__(self, patterns: tuple[str, ...], templates: tuple[Template, ...], *, arn: bool,
                 engine: Engine | None = None) -> None:
        match = (engine or current()).match
        self.arn = arn
        self.make: Callable[[Iterable[str]], PatternSet] = match.ArnPatternSet if arn else match.GlobSet
        self.static = self.make(patterns)
        self.templates = templates

    def shortcut(self) -> Shortcut:
        if self.templates:
            return SHORTCUT_NONE, None
        return (SHORTCUT_ARN if self.arn else SHORTCUT_GLOB), self.static

    def reads(self, value: str) -> bool:
        return not self.arn or is_arn(value)

    def test(self, value: str, context: Context, negated: bool) -> bool | None:
        if self.arn and not is_arn(value):
            # Not an ARN: the value cannot be read, so a Deny applies and an Allow does not (fail
            # closed, and reported). semantics.md §3.3 (IMPL) reads it as no match for ArnLike and
            # ArnNotLike alike, under which a Deny with ArnNotLike would not apply to a value that is
            # no ARN at all: qiam departs from it here, as README promises for every unreadable value.
            return None
        found = self.static.matches_any(value)
        if not found:
            for template in self.templates:
                resolved = template.resolve(context)
                if resolved is not None and self.make((resolved,)).matches_any(value):
                    found = True
                    break
        return found is not negated


class OrderedValues(_Values):
    """``Numeric*`` and ``Date*``: values read into numbers, compared with one operator."""

    __slots__ = ("compare", "read", "values")

    def reads(self, value: str) -> bool:
        return self.read(value) is not None

    def __init__(self, values: tuple[Decimal | int | None, ...], compare: Compare,
                 read: Callable[[str], Decimal | int | None]) -> None:
        self.values = values  # None where a policy value did not read
        self.compare = _COMPARE[compare]
        self.read = read

    def test(self, value: str, context: Context, negated: bool) -> bool | None:
        number = self.read(value)
        if number is None:
            return None
        unknown = False
        for bound in self.values:
            if bound is None:
                unknown = True
            elif self.compare(number, bound):
                return not negated
        return None if unknown else negated


class BoolValues(_Values):
    """``Bool``: true or false, in any case. A request value that is neither cannot be read."""

    __slots__ = ("values",)

    def __init__(self, values: tuple[bool | None, ...]) -> None:
        self.values = values

    def reads(self, value: str) -> bool:
        return parse_bool(value) is not None

    def test(self, value: str, context: Context, negated: bool) -> bool | None:
        flag = parse_bool(value)
        if flag is None:
            # semantics.md §3.3 says such a value does not match, under which a Deny on
            # `"aws:SecureTransport": "false"` would not apply to `garbage`: qiam fails closed
            # instead, as for Numeric, Date and IP values (a Deny applies, an Allow does not, reported).
            return None
        if flag in self.values:
            return True
        return None if None in self.values else False


class BinaryValues(_Values):
    """``BinaryEquals``: base64 on both sides, compared as bytes."""

    __slots__ = ("values",)

    def reads(self, value: str) -> bool:
        return parse_binary(value) is not None

    def __init__(self, values: frozenset[bytes]) -> None:
        self.values = values

    def test(self, value: str, context: Context, negated: bool) -> bool | None:
        data = parse_binary(value)
        if data is None:
            return None
        return _negate(data in self.values, negated)


class IpValues(_Values):
    """``IpAddress`` and ``NotIpAddress``: CIDR blocks, IPv4 and IPv6."""

    __slots__ = ("networks",)

    def reads(self, value: str) -> bool:
        return parse_ip(value) is not None

    def __init__(self, blocks: tuple[tuple[int, int, int], ...], *, engine: Engine | None = None) -> None:
        self.networks = (engine or current()).match.IpNetworkSet(blocks)

    def test(self, value: str, context: Context, negated: bool) -> bool | None:
        address = parse_ip(value)
        if address is None:
            return None
        return _negate(self.networks.contains(*address), negated)


_COMPARE = {
    Compare.EQ: operator.eq,
    Compare.LT: operator.lt,
    Compare.LE: operator.le,
    Compare.GT: operator.gt,
    Compare.GE: operator.ge,
}


@dataclass(frozen=True, slots=True)
class FamilyRules:
    """Everything a family of operators means, read by the validator and the compiler alike.

    ``make(texts, reads_variables, engine, spec)`` compiles a key's policy
    values; ``read`` reads one policy value (None: any text reads), and
    ``unreadable`` says what a value it cannot read is: ``(severity, code,
    message, hint)``, the message formatted with ``text`` and ``operator``;
    ``literal``: ``*`` and ``?`` are read literally (worth a warning);
    ``one_value``: the key takes one value; ``suits``: the catalog's key types
    it suits; ``front_kind``: the compiled statement loop's shortcut for it
    (``qiam._front``'s KIND_*, 0 for none).
    """

    make: Callable[[tuple[str, ...], bool, Engine, OperatorSpec], ConditionValues]
    read: Callable[[str], object] | None = None
    unreadable: tuple[str, str, str, str | None] | None = None
    literal: bool = False
    one_value: bool = False
    suits: frozenset[str] = frozenset()
    front_kind: int = 0


def _strings(texts: tuple[str, ...], reads_variables: bool, engine: Engine, spec: OperatorSpec) -> StringValues:
    static, templates = _split(texts, pattern=False, reads_variables=reads_variables, engine=engine)
    if spec.family is STRING_IGNORE_CASE:
        return IgnoreCaseValues(frozenset(v.lower() for v in static), templates)
    return StringValues(frozenset(static), templates)


def _patterns(texts: tuple[str, ...], reads_variables: bool, engine: Engine, spec: OperatorSpec) -> PatternValues:
    static, templates = _split(texts, pattern=True, reads_variables=reads_variables, engine=engine)
    return PatternValues(tuple(static), templates, arn=spec.family is ARN, engine=engine)


_STRING_TYPES = frozenset({"String", "ARN"})
_NOT_A_NUMBER = ("warning", "type-mismatch", "`{text}` is not a number, as `{operator}` needs",
                 "a Deny with this value always applies; an Allow never does")

FAMILY_RULES: dict[Family, FamilyRules] = {
    STRING: FamilyRules(_strings, literal=True, suits=_STRING_TYPES, front_kind=1),
    STRING_IGNORE_CASE: FamilyRules(_strings, literal=True, suits=_STRING_TYPES, front_kind=2),
    STRING_LIKE: FamilyRules(_patterns, suits=_STRING_TYPES, front_kind=3),
    # ArnLike on a String key that holds ARNs (KMS encryption contexts) reads well: it suits both.
    ARN: FamilyRules(_patterns, suits=_STRING_TYPES, front_kind=4),
    NUMERIC: FamilyRules(
        lambda texts, _v, _e, spec: OrderedValues(tuple(map(parse_number, texts)), spec.compare, parse_number),
        read=parse_number, unreadable=_NOT_A_NUMBER, suits=frozenset({"Numeric", "Long", "Integer", "Date"})),
    DATE: FamilyRules(
        lambda texts, _v, _e, spec: OrderedValues(tuple(map(parse_date, texts)), spec.compare, parse_date),
        read=parse_date, unreadable=("error", "invalid-condition-value", "`{text}` is not a date",
                                     "dates are ISO 8601 (2020-01-01T00:00:00Z) or epoch seconds"),
        suits=frozenset({"Date"})),
    BOOL: FamilyRules(
        lambda texts, _v, _e, _s: BoolValues(tuple(map(parse_bool, texts))), read=parse_bool,
        unreadable=("warning", "type-mismatch", "`{text}` is not `true` or `false`",
                    "a Deny with this value always applies; an Allow never does"),
        one_value=True, suits=frozenset({"Bool", "Boolean"}), front_kind=5),
    BINARY: FamilyRules(
        lambda texts, _v, _e, _s: BinaryValues(frozenset(b for b in map(parse_binary, texts) if b is not None)),
        read=parse_binary, unreadable=("error", "invalid-condition-value", "`{text}` is not base64", None),
        suits=frozenset({"Binary"})),
    IP: FamilyRules(
        lambda texts, _v, engine, _s: IpValues(tuple(b for b in map(parse_cidr, texts) if b is not None),
                                               engine=engine),
        read=parse_cidr, unreadable=("error", "invalid-condition-value",
                                     "`{text}` is not an IP address or CIDR block",
                                     "write e.g. 203.0.113.0/24 or 2001:db8::/32"),
        suits=frozenset({"IPAddress"})),
    # Null: True means "the key is absent".
    NULL: FamilyRules(
        lambda texts, _v, _e, _s: tuple(parse_bool(t) for t in texts), read=parse_bool,
        unreadable=("error", "invalid-condition-value", "`Null` takes `true` or `false`, not `{text}`", None),
        front_kind=6),
}


def compile_values(spec: OperatorSpec, texts: tuple[str, ...], *, reads_variables: bool,
                   engine: Engine | None = None) -> ConditionValues:
    """The value matcher of one condition key, from its policy values as strings (made by ``engine``'s
    matchers, default the current engine)."""
    return FAMILY_RULES[spec.family].make(texts, reads_variables, engine or current(), spec)


def _split(texts: tuple[str, ...], *, pattern: bool, reads_variables: bool, engine: Engine
           ) -> tuple[list[str], tuple[Template, ...]]:
    joined = "".join(texts)
    if "${" not in joined and (not pattern or "\\" not in joined):
        return list(texts), ()  # what _split_each gives such texts, given directly
    return _split_each(texts, pattern=pattern, reads_variables=reads_variables, engine=engine)


def _split_each(texts: tuple[str, ...], *, pattern: bool, reads_variables: bool, engine: Engine
                ) -> tuple[list[str], tuple[Template, ...]]:
    static: list[str] = []
    templates: list[Template] = []
    for text in texts:
        value = compile_value(text, pattern=pattern, reads_variables=reads_variables, engine=engine)
        if isinstance(value, Template):
            templates.append(value)
        else:
            static.append(value)
    return static, tuple(templates)
