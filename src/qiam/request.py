"""Request: principal, action, resource and context, normalised; raises RequestError.

Context keys are case-insensitive (semantics.md §1.4), so they are folded once
here. A value is a string, or a tuple of strings for a multivalued key
(semantics.md §3.5: single- versus multivalued is a property of the request).
JSON numbers and booleans become their canonical strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import orjson

from qiam.errors import RequestError
from qiam.operators import condition_value_text
from qiam.principals import Caller, CallerKind, parse_caller

ContextValue = str | tuple[str, ...]

_ACTION = re.compile(r"[A-Za-z0-9.\-]+:[^\s:*?]+")


class Request:
    """One request to evaluate.

    Parameters
    ----------
    action : str
        ``service:Action``, e.g. ``s3:GetObject``.
    resource : str
        The resource's ARN, or ``*`` for an action without resource-level
        permissions (``s3:ListAllMyBuckets``).
    principal : str, optional
        Who asks: an IAM user, role, root or STS session ARN, a service
        principal (``sns.amazonaws.com``), or ``anonymous``.
    context : mapping, optional
        Condition keys to values; a list is a multivalued key.
    resource_account : str, optional
        The account that owns the resource, where its ARN does not say (S3).
        Without it, and without an account in the ARN, the resource is taken
        to be in the principal's account.
    service_linked_role : bool
        The principal is a service-linked role (SCPs do not restrict it); a
        role under the path ``aws-service-role/`` is one without saying so.
    management_account : bool
        The principal's account is its organization's management account
        (SCPs do not restrict it).
    resource_management_account : bool
        The resource's account is its organization's management account
        (RCPs do not restrict it).

    Raises
    ------
    RequestError
        A field that cannot be used, with a hint.

    Examples
    --------
    >>> r = Request("s3:GetObject", "arn:aws:s3:::b/k", context={"AWS:SourceIp": "10.0.0.1"})
    >>> r.context
    {'aws:sourceip': '10.0.0.1'}
    """

    __slots__ = ("action", "action_lower", "caller", "context", "facts", "key", "management_account", "owner_account",
                 "owner_partition", "principal", "resource", "resource_account", "resource_management_account",
                 "service", "service_linked_role")

    action: str
    resource: str
    principal: str | None
    context: Mapping[str, ContextValue]
    resource_account: str | None
    service: str
    caller: Caller
    service_linked_role: bool
    management_account: bool
    resource_management_account: bool
    action_lower: str
    owner_account: str | None  # the resource's account: given, else in its ARN, else the caller's
    owner_partition: str  # the resource's partition
    facts: tuple[Any, ...]  # what the decision kernel reads, in one tuple (see FACTS)
    key: bytes  # equal for requests that must get the same answer

    def __init__(
        self,
        action: str,
        resource: str = "*",
        *,
        principal: str | None = None,
        context: Mapping[str, Any] | None = None,
        resource_account: str | None = None,
        service_linked_role: bool = False,
        management_account: bool = False,
        resource_management_account: bool = False,
    ) -> None:
        if not isinstance(action, str) or not _ACTION.fullmatch(action):
            raise RequestError(
                f"request action `{action}` is not of the form service:Action",
                hint="name one action, e.g. s3:GetObject; wildcards belong in policies",
            )
        if not isinstance(resource, str) or (resource != "*" and resource.count(":") < 5):
            raise RequestError(
                f"request resource `{resource}` is neither `*` nor an ARN",
                hint="ARNs have six fields: arn:partition:service:region:account:resource",
            )
        if principal is not None and (not isinstance(principal, str) or not principal):
            raise RequestError("the request principal must be a non-empty string",
                               hint="an ARN, a service principal, or `anonymous`")
        if resource_account is not None and not isinstance(resource_account, str):
            raise RequestError("`resource_account` must be a string")
        for name, flag in (("service_linked_role", service_linked_role),
                           ("management_account", management_account),
                           ("resource_management_account", resource_management_account)):
            if not isinstance(flag, bool):
                raise RequestError(f"`{name}` must be true or false")
        folded = _fold_context(context)
        set_ = object.__setattr__
        set_(self, "action", action)
        set_(self, "service", action.split(":", 1)[0].lower())
        set_(self, "resource", resource)
        set_(self, "principal", principal)
        set_(self, "context", folded)
        set_(self, "resource_account", resource_account)
        set_(self, "service_linked_role", service_linked_role)
        set_(self, "management_account", management_account)
        set_(self, "resource_management_account", resource_management_account)
        caller = parse_caller(principal, folded, service_linked_role=service_linked_role)
        fields = resource.split(":", 5)
        owner = resource_account or (fields[4] if len(fields) == 6 and fields[4] else None) or caller.account
        partition = fields[1] if len(fields) == 6 else caller.partition
        if caller.kind is CallerKind.UNSPECIFIED:
            # No principal given: an IAM principal of the resource's account.
            caller = replace(caller, account=owner, partition=partition)
        set_(self, "caller", caller)
        set_(self, "action_lower", action.lower())
        set_(self, "owner_account", owner)
        set_(self, "owner_partition", partition)
        # One tuple for the decision kernel: one attribute read instead of fifteen, per request.
        set_(self, "facts", (
            self.action_lower, self.service, resource, folded, caller, caller.kind, caller.has_identity_policies,
            caller.authenticated, caller.service_linked_role, management_account, resource_management_account,
            caller.account, owner, caller.partition, partition, action, caller.account == owner,
            caller.partition == partition))
        # Canonical JSON bytes: unambiguous, and hashed once, so bulk paths look requests up cheaply.
        parts = (action, resource, principal, resource_account, service_linked_role, management_account,
                 resource_management_account, sorted(folded.items()))
        try:
            key = orjson.dumps(parts)
        except TypeError:  # lone surrogates, which JSON cannot carry: Python's own notation can
            key = repr(parts).encode("utf-8", "surrogatepass")
        hash(key)  # computed once here, kept by the bytes object, not on every lookup
        set_(self, "key", key)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Request is immutable")

    def __repr__(self) -> str:
        return (f"Request({self.action!r}, {self.resource!r}, principal={self.principal!r}, "
                f"context={dict(self.context)!r})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Request):
            return NotImplemented
        return self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    @classmethod
    def from_json(cls, data: Any) -> Request:
        """Build a request from the ``request`` object of the batch line format."""
        if not isinstance(data, Mapping):
            raise RequestError("`request` must be a JSON object")
        unknown = set(data) - set(_FIELDS)
        if unknown:
            raise RequestError(f"unknown request field `{sorted(unknown)[0]}`",
                               hint="fields: " + ", ".join(_FIELDS))
        if "action" not in data:
            raise RequestError("the request has no `action`")
        return cls(
            data["action"],
            data.get("resource", "*"),
            principal=data.get("principal"),
            context=data.get("context"),
            resource_account=data.get("resource_account"),
            service_linked_role=data.get("service_linked_role", False),
            management_account=data.get("management_account", False),
            resource_management_account=data.get("resource_management_account", False),
        )

    def to_dict(self) -> dict[str, Any]:
        """The batch line format's ``request`` object (context keys folded)."""
        out: dict[str, Any] = {"action": self.action, "resource": self.resource}
        if self.principal is not None:
            out["principal"] = self.principal
        if self.resource_account is not None:
            out["resource_account"] = self.resource_account
        out["context"] = {k: list(v) if isinstance(v, tuple) else v for k, v in self.context.items()}
        return out


# The order of Request.facts, which the decision kernels read by position.
FACTS = ("action_lower", "service", "resource", "context", "caller", "caller_kind", "has_identity_policies",
         "authenticated", "service_linked_role", "management_account", "resource_management_account",
         "caller_account", "owner_account", "caller_partition", "owner_partition", "action", "same_account",
         "same_partition")

_FIELDS = ("principal", "action", "resource", "resource_account", "context", "service_linked_role",
           "management_account", "resource_management_account")


def _fold_context(context: Mapping[str, Any] | None) -> dict[str, ContextValue]:
    if context is None:
        return {}
    if not isinstance(context, Mapping):
        raise RequestError("the request context must be an object of keys and values")
    folded: dict[str, ContextValue] = {}
    for key, value in context.items():
        if not isinstance(key, str) or not key:
            raise RequestError("context keys must be non-empty strings")
        name = key.lower()
        if name in folded:
            raise RequestError(f"context key `{key}` is given twice (keys are case-insensitive)")
        if isinstance(value, (list, tuple)):
            items = tuple(condition_value_text(v) for v in value)
            if any(item is None for item in items):
                raise RequestError(f"the values of context key `{key}` must be strings, numbers or booleans")
            folded[name] = items  # type: ignore[assignment]
        else:
            text = condition_value_text(value)
            if text is None:
                raise RequestError(f"context key `{key}` must have a string, number, boolean or list value",
                                   hint="leave a key out to say the request does not carry it")
            folded[name] = text
    return folded
