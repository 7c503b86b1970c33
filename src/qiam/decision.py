"""Decision and StatementRef, the values a decision is made of, and the public types of results and
compiled statements, shared by both decision kernels.

Pure Python with no dependency on the cores, so the compiled kernel and its
twin can both build them (as httptools' errors module serves its parser).
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass
from typing import Any

from qiam.errors import Diagnostic, Location


class Decision(enum.Enum):
    """The answer, spelled on the wire as the AWS policy simulator spells it."""

    ALLOW = "allowed"
    EXPLICIT_DENY = "explicitDeny"
    IMPLICIT_DENY = "implicitDeny"


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

    def to_dict(self) -> dict[str, Any]:
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
    def to_dict(self) -> dict[str, Any]:
        """The batch format's output fields."""


class CompiledCondition(abc.ABC):
    """One condition key under one operator, compiled (see ``qiam._decide_py.Condition``)."""

    __slots__ = ()

    key: str
    key_text: str
    null: bool
    negated: bool
    if_exists: bool
    set_prefix: str | None
    values: Any
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
    actions: Any
    not_action: bool
    resources: Any
    not_resource: bool
    principal: Any
    not_principal: bool
    conditions: tuple[CompiledCondition, ...]
    path: tuple[Any, ...]
    services: frozenset[str] | None
    variables: tuple[Any, ...]
