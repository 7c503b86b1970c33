"""The faithful policy model: Policy and Statement, mirroring the JSON with paths.

The model keeps every element exactly as written (JSON types included), so
that validation can report what is wrong where. ``compile`` turns it into the
normalised form the evaluator runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, cast

from qiam._source import Source
from qiam.errors import Path


class _Absent:
    """The marker for an element that the JSON does not contain (JSON null is None)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Final = _Absent()

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"

POLICY_ELEMENTS = ("Version", "Id", "Statement")
STATEMENT_ELEMENTS = (
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
)


@dataclass(frozen=True, slots=True, eq=False)
class Statement:
    """One statement as written; ``path`` locates it in its policy."""

    raw: Mapping[str, object]
    index: int
    path: Path

    def get(self, element: str) -> object:
        """The element's JSON value, or ``ABSENT``."""
        return self.raw.get(element, ABSENT)

    @property
    def sid(self) -> str | None:
        """The Sid when it is a string, else None."""
        sid = self.raw.get("Sid")
        return sid if isinstance(sid, str) else None

    @property
    def effect(self) -> object:
        """The Effect as written (``ABSENT`` if missing)."""
        return self.raw.get("Effect", ABSENT)


class Policy:
    """A policy document as written, with the statements it holds and its source.

    ``raw`` is the JSON object. A policy that a compiler read straight from its
    text (``qiam.compile``) keeps only the text and reads ``raw`` from it when
    first asked, so that compiled policies do not hold a tree of JSON objects
    they never look at again.
    """

    __slots__ = ("_raw", "source")

    def __init__(self, raw: Mapping[str, object] | None, source: Source) -> None:
        self._raw = raw  # None: read from the source's text when first asked
        self.source = source

    @property
    def raw(self) -> Mapping[str, object]:
        """The JSON object, as decoded."""
        raw = self._raw
        if raw is None:
            # Two threads may both read it; they read the same text, and either result serves.
            # The text was parsed once already and found to be an object.
            raw = self._raw = cast("Mapping[str, object]", self.source.json())
        return raw

    def __repr__(self) -> str:
        return f"Policy({self.raw!r}, {self.source!r})"

    @property
    def statements(self) -> tuple[Statement, ...]:
        """The statements: the objects of ``Statement`` (a list, or one object), with their paths.

        Made when asked, not kept: most compiles never ask (``qiam.compile``'s
        statement loop reads ``raw``), and those that do ask once.
        """
        statement = self.raw.get("Statement")
        if isinstance(statement, Mapping):
            return (Statement(statement, 0, ("Statement",)),)
        if isinstance(statement, list):
            # `type(s) is dict` first: what JSON gives, without the cost of an ABC check.
            return tuple([Statement(s, i, ("Statement", i)) for i, s in enumerate(statement)
                          if type(s) is dict or isinstance(s, Mapping)])
        return ()

    @property
    def name(self) -> str | None:
        """The source's name (a file name or a library name), if any."""
        return self.source.name

    @property
    def version(self) -> object:
        """The Version as written (``ABSENT`` if missing)."""
        return self.raw.get("Version", ABSENT)

    @property
    def reads_variables(self) -> bool:
        """Whether ``${...}`` is read as a policy variable (Version 2012-10-17 only)."""
        return self.raw.get("Version") == VERSION_2012
