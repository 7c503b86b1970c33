"""Decision and StatementRef, the values a decision is made of, and the public types of results and
compiled statements, shared by both decision kernels.

Pure Python with no dependency on the cores, so the compiled kernel and its
twin can both build them (as httptools' errors module serves its parser).
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeAlias

from qiam._immutable import made_once
from qiam.errors import Diagnostic, Location, Path

if TYPE_CHECKING:
    from qiam.compile import ResourceMatcher
    from qiam.principals import PrincipalMatcher
    from qiam.types import JSONObject
    from qiam.variables import Variable


class Decision(enum.Enum):
    """The answer, spelled on the wire as the AWS policy simulator spells it."""

    ALLOW = "allowed"
    EXPLICIT_DENY = "explicitDeny"
    IMPLICIT_DENY = "implicitDeny"


# A decision as a byte, in the kernels' compact answers (``evaluate_pairs(...).codes``): its index here.
DECISION_CODES: tuple[Decision, ...] = (Decision.ALLOW, Decision.EXPLICIT_DENY, Decision.IMPLICIT_DENY)


@made_once
@dataclass(frozen=True, slots=True)
class StatementRef:
    """A statement that took part in a decision: which policy, which statement, where."""

    policy: str  # the policy's place in the set: identity[0], resource, scp[1][0], ...
    name: str | None  # the policy's own name (file or library name), if any
    index: int
    sid: str | None
    effect: str
    location: Location

    @property
    def policy_type(self) -> str:
        """``identity``, ``resource``, ``boundary``, ``session``, ``scp`` or ``rcp``."""
        return self.policy.split("[", 1)[0]

    def to_dict(self) -> JSONObject:
        """The batch format's ``matched`` entry."""
        pos = self.location.position()
        return {
            "policy": self.policy,
            "name": self.name,
            "statement": self.index,
            "sid": self.sid,
            "effect": self.effect,
            "line": pos[0] if pos else None,
            "column": pos[1] if pos else None,
        }


# ----- the public types of compiled objects and results -----
# Each engine's kernel has classes of its own (``qiam._decide`` compiled, ``qiam._decide_py``
# its twin); they register as these, so that ``qiam.Result`` is one type whatever engine runs,
# as msgspec's public modules name the types of its private core.


class Result(abc.ABC):
    """The decision, the statements that decided it, and why (see ``qiam._decide_py.Result``)."""

    __slots__ = ()

    decision: Decision
    matched: tuple[StatementRef, ...]
    diagnostics: tuple[Diagnostic, ...]
    warnings: tuple[Diagnostic, ...]
    decided_by: tuple[str, ...]
    reasons: tuple[str, ...]
    missing_context_keys: tuple[str, ...]
    same_account: bool

    @property
    @abc.abstractmethod
    def allowed(self) -> bool:
        """Whether the decision is ALLOW."""

    @abc.abstractmethod
    def to_dict(self) -> JSONObject:
        """The batch format's output fields."""


class PatternSet(Protocol):
    """A compiled set of patterns: the core's ``GlobSet`` (an Action list, ``StringLike`` values) or
    ``ArnPatternSet`` (a Resource list, ``Arn*`` values), of either engine (see ``qiam._match``)."""

    @property
    def patterns(self) -> tuple[str, ...]: ...

    def __len__(self) -> int: ...

    def matches_any(self, text: str, /) -> bool: ...

    def first_match(self, text: str, /) -> int: ...

    def any_of(self, values: Iterable[str], /) -> bool: ...

    def all_of(self, values: Iterable[str], /) -> bool: ...


Shortcut: TypeAlias = "tuple[int, frozenset[str] | PatternSet | None]"
"""What ``ValueMatcher.shortcut()`` returns: a ``qiam.operators.SHORTCUT_*`` kind and its data."""


class ValueMatcher(Protocol):
    """The compiled policy values of one condition key (``qiam.operators.StringValues`` and its kin).

    ``test(value, context, negated)`` compares one request value with every
    policy value (None: the value cannot be read); ``reads`` says whether a
    request value can be read at all, and ``shortcut`` how the compiled kernel
    may test it without calling ``test``.
    """

    def reads(self, value: str, /) -> bool: ...

    def shortcut(self) -> Shortcut: ...

    def test(self, value: str, context: Mapping[str, str | tuple[str, ...]], negated: bool, /) -> bool | None: ...


ConditionValues: TypeAlias = "ValueMatcher | tuple[bool | None, ...]"
"""``CompiledCondition.values``: a value matcher, or for ``Null`` one flag per policy value (true: the key
is to be absent; None: the value is neither ``true`` nor ``false``)."""


class CompiledCondition(abc.ABC):
    """One condition key under one operator, compiled (see ``qiam._decide_py.Condition``)."""

    __slots__ = ()

    key: str
    key_text: str
    null: bool
    negated: bool
    if_exists: bool
    set_prefix: str | None
    values: ConditionValues
    exact: frozenset[str] | None
    operator: str
    texts: tuple[str, ...]


class CompiledStatement(abc.ABC):
    """A compiled statement (see ``qiam._decide_py.Statement``)."""

    __slots__ = ()

    index: int
    sid: str | None
    allow: bool
    effect: str
    actions: PatternSet  # the Action (or NotAction) patterns, folding case
    not_action: bool
    resources: ResourceMatcher | None  # None: no Resource or NotResource element
    not_resource: bool
    principal: PrincipalMatcher | None  # None: no Principal or NotPrincipal element
    not_principal: bool
    conditions: tuple[CompiledCondition, ...]
    path: Path
    services: frozenset[str] | None
    variables: tuple[Variable, ...]
