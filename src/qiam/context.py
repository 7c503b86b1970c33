"""The request context AWS supplies: global condition keys derived from what a request already says.

AWS adds these keys to every signed request (semantics.md §4.1a). A local
answer that leaves them out lets negated and ``...IfExists`` operators fire
where AWS's would not: an SCP that denies ``StringNotEquals
aws:RequestedRegion`` or exempts ``ArnNotLike aws:PrincipalArn`` would deny a
caller AWS allows. Each key below says where its value comes from and when AWS
sets it, from the global condition context keys page of the IAM User Guide
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):

=============================  ==========================================================================
key                            value, and when it is present
=============================  ==========================================================================
aws:PrincipalArn               the user's ARN; for a role session the role's ARN with its path; the root
                               user's ``arn:aws:iam::ACCOUNT:root``; a federated user's ARN
aws:PrincipalAccount           the principal's account
aws:PrincipalType              ``User``, ``AssumedRole``, ``FederatedUser``, ``Account`` (root), ``Anonymous``
aws:userid                     the unique id (``ROLEID:session`` for a role session), only when it is
                               given: an unknown id is left out, never invented
aws:username                   an IAM user's friendly name; IAM users only
aws:PrincipalTag/K             each tag of the user or role (session tags override)
aws:PrincipalIsAWSService      ``false`` for IAM principals, ``true`` for an AWS service principal
aws:PrincipalOrgID             the principal's organization, when it is given
aws:RequestedRegion            the region called (given; else the resource ARN's; else ``us-east-1``,
                               where IAM and the other global services are called)
aws:CurrentTime, aws:EpochTime the time of the request (given; else now), to the second
aws:SecureTransport            ``true``: every console and SDK call goes over TLS
aws:ViaAWSService              ``false``: a direct call
aws:ResourceAccount            the account owning the resource; absent for an action without a resource
aws:ResourceOrgID              the resource's organization, when it is given
aws:MultiFactorAuthPresent     ``true``, as the console sets it for an administrator signed in with MFA
                               (``mfa=False`` gives ``false``; ``mfa=None`` leaves it out, as for
                               long-term access keys)
=============================  ==========================================================================

Keys that depend on the call path (``aws:SourceIp``, ``aws:UserAgent``,
``aws:SourceVpc``, ``aws:CalledVia`` and the like) are never derived: a
decision that depends on them lists them in ``missing_context_keys``.
Explicit context always wins over a derived value.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass

from qiam._immutable import made_once
from qiam.principals import Caller, CallerKind

__all__ = ["DEFAULT_REGION", "Environment", "derive"]

DEFAULT_REGION = "us-east-1"

_TYPES = {
    CallerKind.IAM_USER: "User",
    CallerKind.ROLE_SESSION: "AssumedRole",
    CallerKind.FEDERATED_USER: "FederatedUser",
    CallerKind.ROOT: "Account",
    CallerKind.ANONYMOUS: "Anonymous",
}


@made_once
@dataclass(frozen=True, slots=True)
class Environment:
    """What a request's derived context is made from, beyond its principal, action and resource.

    Parameters
    ----------
    region : str, optional
        The region called; default: the resource ARN's region, else ``us-east-1``.
    time : datetime or str, optional
        When the request is made (a timezone-aware datetime, or ISO 8601 text);
        default: now.
    principal_tags : mapping, optional
        The tags of the user or role (session tags included).
    principal_id : str, optional
        The unique id of the user or role (``AIDA...``, ``AROA...``).
    mfa : bool or None
        ``aws:MultiFactorAuthPresent``: True (default), False, or None to leave it out.
    principal_org_id, resource_org_id : str, optional
        The organizations of the principal's and the resource's accounts.
    """

    region: str | None = None
    time: _dt.datetime | str | None = None
    principal_tags: Mapping[str, str] | None = None
    principal_id: str | None = None
    mfa: bool | None = True
    principal_org_id: str | None = None
    resource_org_id: str | None = None


def _instant(value: _dt.datetime | str | None) -> _dt.datetime:
    if value is None:
        return _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    if isinstance(value, str):
        text = value.strip()
        parsed = _dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        value = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_dt.UTC)
    if value.tzinfo is None:
        raise ValueError("the request time must say its time zone")
    return value.astimezone(_dt.UTC).replace(microsecond=0)


def parse_time(value: str) -> _dt.datetime:
    """ISO 8601 text (``2026-12-01T12:00:00Z``; no zone means UTC) as an aware datetime; raises ValueError."""
    return _instant(value)


def derive(caller: Caller, *, resource: str, owner_account: str | None, environment: Environment
           ) -> dict[str, str]:
    """The derived context of a request, keys case-folded, values as the kernel reads them.

    ``caller`` is the request's principal, ``resource`` its resource (``*`` for
    an action without one) and ``owner_account`` the account owning it.
    """
    out: dict[str, str] = {}
    kind = caller.kind
    if caller.authenticated and kind is not CallerKind.UNSPECIFIED:
        arn = caller.role_arn if kind is CallerKind.ROLE_SESSION else caller.arn
        if arn is not None:
            out["aws:principalarn"] = arn
    if caller.authenticated and caller.account is not None:
        out["aws:principalaccount"] = caller.account
    principal_type = _TYPES.get(kind)
    if principal_type is not None:
        out["aws:principaltype"] = principal_type
    if environment.principal_id is not None and kind in (CallerKind.IAM_USER, CallerKind.ROLE_SESSION):
        session = (caller.text or "").rsplit("/", 1)[-1] if kind is CallerKind.ROLE_SESSION else None
        out["aws:userid"] = environment.principal_id + (f":{session}" if session else "")
    if kind is CallerKind.IAM_USER and caller.arn is not None:
        out["aws:username"] = caller.arn.rsplit("/", 1)[-1]
    if caller.authenticated:
        for tag, value in (environment.principal_tags or {}).items():
            out[f"aws:principaltag/{tag.lower()}"] = value
        out["aws:principalisawsservice"] = "false"
        if environment.principal_org_id is not None:
            out["aws:principalorgid"] = environment.principal_org_id
        if environment.mfa is not None:
            out["aws:multifactorauthpresent"] = "true" if environment.mfa else "false"
    elif kind is CallerKind.SERVICE:
        out["aws:principalisawsservice"] = "true"
    region = environment.region
    if region is None:
        fields = resource.split(":", 5)
        region = fields[3] if len(fields) == 6 and fields[3] and "*" not in fields[3] and "?" not in fields[3] \
            else DEFAULT_REGION
    out["aws:requestedregion"] = region
    instant = _instant(environment.time)
    out["aws:currenttime"] = instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    out["aws:epochtime"] = str(int(instant.timestamp()))
    out["aws:securetransport"] = "true"
    out["aws:viaawsservice"] = "false"
    if resource != "*" and owner_account:
        out["aws:resourceaccount"] = owner_account
        if environment.resource_org_id is not None:
            out["aws:resourceorgid"] = environment.resource_org_id
    return out
