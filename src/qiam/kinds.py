"""The kinds of policy that bear on a request, defined once.

Each kind says where its policies come from (the slot of the batch line format
and the field of ``PolicySet``), how many there are (one, a list, or a list
per organization level), which validation profile they are checked under,
which group of the decision kernel they belong to, and what to call them.
``compile``, ``batch``, the command line and the task layer all read this
table; adding a kind is adding a member here and its profile in
``qiam.validate``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

__all__ = ["PolicyKind", "Shape", "TRUST_ACTIONS", "is_trust_request", "resource_kind"]


class Shape(enum.Enum):
    """How many policies of a kind a request meets."""

    ONE = "one"  # at most one (a resource's policy, a principal's boundary)
    MANY = "many"  # a list (identity policies, session policies)
    LEVELS = "levels"  # a list per organization level, root first (SCPs, RCPs)


@dataclass(frozen=True, slots=True)
class _Facts:
    slot: str  # the batch line's slot and PolicySet's field
    shape: Shape
    profile: str  # the validation profile (qiam.validate.PROFILES)
    group: str  # the decision kernel's group: identity, boundary, session, scp, rcp or resource
    title: str  # for people: "identity-based policy", ...


class PolicyKind(enum.Enum):
    """A kind of policy. ``.slot``, ``.shape``, ``.profile``, ``.group`` and ``.title`` say the rest."""

    IDENTITY = _Facts("identity", Shape.MANY, "identity", "identity", "identity-based policy")
    RESOURCE = _Facts("resource", Shape.ONE, "resource", "resource", "resource-based policy")
    # A role's trust policy stands in the resource slot of a request to assume the role.
    TRUST = _Facts("resource", Shape.ONE, "role-trust", "resource", "role trust policy")
    BOUNDARY = _Facts("boundary", Shape.ONE, "permissions-boundary", "boundary", "permissions boundary")
    SESSION = _Facts("session", Shape.MANY, "session", "session", "session policy")
    SCP = _Facts("scp", Shape.LEVELS, "scp", "scp", "service control policy")
    RCP = _Facts("rcp", Shape.LEVELS, "rcp", "rcp", "resource control policy")

    # Plain attributes, set once per member: bulk paths read them per line, and an enum property
    # goes through the enum's descriptors on every read.
    slot: str  # the batch line's slot (``identity``, ``resource``, ...)
    shape: Shape  # one policy, a list, or a list per organization level
    field: str  # PolicySet's field and compile_policies' keyword: the slot, plural for levels (``scps``)
    profile: str  # the validation profile its policies are checked under
    group: str  # the decision kernel's group
    title: str  # what people call it

    def __init__(self, facts: _Facts) -> None:
        self.slot = facts.slot
        self.shape = facts.shape
        self.field = facts.slot + "s" if facts.shape is Shape.LEVELS else facts.slot
        self.profile = facts.profile
        self.group = facts.group
        self.title = facts.title

    @classmethod
    def slots(cls) -> tuple[str, ...]:
        """The slots of the batch line format, in order."""
        return tuple(dict.fromkeys(kind.slot for kind in cls))

    @classmethod
    def of_set(cls) -> tuple[PolicyKind, ...]:
        """The kinds a PolicySet holds, one per field, in order (TRUST stands in RESOURCE's field)."""
        return _OF_SET


_OF_SET = (PolicyKind.IDENTITY, PolicyKind.RESOURCE, PolicyKind.BOUNDARY, PolicyKind.SESSION, PolicyKind.SCP,
           PolicyKind.RCP)


# The actions whose resource is a role and whose resource policy is the role's trust policy
# (batch-format.md, "Which profile each slot is validated under"; semantics.md §4.4).
TRUST_ACTIONS = frozenset({"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
                           "sts:tagsession", "sts:setsourceidentity"})
_ROLE_ARN = re.compile(r"arn:[^:]+:iam::[^:]*:role/")


def is_trust_request(action: str, resource: str) -> bool:
    """Whether a request's resource policy is a role's trust policy: an STS assume or tag action
    (any case) on an IAM role ARN."""
    return action.lower() in TRUST_ACTIONS and _ROLE_ARN.match(resource) is not None


def resource_kind(action: str, resource: str) -> PolicyKind:
    """The kind of the resource slot's policy for a request: TRUST for a trust request, else RESOURCE."""
    return PolicyKind.TRUST if is_trust_request(action, resource) else PolicyKind.RESOURCE
