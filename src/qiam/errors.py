"""Errors and diagnostics: the QiamError tree, Diagnostic, Severity, Location, and the code table.

Every problem qiam reports has a stable kebab-case ``code``, a one-line
``message``, a ``Location`` (a JSON path into a policy, rendered as line and
column when the policy's text is known) and optionally a ``hint``.
Exceptions stop a stage; diagnostics are values in a report or a result.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from qiam._immutable import made_once

if TYPE_CHECKING:
    from qiam._source import Source
    from qiam.types import JSONObject

Path = tuple[str | int, ...]


class Severity(enum.Enum):
    """How serious a diagnostic is: an error refuses the policy, the others inform."""

    ERROR = "error"
    WARNING = "warning"
    SUGGESTION = "suggestion"


# The code table: every code qiam emits, what it means. It is derived, not written here:
# qiam.findings registers each code with its meaning, with the code's constructor (or with
# `_elsewhere`, for a code another module raises in words of its own): add new codes there.
# This module imports qiam.findings at its end, so the table is whole before anyone reads it.
CODES: dict[str, str] = {}


@made_once
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


@made_once
@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: severity, stable code, one-line message, location and hint."""

    severity: Severity
    code: str
    message: str
    location: Location = Location()
    hint: str | None = None
    # to_dict's answer, kept: a policy's warnings are rendered with every result of a bulk job.
    _rendered: JSONObject | None = field(default=None, init=False, repr=False, compare=False, hash=False)

    def __str__(self) -> str:
        return f"{self.location.render()}: {self.severity.value}: {self.message} [{self.code}]"

    def to_dict(self) -> JSONObject:
        """The JSON form used by the command line and the batch format."""
        rendered = self._rendered
        if rendered is None:
            rendered = self._render()
            object.__setattr__(self, "_rendered", rendered)
        return dict(rendered)

    def _render(self) -> JSONObject:
        return {"severity": self.severity.value, **_json_form(self.code, self.message, self.location, self.hint)}


def _json_form(code: str, message: str, location: Location, hint: str | None) -> JSONObject:
    """A finding's or an error's JSON form: what, and where in which policy."""
    pos = location.position()
    source = location.source
    return {
        "code": code,
        "message": message,
        "policy": source.name if source is not None else None,
        "path": location.pointer,
        "line": pos[0] if pos else None,
        "column": pos[1] if pos else None,
        "hint": hint,
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

    def to_dict(self) -> JSONObject:
        """The JSON form used by the command line and the batch format."""
        return _json_form(self.code, self.message, self.location, self.hint)


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


# Last, once every name above is defined (qiam.findings reads them): fills CODES.
from qiam import findings as _findings  # noqa: E402, F401
