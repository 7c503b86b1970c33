"""Decision and StatementRef: the values a decision is made of, shared by both decision kernels.

Pure Python with no dependency on the cores, so the compiled kernel and its
twin can both build them (as httptools' errors module serves its parser).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from qiam.errors import Location


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
