"""Principals: who asks (Caller, from the request), and who a policy names (PrincipalMatcher).

A caller is one principal at a time (semantics.md §2.3): an IAM user, a role
session, a federated user, an account's root user, an AWS service, or an
anonymous caller. A ``Principal`` element names callers directly (a user, a
session, a federated user), through their role (a role ARN covers its
sessions), through their account (which only delegates to the account's own
policies), or by ``*``. How a caller was named decides what can still block
an allow (semantics.md §4.4), so matching returns the kind of match.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from qiam._immutable import made_once
from qiam.errors import RequestError


class CallerKind(enum.Enum):
    """The kinds of principal a request can come from (semantics.md §4.1)."""

    IAM_USER = "iam_user"
    ROLE_SESSION = "role_session"
    FEDERATED_USER = "federated_user"
    ROOT = "root"
    SERVICE = "service"
    ANONYMOUS = "anonymous"
    FEDERATED_PROVIDER = "federated_provider"  # a web identity or SAML provider (trust policies)
    UNSPECIFIED = "unspecified"  # no principal given: an IAM principal of the resource's account


class MatchKind(enum.Enum):
    """How a Principal element named the caller."""

    DIRECT = "direct"  # the user, session or federated-user ARN itself
    ROLE_OF_SESSION = "role_of_session"  # the role ARN of a role session
    ACCOUNT = "account"  # the account, by ID or root ARN: delegation to the account's policies
    WILDCARD = "wildcard"  # "*"
    NOT_PRINCIPAL = "not_principal"  # an Allow with NotPrincipal that does not list the caller
    SERVICE = "service"
    FEDERATED = "federated"
    CANONICAL_USER = "canonical_user"


# How a resource-policy allow names the caller, as the path of the allow in ``Result.reasons``. Spelt
# once per kind here: ``.value`` is a property call, and decisions read it per matched statement.
ALLOW_PATHS: dict[MatchKind, str] = {kind: f"resource_policy:{kind.value}" for kind in MatchKind}

# Enum members read once: `MatchKind.DIRECT` is a lookup through the enum's metaclass, and
# `match` runs for every resource-policy statement of every request.
_DIRECT, _ROLE_OF_SESSION, _ACCOUNT_MATCH, _WILDCARD = (MatchKind.DIRECT, MatchKind.ROLE_OF_SESSION,
                                                        MatchKind.ACCOUNT, MatchKind.WILDCARD)
_SERVICE_MATCH, _FEDERATED, _CANONICAL_USER = MatchKind.SERVICE, MatchKind.FEDERATED, MatchKind.CANONICAL_USER
_ROLE_SESSION, _SERVICE = CallerKind.ROLE_SESSION, CallerKind.SERVICE

_ARN = re.compile(r"arn:(?P<partition>[^:]+):(?P<service>iam|sts)::(?P<account>[0-9]{12}|aws):(?P<rest>.+)")
_ACCOUNT = re.compile(r"[0-9]{12}")


@made_once
@dataclass(frozen=True, slots=True)
class Caller:
    """The principal of a request, with what the evaluator needs to know about it."""

    kind: CallerKind
    text: str | None  # as given
    arn: str | None = None
    account: str | None = None
    partition: str = "aws"
    role_arn: str | None = None  # a role session's role, with its path
    service_linked_role: bool = False
    # Whether the caller is an AWS principal of an account (not anonymous, not a service).
    authenticated: bool = field(init=False)
    # Users, role sessions and federated users carry identity policies (root has all rights).
    has_identity_policies: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "has_identity_policies", self.kind in _WITH_IDENTITY_POLICIES)
        object.__setattr__(self, "authenticated", self.kind in _WITH_IDENTITY_POLICIES or
                           self.kind is CallerKind.ROOT)


_WITH_IDENTITY_POLICIES = frozenset({CallerKind.IAM_USER, CallerKind.ROLE_SESSION, CallerKind.FEDERATED_USER,
                                     CallerKind.UNSPECIFIED})


def parse_caller(text: str | None, context: Mapping[str, object], *, service_linked_role: bool = False) -> Caller:
    """Read a request's principal.

    A role session's ARN drops the role's path, so its role ARN is taken from
    ``aws:PrincipalArn`` when the context gives it, else rebuilt without a path.
    A role ARN given as the principal stands for a session of that role.
    """
    given = context.get("aws:principalarn") if text is not None and ":assumed-role/" in text else None
    return _caller(text, given if isinstance(given, str) else None, service_linked_role)


@functools.lru_cache(maxsize=4096)
def in_account(caller: Caller, account: str | None, partition: str) -> Caller:
    """An unspecified caller placed in an account and partition (the resource's, when a request names
    no principal); kept, as ``_caller`` is."""
    return replace(caller, account=account, partition=partition)


@functools.lru_cache(maxsize=4096)
def _caller(text: str | None, principal_arn: str | None, service_linked_role: bool) -> Caller:
    """``parse_caller`` of the principal and the one context key it reads: kept, since a bulk job's
    requests come from few principals (a Caller is immutable)."""
    if text is None:
        return Caller(CallerKind.UNSPECIFIED, None)
    if text == "anonymous" or text == "*":
        return Caller(CallerKind.ANONYMOUS, text)
    if _ACCOUNT.fullmatch(text):
        return Caller(CallerKind.ROOT, text, f"arn:aws:iam::{text}:root", text)
    match = _ARN.fullmatch(text)
    if match is None:
        if text.startswith("arn:") and (":saml-provider/" in text or ":oidc-provider/" in text):
            return Caller(CallerKind.FEDERATED_PROVIDER, text, text, text.split(":")[4],
                          text.split(":")[1])
        if ":" not in text and "/" not in text and "." in text:
            if text.endswith((".amazonaws.com", ".amazonaws.com.cn", ".amazon.com")):
                return Caller(CallerKind.SERVICE, text)
            return Caller(CallerKind.FEDERATED_PROVIDER, text)
        raise RequestError(
            f"request principal `{text}` is not a principal qiam knows",
            hint="an IAM user, role, root or STS session ARN, a service principal such as "
                 "sns.amazonaws.com, or `anonymous`",
        )
    partition, service, account, rest = match.group("partition", "service", "account", "rest")
    if service == "iam":
        if rest == "root":
            return Caller(CallerKind.ROOT, text, text, account, partition)
        if rest.startswith("user/"):
            return Caller(CallerKind.IAM_USER, text, text, account, partition)
        if rest.startswith("role/"):
            return Caller(CallerKind.ROLE_SESSION, text, None, account, partition, text,
                          service_linked_role or rest.startswith("role/aws-service-role/"))
    else:
        if rest.startswith("assumed-role/") and rest.count("/") >= 2:
            role_name = rest.split("/")[1]
            role_arn = f"arn:{partition}:iam::{account}:role/{role_name}"
            if principal_arn is not None and principal_arn.startswith(f"arn:{partition}:iam::{account}:role/") \
                    and principal_arn.rsplit("/", 1)[-1] == role_name:
                role_arn = principal_arn
            slr = service_linked_role or ":role/aws-service-role/" in role_arn
            return Caller(CallerKind.ROLE_SESSION, text, text, account, partition, role_arn, slr)
        if rest.startswith("federated-user/"):
            return Caller(CallerKind.FEDERATED_USER, text, text, account, partition)
    raise RequestError(f"request principal `{text}` is not a user, role, root or session ARN",
                       hint="e.g. arn:aws:iam::111122223333:user/alice")


def _account_of(entry: str) -> str | None:
    """The account an ``AWS`` principal entry names as a whole, if it names one."""
    if _ACCOUNT.fullmatch(entry):
        return entry
    match = _ARN.fullmatch(entry)
    if match and match.group("service") == "iam" and match.group("rest") == "root":
        return match.group("account")
    return None


class PrincipalMatcher:
    """A compiled ``Principal`` or ``NotPrincipal`` element."""

    __slots__ = ("accounts", "canonical", "direct", "federated", "roles", "services", "wildcard")

    def __init__(self, element: object) -> None:
        self.wildcard = element == "*"
        self.accounts: dict[str, str] = {}  # account -> its partition ("aws" for a bare ID)
        self.direct: set[str] = set()
        self.roles: set[str] = set()
        self.services: set[str] = set()
        self.federated: set[str] = set()
        self.canonical: set[str] = set()
        if not isinstance(element, Mapping):
            return
        for kind, names in element.items():
            values = [names] if isinstance(names, str) else [n for n in names if isinstance(n, str)]
            for name in values:
                if kind == "AWS":
                    self._add_aws(name)
                elif kind == "Service":
                    self.services.add(name)
                elif kind == "Federated":
                    self.federated.add(name)
                elif kind == "CanonicalUser":
                    self.canonical.add(name)

    def _add_aws(self, name: str) -> None:
        if name == "*":
            self.wildcard = True
            return
        account = _account_of(name)
        if account is not None:
            self.accounts[account] = name.split(":")[1] if name.startswith("arn:") else "*"
        elif ":role/" in name and ":iam::" in name:
            self.roles.add(name)
        else:
            # Users, sessions, federated users; partial wildcards never match (semantics.md §2.3).
            self.direct.add(name)

    def match(self, caller: Caller) -> MatchKind | None:
        """How this element names ``caller``, the most specific way first; None if it does not."""
        kind = caller.kind
        if caller.arn is not None and caller.arn in self.direct:
            return _DIRECT
        if kind is _ROLE_SESSION and caller.role_arn in self.roles:
            return _ROLE_OF_SESSION
        if caller.authenticated and caller.account is not None and caller.account in self.accounts:
            partition = self.accounts[caller.account]
            if partition in ("*", caller.partition):
                return _ACCOUNT_MATCH
        text = caller.text
        if text is not None:
            if kind is _SERVICE and text in self.services:
                return _SERVICE_MATCH
            if text in self.federated:
                return _FEDERATED
            if text in self.canonical:
                return _CANONICAL_USER
        if self.wildcard:
            return _WILDCARD
        return None

    def excludes(self, caller: Caller) -> bool:
        """Whether a ``NotPrincipal`` with these entries leaves ``caller`` out.

        Only a listing of the caller itself (or its role, or ``*``) leaves it out:
        per the NotPrincipal page, listing an account's root ARN does not spare the
        account's other users (semantics.md E53, DISPUTED; iam-simulate spares them).
        """
        found = self.match(caller)
        return found is not None and found is not MatchKind.ACCOUNT
