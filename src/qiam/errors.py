"""Errors and diagnostics: the QiamError tree, Diagnostic, Severity, Location, and the code table.

Every problem qiam reports has a stable kebab-case ``code``, a one-line
``message``, a ``Location`` (a JSON path into a policy, rendered as line and
column when the policy's text is known) and optionally a ``hint``.
Exceptions stop a stage; diagnostics are values in a report or a result.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from qiam._source import Source

Path = tuple[str | int, ...]


class Severity(enum.Enum):
    """How serious a diagnostic is: an error refuses the policy, the others inform."""

    ERROR = "error"
    WARNING = "warning"
    SUGGESTION = "suggestion"


# The code table: every code qiam emits, what it means. Tests check that each code
# used in the source is listed here, and that each listed code is used.
CODES: dict[str, str] = {
    # reading a document (parse)
    "json-syntax": "the text is not valid JSON",
    "invalid-utf8": "the bytes are not valid UTF-8",
    "nesting-too-deep": "JSON nested deeper than any policy can be",
    "duplicate-key": "a JSON object repeats a key",
    "not-an-object": "the document is not a JSON object",
    "not-json": "an object given as a policy holds something JSON cannot",
    # document and statement shape (validate)
    "unknown-element": "an element that the policy grammar does not define",
    "wrong-type": "an element whose JSON type the grammar does not allow",
    "missing-statement": "no Statement element",
    "empty-statement": "an empty Statement list",
    "invalid-version": "a Version other than 2012-10-17 or 2008-10-17",
    "version-required": "the profile requires Version 2012-10-17",
    "missing-version": "no Version: the policy is read as 2008-10-17",
    "id-in-identity-policy": "an Id element in an identity-based policy",
    "invalid-sid": "a Sid with characters the profile does not allow",
    "duplicate-sid": "two statements with the same Sid",
    "missing-effect": "a statement without Effect",
    "invalid-effect": "an Effect other than Allow or Deny",
    "missing-action": "a statement without Action or NotAction",
    "action-and-notaction": "a statement with both Action and NotAction",
    "empty-action": "an empty Action or NotAction list",
    "action-missing-vendor": "an action without a service prefix",
    "action-too-many-colons": "an action with more than one colon",
    "invalid-vendor": "a service prefix with characters other than letters, digits, - and .",
    "missing-resource": "a statement without Resource or NotResource",
    "resource-and-notresource": "a statement with both Resource and NotResource",
    "empty-resource": "an empty Resource or NotResource list",
    "resource-not-allowed": "Resource or NotResource where the profile forbids it",
    "invalid-arn": "a resource that is neither `*` nor an ARN",
    "invalid-partition": "an ARN partition AWS does not have",
    "arn-missing-service": "an ARN without a service",
    "arn-service-case": "an ARN service written with upper-case letters",
    "arn-region-not-allowed": "a region in an ARN of a global resource",
    "invalid-iam-resource": "an IAM ARN whose resource is not of a known IAM type",
    "short-arn": "an ARN with fewer than six fields",
    "wildcard-in-arn-service": "a wildcard in the service field of an ARN",
    "wildcard-in-resource-type": "a wildcard in the resource-type part of an ARN",
    "principal-and-notprincipal": "a statement with both Principal and NotPrincipal",
    "missing-principal": "a statement without Principal where the profile needs one",
    "principal-not-allowed": "Principal or NotPrincipal where the profile forbids it",
    "allow-with-notprincipal": "Allow together with NotPrincipal",
    "unknown-principal-type": "a principal type other than AWS, Service, Federated, CanonicalUser",
    "partial-wildcard-principal": "a wildcard that stands for part of a principal",
    "empty-principal": "an empty principal list",
    "rcp-principal": "an RCP statement whose Principal is not `*`",
    "rcp-allow": "an Allow statement in a customer RCP",
    "rcp-notaction": "NotAction in an RCP",
    "rcp-action-star": "Action `*` in a customer RCP",
    "empty-condition": "an empty Condition block",
    "unknown-operator": "a condition operator AWS does not define",
    "invalid-set-prefix": "a malformed ForAllValues: / ForAnyValue: prefix",
    "null-with-ifexists": "the Null operator with IfExists",
    "empty-condition-values": "a condition key with an empty value list",
    "duplicate-condition-key": "the same condition key twice in one operator, differing in case",
    "invalid-condition-key": "a condition key without a service prefix",
    "invalid-condition-value": "a condition value its operator cannot read",
    "type-mismatch": "a condition value that does not suit its operator's type",
    "bool-multiple-values": "several values for one key under Bool",
    "wildcard-without-like": "`*` or `?` in a value of an operator without wildcards",
    "set-operator-single-valued-key": "ForAllValues: or ForAnyValue: on a single-valued key",
    "plain-operator-multivalued-key": "an operator without a set prefix on a multivalued key",
    "variable-syntax": "a malformed ${...} policy variable",
    "variable-not-allowed": "a policy variable where AWS does not read variables",
    "variable-unsupported-version": "a policy variable in a policy whose Version is not 2012-10-17",
    "policy-too-large": "a policy over its storage quota",
    "placeholder-in-arn": "a word or an example account where an ARN wants a real region or account",
    # the action catalog (all warnings)
    "unknown-service": "a service prefix the action catalog does not know",
    "unknown-action": "an action the action catalog does not know",
    "no-matching-action": "an action pattern that matches no action of the catalog",
    "unknown-condition-key": "a condition key its service does not define",
    "unsupported-condition-key": "a condition key none of the statement's actions carries",
    "operator-key-mismatch": "an operator that does not suit the condition key's type",
    "resource-type-mismatch": "a resource that is none of the resource types of the statement's actions",
    "resource-star-only": "a specific resource on actions that support only `*`",
    "invalid-character": "a character outside those IAM stores",
    # evaluation (diagnostics of a Result)
    "multivalued-key-without-set-operator": "a request gives several values where the operator wants one",
    "unresolved-variable": "a policy variable whose key the request does not carry",
    "multivalued-variable": "a policy variable naming a multivalued key",
    "undecidable-condition": "a condition that could not be evaluated; a Deny is applied, an Allow is not",
    "invalid-request-value": "a request context value the operator cannot read",
    "scope-too-large": "a resource pattern split into too many classes to decide; read as allowed on none",
    # the engine
    "unknown-engine": "a QIAM_IMPLEMENTATION or engine name qiam does not have",
    "engine-not-built": "the compiled cores are not built",
    # requests and batch input
    "invalid-request": "a request that cannot be evaluated",
    "invalid-line": "a batch line that is not a usable JSON object",
    "unknown-policy-ref": "a $ref to a name the library does not hold",
    "invalid-library": "a policy library that cannot be read",
    "invalid-expression": "a request expression that does not parse",
    "invalid-task-catalog": "a task catalog that cannot be read or used",
    "unknown-task": "a task name the task catalog does not hold",
    "unreadable-file": "a file that cannot be read",
    "internal-error": "a fault in qiam itself: the line gets no answer rather than a wrong one",
}


@dataclass(frozen=True, slots=True)
class Location:
    """Where a diagnostic points: a JSON path inside a policy, and the policy's source.

    ``line`` and ``column`` (1-based) are computed from the source text only when
    asked for. ``key`` says whether the location is an object member's key
    (for problems with the key itself) rather than its value.
    """

    source: Source | None = None
    path: Path = ()
    key: bool = False
    offset: int | None = None  # a character offset into the text, when no path can say it

    @property
    def pointer(self) -> str:
        """The path as an RFC 6901 JSON pointer, e.g. ``/Statement/2/Condition``."""
        return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in self.path)

    @property
    def dotted(self) -> str:
        """The path in ``$.Statement[2].Condition`` form."""
        out = "$"
        for p in self.path:
            out += f"[{p}]" if isinstance(p, int) else f".{p}"
        return out

    def position(self) -> tuple[int, int] | None:
        """The 1-based (line, column) in the source text, or None when unknown."""
        if self.source is None:
            return None
        if self.offset is not None:
            return self.source.line_column(self.offset)
        return self.source.position(self.path, key=self.key)

    @property
    def line(self) -> int | None:
        """The 1-based line, or None."""
        pos = self.position()
        return None if pos is None else pos[0]

    @property
    def column(self) -> int | None:
        """The 1-based column, or None."""
        pos = self.position()
        return None if pos is None else pos[1]

    def render(self) -> str:
        """``name:line:column`` when known, else the dotted path (with the name if any)."""
        name = self.source.name if self.source is not None else None
        pos = self.position()
        if pos is not None:
            return f"{name or '<policy>'}:{pos[0]}:{pos[1]}"
        return f"{name}: {self.dotted}" if name else self.dotted


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: severity, stable code, one-line message, location and hint."""

    severity: Severity
    code: str
    message: str
    location: Location = Location()
    hint: str | None = None

    def __str__(self) -> str:
        return f"{self.location.render()}: {self.severity.value}: {self.message} [{self.code}]"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by the command line and the batch format."""
        pos = self.location.position()
        source = self.location.source
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "policy": source.name if source is not None else None,
            "path": self.location.pointer,
            "line": pos[0] if pos else None,
            "column": pos[1] if pos else None,
            "hint": self.hint,
        }


class QiamError(Exception):
    """Base class for every error qiam raises on purpose."""

    default_code: ClassVar[str] = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        location: Location | None = None,
        hint: str | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = message
        self.location = location if location is not None else Location()
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.location.render()
        return f"{where}: {self.message}" if where != "$" else self.message

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by the command line and the batch format."""
        pos = self.location.position()
        source = self.location.source
        return {
            "code": self.code,
            "message": self.message,
            "policy": source.name if source is not None else None,
            "path": self.location.pointer,
            "line": pos[0] if pos else None,
            "column": pos[1] if pos else None,
            "hint": self.hint,
        }


class PolicyError(QiamError, ValueError):
    """A policy that cannot be used."""

    default_code = "invalid-policy"


class PolicySyntaxError(PolicyError):
    """The policy text is not JSON, or not a JSON object, or repeats a key."""

    default_code = "json-syntax"


class PolicyInvalidError(PolicyError):
    """Validation found errors; ``diagnostics`` holds every finding, the first error leads."""

    default_code = "invalid-policy"

    def __init__(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        errors = [d for d in diagnostics if d.severity is Severity.ERROR]
        first = errors[0]
        self.diagnostics = diagnostics
        super().__init__(first.message, code=first.code, location=first.location, hint=first.hint)


class RequestError(QiamError, ValueError):
    """A request, or a request context, that cannot be evaluated at all."""

    default_code = "invalid-request"
