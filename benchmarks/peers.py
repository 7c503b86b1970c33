"""PMapper 1.1.5 as a benchmark-only peer: the batch line format on its local simulation.

Which PMapper function, and why
-------------------------------
``principalmapper.querying.query_interface.local_check_authorization_full`` is the
one entry point of PMapper that answers "do the identity policies, the permissions
boundary, the SCP levels, an optional resource policy and an optional session
policy let this principal call this action on this resource with this context?".
It checks explicit denies in every policy first, then each SCP level for an allow,
the resource policy (same-account KMS and IAM need the key or trust policy to name
the caller or its account), the boundary, the session policy and finally the
identity policies. The narrower helpers (``has_matching_statement``,
``policies_include_matching_allow_action``, ``resource_policy_authorization``) each
cover one step of that, and ``local_check_authorization`` ignores SCPs and resource
policies, which the layered workload and the KMS lines of both workloads need.

``local_check_authorization_full`` answers with a bool. The batch format has three
decisions, so when it says False the adapter tells an explicit deny from an implicit
one with PMapper's own matchers: the deny step of ``local_check_authorization_full``
repeated (``policy_has_matching_statement(..., "Deny", ...)`` over the identity
policies, the SCPs, the session policy and the boundary, and
``resource_policy_matching_statements`` over the resource policy), on the same
prepared context. Allowed requests pay nothing extra.

What is prepared once, per distinct line shape (same principal, same policies): the
``Node`` (the principal ARN, its identity policies as ``Policy`` objects, its
boundary), the SCP levels as lists of ``Policy`` and the resource and session policy
documents. Per request PMapper itself copies the context, wraps it in a
``CaseInsensitiveDict`` and adds the keys it infers (aws:CurrentTime, aws:userid,
aws:PrincipalArn, ...); that is part of its cost, as it would be for any caller.

Importing PMapper on Python 3.10+
---------------------------------
PMapper 1.1.5 does ``from collections import Mapping, MutableMapping``, removed in
Python 3.10. ``load_pmapper()`` aliases both to ``collections.abc`` before the
import, with warnings of the import silenced locally (the project runs pytest with
``filterwarnings = error``).
"""

from __future__ import annotations

import collections
import collections.abc
import hashlib
import importlib.util
import warnings
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

import orjson

PMAPPER_VERSION = "1.1.5"


def pmapper_missing() -> str | None:
    """Why PMapper cannot be used here, or None when it can."""
    try:
        spec = importlib.util.find_spec("principalmapper")
    except (ImportError, ValueError) as exc:
        return f"PMapper cannot be located: {exc!r}"
    if spec is None:
        return (f"PMapper is not installed (benchmark-only peer: "
                f"`pip install principalmapper=={PMAPPER_VERSION}`)")
    try:
        load_pmapper()
    except Exception as exc:  # noqa: BLE001 - any failure to import is a reason to skip
        return f"PMapper does not import: {exc!r}"
    return None


def load_pmapper() -> tuple[ModuleType, ModuleType, ModuleType]:
    """Import PMapper's ``common``, ``local_policy_simulation`` and ``query_interface`` modules."""
    for name in ("Mapping", "MutableMapping"):
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from principalmapper import common
        from principalmapper.querying import local_policy_simulation, query_interface
    return common, local_policy_simulation, query_interface


def _account(arn: str) -> str | None:
    fields = arn.split(":", 5)
    return fields[4] or None if len(fields) == 6 else None


class PMapperPeer:
    """Decides batch lines with PMapper's local simulation.

    Parameters
    ----------
    library : mapping of name to policy document (``library.json``)
    """

    def __init__(self, library: Mapping[str, Any]) -> None:
        self.common, self.lps, self.qi = load_pmapper()
        self.library = dict(library)
        self._policies: dict[str, Any] = {}  # name -> PMapper Policy
        self._shapes: dict[bytes, tuple[Any, ...]] = {}

    # ---- preparation (once per policy and per line shape) ------------------------------

    def _document(self, item: Any) -> dict[str, Any]:
        if isinstance(item, dict) and set(item) == {"$ref"}:
            document: dict[str, Any] = self.library[item["$ref"]]
            return document
        if isinstance(item, dict):
            return item
        raise ValueError("the PMapper adapter takes policy objects and $refs, "
                         f"not {type(item).__name__}")

    def _policy(self, item: Any, kind: str) -> Any:
        name = item["$ref"] if isinstance(item, dict) and set(item) == {"$ref"} else None
        if name is not None and name in self._policies:
            return self._policies[name]
        label = name or f"inline-{len(self._policies)}"
        arn = f"arn:aws:iam::aws:policy/{kind}/{label}"
        policy = self.common.Policy(arn, label, self._document(item))
        if name is not None:
            self._policies[name] = policy
        return policy

    def prepare(self, line: Mapping[str, Any]) -> tuple[Any, ...]:
        """The PMapper objects of a line's principal and policies (cached per line shape)."""
        policies = line.get("policies") or {}
        principal = line["request"]["principal"]
        key = orjson.dumps([principal, policies], option=orjson.OPT_SORT_KEYS)
        found = self._shapes.get(key)
        if found is not None:
            return found
        if policies.get("rcp"):
            raise ValueError("PMapper 1.1.5 has no resource control policies")
        session = policies.get("session")
        if session is not None and len(session) != 1:
            raise ValueError("PMapper 1.1.5 takes one session policy")
        boundary = policies.get("boundary")
        is_role = ":role/" in principal
        node = self.common.Node(
            arn=principal,
            id_value="AROA" + hashlib.sha1(principal.encode()).hexdigest()[:17].upper(),
            attached_policies=[self._policy(p, "identity") for p in policies.get("identity") or ()],
            group_memberships=[],
            trust_policy={} if is_role else None,
            instance_profile=None,
            num_access_keys=0,
            active_password=False,
            is_admin=False,
            permissions_boundary=None if boundary is None else self._policy(boundary, "boundary"),
            has_mfa=False,
            tags={},
        )
        scps = policies.get("scp")
        scp_levels = (None if scps is None
                      else [[self._policy(p, "scp") for p in level] for level in scps])
        resource = policies.get("resource")
        found = (
            node,
            None if resource is None else self._document(resource),
            scp_levels,
            None if session is None else self._document(session[0]),
        )
        self._shapes[key] = found
        return found

    def prepare_all(self, lines: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """One prepared call per line: the arguments of ``local_check_authorization_full``.

        (node, action, resource, context, resource policy, resource owner, SCP levels,
        session policy)
        """
        calls = []
        for line in lines:
            node, resource_policy, scps, session = self.prepare(line)
            request = line["request"]
            resource = request.get("resource", "*")
            owner = request.get("resource_account") or _account(resource) or _account(node.arn)
            calls.append((node, request["action"], resource, dict(request.get("context") or {}),
                           resource_policy, owner, scps, session))
        return calls

    # ---- decisions --------------------------------------------------------------------

    def decide(self, call: tuple[Any, ...]) -> str:
        """``allowed``, ``explicitDeny`` or ``implicitDeny`` for one prepared call."""
        node, action, resource, context, resource_policy, owner, scps, session = call
        if self.qi.local_check_authorization_full(node, action, resource, context,
                                                  resource_policy, owner, scps, session):
            return "allowed"
        return "explicitDeny" if self._explicit_deny(call) else "implicitDeny"

    def decide_all(self, calls: Iterable[tuple[Any, ...]]) -> list[str]:
        """The decisions of many prepared calls, in order."""
        decide = self.decide
        return [decide(call) for call in calls]

    def allowed_all(self, calls: Iterable[tuple[Any, ...]]) -> list[bool]:
        """PMapper's own answer alone (allowed or not), no explicit/implicit split."""
        check = self.qi.local_check_authorization_full
        return [check(*call) for call in calls]

    def _explicit_deny(self, call: tuple[Any, ...]) -> bool:
        """The deny step of ``local_check_authorization_full`` alone, on the context it makes."""
        node, action, resource, context, resource_policy, owner, scps, session = call
        lps, qi = self.lps, self.qi
        keys = qi._prepare_condition_context(dict(context))
        keys.update(qi._infer_condition_keys(node, keys))
        matches = lps.policy_has_matching_statement
        policies = list(node.attached_policies)
        if scps is not None and not qi._check_if_service_linked_role(node):
            policies.extend(p for level in scps for p in level)
        if session is not None:
            policies.append(session)
        if node.permissions_boundary is not None:
            policies.append(node.permissions_boundary)
        if any(matches(p, "Deny", action, resource, keys) for p in policies):
            return True
        if resource_policy is not None:
            statements = lps.resource_policy_matching_statements(node, resource_policy, action,
                                                                 resource, keys)
            return any(s["Effect"] == "Deny" for s in statements)
        return False
