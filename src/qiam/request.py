"""Request: principal, action, resource and context, normalised; raises RequestError.

Context keys are case-insensitive (semantics.md §1.4), so they are folded once
here. A value is a string, or a tuple of strings for a multivalued key
(semantics.md §3.5: single- versus multivalued is a property of the request).
JSON numbers and booleans become their canonical strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeAlias

import orjson

from qiam._impl import current
from qiam._json import kept_dumps
from qiam.context import Environment, derive, parse_time
from qiam.errors import RequestError
from qiam.operators import condition_value_text
from qiam.principals import Caller, CallerKind, in_account, parse_caller
from qiam.types import JSONObject

ContextValue = str | tuple[str, ...]

# What the decision kernels read of a request, by position: the fields FACTS names, in its order.
Facts: TypeAlias = tuple[str, str, str, dict[str, ContextValue], Caller, CallerKind, bool, bool, bool, bool, bool,
                         str | None, str | None, str, str, str, bool, bool]

# What a request holds beyond its facts and key, by position: the fields REST names, in its order.
Rest: TypeAlias = tuple[str | None, str | None, bool, dict[str, ContextValue], dict[str, ContextValue],
                        Environment | None, str | None]
# What a request is made of: its facts and the rest.
State: TypeAlias = tuple[Facts, Rest]
# The arguments of Request, by position, as given (their types are checked when they are read).
Arguments: TypeAlias = tuple[str, str, str | None, Mapping[str, object] | None, str | None, bool, bool, bool, bool,
                             "Environment | None", str | None]

# What a pickled request is rebuilt from (see Request.__reduce__ and _rebuild).
_Fields: TypeAlias = tuple[str, str, str | None, dict[str, ContextValue], tuple[str, ...], str | None, bool, bool,
                           bool, str | None]
_Rebuild: TypeAlias = Callable[[str, str, str | None, dict[str, ContextValue], tuple[str, ...], str | None, bool,
                                bool, bool, str | None], "Request"]

_ACTION = re.compile(r"[A-Za-z0-9.\-]+:[^\s:*?]+")


class Request:
    """One request to evaluate.

    Parameters
    ----------
    action : str
        ``service:Action``, e.g. ``s3:GetObject``.
    resource : str
        The resource's ARN, or ``*`` for an action without resource-level
        permissions (``s3:ListAllMyBuckets``). With ``resource_match``, an ARN
        pattern (``arn:aws:sso::111122223333:application/*/*``).
    principal : str, optional
        Who asks: an IAM user, role, root or STS session ARN, a service
        principal (``sns.amazonaws.com``), or ``anonymous``.
    context : mapping, optional
        Condition keys to values; a list is a multivalued key. These always win
        over derived keys.
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
    derive_context : bool
        Add the context keys AWS supplies to every request (``qiam.context``:
        principal ARN, account and type, region, time, transport, ...), from
        what the request says and ``environment``. False: the context is
        exactly ``context``, as the batch line format reads it by default.
    environment : qiam.context.Environment, optional
        Region, time, principal tags and ids, MFA, organizations: what the
        derived keys are made from beyond principal, action and resource.
    resource_match : ``"all"``, ``"some"`` or None
        ``resource`` is an ARN pattern, and the question is whether the action is
        allowed on every resource it matches, or on at least one
        (``PolicySet.evaluate_scope``). None: ``resource`` is one ARN, and a
        ``*`` in it is literal text, as in AWS.

    Raises
    ------
    RequestError
        A field that cannot be used, with a hint.

    A Request is immutable (``context`` is a read-only view), hashable and
    picklable.

    Examples
    --------
    >>> r = Request("s3:GetObject", "arn:aws:s3:::b/k", context={"AWS:SourceIp": "10.0.0.1"},
    ...             derive_context=False)
    >>> dict(r.context)
    {'aws:sourceip': '10.0.0.1'}
    >>> r = Request("s3:GetObject", "arn:aws:s3:::b/k", principal="arn:aws:sts::111122223333:assumed-role/R/s",
    ...             environment=Environment(region="eu-west-1", time="2026-01-01T00:00:00Z"))
    >>> r.context["aws:principalarn"], r.context["aws:requestedregion"]
    ('arn:aws:iam::111122223333:role/R', 'eu-west-1')
    """

    __slots__ = ("_key", "_rest", "facts", "resource_match")

    facts: Facts  # what the decision kernel reads, in one tuple (see FACTS)
    resource_match: str | None
    _rest: Rest  # what the kernel does not read (see REST)
    _key: bytes | None  # made when first asked for

    def __init__(
        self,
        action: str,
        resource: str = "*",
        *,
        principal: str | None = None,
        context: Mapping[str, object] | None = None,
        resource_account: str | None = None,
        service_linked_role: bool = False,
        management_account: bool = False,
        resource_management_account: bool = False,
        derive_context: bool = True,
        environment: Environment | None = None,
        resource_match: str | None = None,
    ) -> None:
        if hasattr(self, "facts"):
            raise TypeError("a Request is made once: it cannot be initialised again")
        arguments = (action, resource, principal, context, resource_account, service_linked_role,
                     management_account, resource_management_account, derive_context, environment, resource_match)
        # The compiled core builds the usual shapes; anything else (or anything wrong) takes the reference path.
        if not current().front.request_init(self, arguments):
            fill(self, request_state(arguments))

    @property
    def key(self) -> bytes:
        """Equal for requests that must get the same answer: canonical JSON of what the request says."""
        key = self._key
        if key is None:
            facts, rest = self.facts, self._rest
            # (action, resource, principal, resource account, the three flags, resource_match, the context)
            parts = (facts[15], facts[2], rest[0], rest[1], rest[2], facts[9], facts[10], rest[6])
            try:
                key = kept_dumps((*parts, facts[3]), option=orjson.OPT_SORT_KEYS)
            except TypeError:  # lone surrogates, which JSON cannot carry: Python's own notation can
                key = repr((*parts, sorted(facts[3].items()))).encode("utf-8", "surrogatepass")
            object.__setattr__(self, "_key", key)
        return key

    # The facts and the rest, by name (the kernel reads the facts tuple itself).
    @property
    def action(self) -> str:
        """The action, as given."""
        return self.facts[15]

    @property
    def action_lower(self) -> str:
        """The action, case-folded."""
        return self.facts[0]

    @property
    def service(self) -> str:
        """The action's service prefix, case-folded."""
        return self.facts[1]

    @property
    def resource(self) -> str:
        """The resource's ARN, or ``*``."""
        return self.facts[2]

    @property
    def _context(self) -> dict[str, ContextValue]:
        """What the decision reads: the given keys over the derived ones."""
        return self.facts[3]

    @property
    def caller(self) -> Caller:
        """The principal, read."""
        return self.facts[4]

    @property
    def management_account(self) -> bool:
        """The principal's account is its organization's management account."""
        return self.facts[9]

    @property
    def resource_management_account(self) -> bool:
        """The resource's account is its organization's management account."""
        return self.facts[10]

    @property
    def owner_account(self) -> str | None:
        """The resource's account: given, else in its ARN, else the caller's."""
        return self.facts[12]

    @property
    def owner_partition(self) -> str:
        """The resource's partition."""
        return self.facts[14]

    @property
    def principal(self) -> str | None:
        """The principal, as given."""
        return self._rest[0]

    @property
    def resource_account(self) -> str | None:
        """The resource's account, as given."""
        return self._rest[1]

    @property
    def service_linked_role(self) -> bool:
        """The principal was said to be a service-linked role."""
        return self._rest[2]

    @property
    def given(self) -> Mapping[str, ContextValue]:
        """The context as given, keys folded (read-only)."""
        return MappingProxyType(self._rest[3])

    @property
    def derived(self) -> Mapping[str, ContextValue]:
        """The derived keys in effect: those the given context does not override (read-only)."""
        return MappingProxyType(self._rest[4])

    @property
    def environment(self) -> Environment | None:
        """What derivation read; None when the context is not derived."""
        return self._rest[5]

    @property
    def context(self) -> Mapping[str, ContextValue]:
        """The context the decision reads: the given keys over the derived ones (read-only, keys folded)."""
        return MappingProxyType(self._context)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a Request is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("a Request is immutable")

    def __reduce__(self) -> tuple[_Rebuild, _Fields]:
        # The derived keys travel as context, so that an unpickled request has the same context
        # (and key) whenever it is unpickled, whatever the clock says then.
        return (_rebuild, (self.action, self.resource, self.principal, dict(self._context), tuple(self.derived),
                           self.resource_account, self.service_linked_role, self.management_account,
                           self.resource_management_account, self.resource_match))

    def __repr__(self) -> str:
        return (f"Request({self.action!r}, {self.resource!r}, principal={self.principal!r}, "
                f"context={dict(self._context)!r})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Request):
            return NotImplemented
        return self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    @classmethod
    def from_json(cls, data: object) -> Request:
        """Build a request from the ``request`` object of the batch line format.

        The context is derived only when the object says ``"derive_context": true``
        (then ``region``, ``time`` and ``principal_tags`` are read too).
        """
        made: Request | None = current().front.request_from_json(cls, data)
        if made is None:
            made = object.__new__(cls)
            fill(made, request_state(arguments_of(data)))
        return made

    def with_action(self, action: str) -> Request:
        """The same request for another action: the same principal, resource and context (the context
        AWS supplies does not depend on the action), made without deriving it again."""
        if not isinstance(action, str) or not _ACTION.fullmatch(action):
            raise RequestError(f"request action `{action}` is not of the form service:Action",
                               hint="name one action, e.g. s3:GetObject; wildcards belong in policies")
        facts = self.facts
        made = object.__new__(type(self))
        fill(made, ((action.lower(), action.split(":", 1)[0].lower(), *facts[2:15], action, *facts[16:]),
                    self._rest))
        return made

    def to_dict(self) -> JSONObject:
        """The batch line format's ``request`` object (context keys folded; derived keys apart)."""
        out: dict[str, Any] = {"action": self.action, "resource": self.resource}
        if self.principal is not None:
            out["principal"] = self.principal
        if self.resource_account is not None:
            out["resource_account"] = self.resource_account
        if self.resource_match is not None:
            out["resource_match"] = self.resource_match
        out["context"] = _plain(self.given)
        if self.derived:
            out["derived"] = _plain(self.derived)
        return out



_FLAGS = ("service_linked_role", "management_account", "resource_management_account", "derive_context")


def _check_arguments(action: object, resource: object, principal: object, resource_account: object,
                     resource_match: object, environment: object, flags: tuple[object, ...]) -> None:
    """Raise RequestError for the first argument of ``Request`` that is not of its type and form."""
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
    if resource_match not in (None, "all", "some"):
        raise RequestError("`resource_match` must be `all` or `some`",
                           hint="all: allowed on every resource the pattern matches; some: on at least one")
    if resource_match is not None and resource == "*":
        # (batch-format.md gives resource_match to "an ARN pattern"; the scope of `*` is not defined there)
        raise RequestError("`resource_match` needs an ARN pattern as the resource, not `*`",
                           hint="name the resources, e.g. arn:aws:s3:::bucket/*, or drop resource_match")
    if principal is not None and (not isinstance(principal, str) or not principal):
        raise RequestError("the request principal must be a non-empty string",
                           hint="an ARN, a service principal, or `anonymous`")
    if resource_account is not None and not isinstance(resource_account, str):
        raise RequestError("`resource_account` must be a string")
    for name, flag in zip(_FLAGS, flags, strict=True):
        if not isinstance(flag, bool):
            raise RequestError(f"`{name}` must be true or false")
    if environment is not None and not isinstance(environment, Environment):
        raise RequestError("`environment` must be a qiam.context.Environment")


def fill(request: Request, state: State) -> None:
    """Set a new request's slots from its state."""
    set_ = object.__setattr__
    set_(request, "facts", state[0])
    set_(request, "_key", None)
    set_(request, "resource_match", state[1][6])
    set_(request, "_rest", state[1])


def arguments_of(data: object) -> Arguments:
    """The arguments of ``Request`` that a batch ``request`` object gives; raises RequestError."""
    if type(data) is not dict and not isinstance(data, Mapping):  # (a dict, as JSON gives, skips the ABC)
        raise RequestError("`request` must be a JSON object")
    if not FIELD_SET.issuperset(data):
        unknown = set(data) - FIELD_SET
        raise RequestError(f"unknown request field `{sorted(unknown)[0]}`",
                           hint="fields: " + ", ".join(_FIELDS))
    if "action" not in data:
        raise RequestError("the request has no `action`")
    arguments: list[object] = list(ABSENT_ARGUMENTS)
    for name, value in data.items():
        arguments[ARGUMENT_OF_FIELD[name]] = value
    arguments[9] = _environment_of(data) if arguments[8] is True else None
    return tuple(arguments)  # type: ignore[return-value]


def request_state(arguments: Arguments) -> State:
    """What a request holds, from the arguments of ``Request`` in their order: the reference for every
    input, which the compiled core's ``request_state`` stands for on the usual shapes. Raises RequestError."""
    (action, resource, principal, context, resource_account, service_linked_role, management_account,
     resource_management_account, derive_context, environment, resource_match) = arguments
    _check_arguments(action, resource, principal, resource_account, resource_match, environment,
                     (service_linked_role, management_account, resource_management_account, derive_context))
    given = _fold_context(context)
    caller = parse_caller(principal, given, service_linked_role=service_linked_role)
    fields = resource.split(":", 5)
    in_arn = fields[4] if len(fields) == 6 and fields[4] and not (
        resource_match and ("*" in fields[4] or "?" in fields[4])) else None
    owner = resource_account or in_arn or caller.account
    partition = fields[1] if len(fields) == 6 else caller.partition
    if caller.kind is CallerKind.UNSPECIFIED:
        # No principal given: an IAM principal of the resource's account.
        caller = in_account(caller, owner, partition)
    merged = given
    derived: dict[str, ContextValue] = {}
    if derive_context:
        environment = environment or _DEFAULT_ENVIRONMENT
        try:
            made = derive(caller, resource=resource, owner_account=owner, environment=environment)
        except ValueError as exc:
            raise RequestError(f"cannot derive the request context: {exc}",
                               hint="give the time as ISO 8601 with a zone, e.g. 2026-01-01T00:00:00Z") from None
        derived = {k: v for k, v in made.items() if k not in given}
        if derived:
            merged = {**derived, **given}
    else:
        environment = None
    facts = (action.lower(), action.split(":", 1)[0].lower(), resource, merged, caller, caller.kind,
             caller.has_identity_policies, caller.authenticated, caller.service_linked_role, management_account,
             resource_management_account, caller.account, owner, caller.partition, partition, action,
             caller.account == owner, caller.partition == partition)
    rest = (principal, resource_account, service_linked_role, given, derived, environment, resource_match)
    return facts, rest


def _plain(context: Mapping[str, ContextValue]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in context.items()}


def _rebuild(action: str, resource: str, principal: str | None, context: dict[str, Any],
             derived: tuple[str, ...], resource_account: str | None, service_linked_role: bool,
             management_account: bool, resource_management_account: bool, resource_match: str | None) -> Request:
    """A pickled request: its whole context given, then split again into given and derived keys."""
    request = Request(action, resource, principal=principal, context=context, resource_account=resource_account,
                      service_linked_role=service_linked_role, management_account=management_account,
                      resource_management_account=resource_management_account, derive_context=False,
                      resource_match=resource_match)
    if derived:
        names = frozenset(derived)
        merged = request._context
        rest = request._rest
        object.__setattr__(request, "_rest", (*rest[:3], {k: v for k, v in merged.items() if k not in names},
                                              {k: v for k, v in merged.items() if k in names}, *rest[5:]))
    return request


_DEFAULT_ENVIRONMENT = Environment()


def _environment_of(data: Mapping[str, Any]) -> Environment:
    """The derivation inputs of a batch ``request`` object."""
    region = data.get("region")
    if region is not None and (not isinstance(region, str) or not region):
        raise RequestError("`region` must be a region name, e.g. eu-west-1")
    time = data.get("time")
    if time is not None:
        if not isinstance(time, str):
            raise RequestError("`time` must be ISO 8601 text, e.g. 2026-01-01T00:00:00Z")
        try:
            parse_time(time)
        except ValueError:
            raise RequestError(f"`time` `{time}` is not an ISO 8601 time",
                               hint="e.g. 2026-01-01T00:00:00Z") from None
    tags = data.get("principal_tags")
    if tags is not None and (not isinstance(tags, Mapping)
                             or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items())):
        raise RequestError("`principal_tags` must be an object of tag names to string values")
    return Environment(region=region, time=time, principal_tags=tags)


# The order of Request.facts, which the decision kernels read by position.
FACTS = ("action_lower", "service", "resource", "context", "caller", "caller_kind", "has_identity_policies",
         "authenticated", "service_linked_role", "management_account", "resource_management_account",
         "caller_account", "owner_account", "caller_partition", "owner_partition", "action", "same_account",
         "same_partition")

# The order of a request's rest (see Request._rest).
REST = ("principal", "resource_account", "service_linked_role", "given", "derived", "environment", "resource_match")

_FIELDS = ("principal", "action", "resource", "resource_account", "context", "service_linked_role",
           "management_account", "resource_management_account", "derive_context", "region", "time",
           "principal_tags", "resource_match")
FIELD_SET = frozenset(_FIELDS)
# Where each field goes among Request's arguments, and what an absent one gives. The environment (9) is
# made of its three fields, and only when the context is derived.
ARGUMENT_OF_FIELD = {"action": 0, "resource": 1, "principal": 2, "context": 3, "resource_account": 4,
                     "service_linked_role": 5, "management_account": 6, "resource_management_account": 7,
                     "derive_context": 8, "region": 9, "time": 9, "principal_tags": 9, "resource_match": 10}
ABSENT_ARGUMENTS = (None, "*", None, None, None, False, False, False, False, None, None)


def _fold_context(context: Mapping[str, object] | None) -> dict[str, ContextValue]:
    if context is None:
        return {}
    if type(context) is not dict and not isinstance(context, Mapping):
        raise RequestError("the request context must be an object of keys and values")
    folded: dict[str, ContextValue] = {}
    for key, value in context.items():
        if not isinstance(key, str) or not key:
            raise RequestError("context keys must be non-empty strings")
        name = key.lower()
        if name in folded:
            raise RequestError(f"context key `{key}` is given twice (keys are case-insensitive)")
        if type(value) is str:  # the usual value: its own canonical text
            folded[name] = value
        elif isinstance(value, (list, tuple)):
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
