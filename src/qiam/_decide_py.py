"""Pure-Python twin of the compiled decision kernel ``qiam._decide``: the decision procedure.

This module is the readable specification of how a request is decided
(semantics.md §4.3): which policy types apply to the caller, which statements
apply to the request, explicit deny first, then the organization guardrails,
then the grant paths. ``_decide.pyx`` must give the same result for every
input. Statements and conditions arrive compiled (by ``qiam.compile``); values
are compared by the matchers they carry.

A tracer, when given, is told about every statement and condition, on the same
path that decides: that is how ``explain`` works.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import qiam.decision as _public
from qiam import findings, limits, special
from qiam._immutable import Immutable as _Immutable
from qiam.decision import DECISION_CODES, Decision, StatementRef
from qiam.errors import Diagnostic, Location
from qiam.kinds import TRUST_ACTIONS
from qiam.principals import ALLOW_PATHS, CallerKind, MatchKind
from qiam.types import JSONObject

__all__ = ["Condition", "Evaluator", "Result", "Statement", "decide_pairs", "evaluate_pairs", "has_shape"]

_ALLOW, _EXPLICIT_DENY, _IMPLICIT_DENY = Decision.ALLOW, Decision.EXPLICIT_DENY, Decision.IMPLICIT_DENY

# The special rules (semantics.md §4.4, §4.7) are qiam.special's tables.
_NO_PERMISSION_NEEDED = special.NO_PERMISSION_NEEDED
_AWS_OWNED = tuple((rule.reason, rule.shape.regex, rule.actions) for rule in special.AWS_OWNED)
_OWNED_ACTIONS = frozenset().union(*(actions for _, _, actions in _AWS_OWNED))
_TRUST_ACTIONS = TRUST_ACTIONS
_KMS_KEY = special.KMS_KEY.regex
_ROLE = special.ROLE.regex
# A group is a bit of a 64-bit word in the compiled kernel; both kernels refuse more.
MAX_GROUPS = 64

_SESSION_KINDS = (CallerKind.ROLE_SESSION, CallerKind.FEDERATED_USER)
# How many plans a set keeps, per service and per action (qiam.limits says why).
_MAX_SERVICE_PLANS = limits.SERVICE_PLANS
_MAX_ACTION_PLANS = limits.ACTION_PLANS
_CODE_OF = {decision: code for code, decision in enumerate(DECISION_CODES)}
_REPEAT_SAMPLE = limits.REPEAT_SAMPLE
_REPEAT_SHARE = limits.REPEAT_SHARE

_SET_PREFIXES = {None: 0, "ForAllValues": 1, "ForAnyValue": 2}


def has_shape(arn: str, shape: special.ArnShape) -> bool:
    """Whether ``arn`` has the ``qiam.special.ArnShape`` ``shape``, as the kernel reads it."""
    return shape.regex.match(arn) is not None


def _requires_resource_policy(action: str, resource: str) -> bool:
    """Role trust policies and KMS key policies must themselves allow (semantics.md §4.4)."""
    if action in _TRUST_ACTIONS:
        return _ROLE.match(resource) is not None
    return action.startswith("kms:") and _KMS_KEY.match(resource) is not None


class Condition(_Immutable):
    """One condition key under one operator, compiled.

    Parameters
    ----------
    key : str
        The key, case-folded; ``key_text`` as written.
    null : bool
        The operator is ``Null``: ``values`` is then a tuple of booleans (true:
        the key must be absent).
    negated, if_exists : bool
        The operator is negated; it ends in ``IfExists``.
    set_prefix : str or None
        ``ForAllValues``, ``ForAnyValue`` or None.
    values : object
        The compiled policy values: ``test(value, context, negated)`` compares one
        request value (True, False, or None when it cannot be read) and
        ``reads(value)`` says whether a request value can be read at all.
    exact : frozenset or None
        For ``StringEquals`` / ``StringNotEquals`` without variables, the values
        themselves: membership decides.
    operator, texts
        The operator and values as written, for explanations. A condition has no
        path of its own (it is its statement's path, then ``Condition``, the
        operator and the key), so equal conditions can be shared between statements.
    """

    __slots__ = ("exact", "if_exists", "key", "key_text", "negated", "null", "operator", "set_prefix",
                 "texts", "values")

    def __init__(self, key: str, key_text: str, *, null: bool, negated: bool, if_exists: bool,
                 set_prefix: str | None, values: Any, exact: frozenset[str] | None, operator: str,
                 texts: tuple[str, ...]) -> None:
        if set_prefix not in _SET_PREFIXES:
            raise ValueError("set_prefix must be None, `ForAllValues` or `ForAnyValue`")
        self.key = key
        self.key_text = key_text
        self.null = bool(null)
        self.negated = bool(negated)
        self.if_exists = bool(if_exists)
        self.set_prefix = set_prefix
        self.values = values
        self.exact = exact
        self.operator = operator
        self.texts = texts

    def __repr__(self) -> str:
        return f"Condition({self.operator!r}, {self.key_text!r})"


class Statement(_Immutable):
    """A compiled statement.

    Parameters
    ----------
    index : int
        Its position in the policy; ``sid`` its Sid, ``path`` its JSON path.
    allow : bool
        Allow (True) or Deny.
    actions : GlobSet
        The Action (or NotAction, when ``not_action``) patterns, case-folded.
    resources : object or None
        The Resource (or NotResource) entries: ``matches(resource, context)``,
        with ``static`` (an ArnPatternSet) and ``templates``; None when the
        statement has neither (a trust policy).
    principal : object or None
        The Principal (or NotPrincipal) matcher: ``match(caller)`` and
        ``excludes(caller)``; None outside resource-based policies.
    conditions : tuple of Condition
    services : frozenset of str or None
        The service prefixes its actions can match; None: any service.
    variables : tuple
        The policy variables its Resource and Condition read (``key``,
        ``name``, ``text``, ``default``).
    """

    __slots__ = ("actions", "allow", "conditions", "effect", "index", "not_action", "not_principal",
                 "not_resource", "path", "principal", "resources", "services", "sid", "variables")

    def __init__(self, index: int, sid: str | None, allow: bool, actions: Any, not_action: bool, resources: Any,
                 not_resource: bool, principal: Any, not_principal: bool, conditions: tuple[Condition, ...],
                 path: tuple[Any, ...], services: frozenset[str] | None, variables: tuple[Any, ...]) -> None:
        self.index = index
        self.sid = sid
        self.allow = bool(allow)
        self.effect = "Allow" if allow else "Deny"
        self.actions = actions
        self.not_action = bool(not_action)
        self.resources = resources
        self.not_resource = bool(not_resource)
        self.principal = principal
        self.not_principal = bool(not_principal)
        self.conditions = tuple(conditions)
        self.path = path
        self.services = services
        self.variables = tuple(variables)

    def __repr__(self) -> str:
        return f"Statement({self.index}, {self.effect})"


class Result(_Immutable):
    """The decision, the statements that decided it, and why.

    ``matched``: for an explicit deny every Deny statement that applies; for an
    allow the Allow statements of the path that granted (identity policies and
    the boundary and session policies that let them through, or the resource
    policy); for an implicit deny nothing. ``decided_by`` names the policy
    types (and organization levels) that decided. ``reasons`` gives the grant
    path of an allow (``identity``, ``resource_policy:direct``, ...) or what
    blocked an implicit deny (``no_allow``, ``boundary``, ``session_policy``,
    ``scp[1]``, ``rcp[0]``, ``resource_policy_required``,
    ``cross_account_resource_side``, ``cross_account_principal_side``,
    ``federated_user_without_session_policy``, ``cross_partition``,
    ``aws-owned-resource:...``), or ``no-permission-needed``.
    ``missing_context_keys`` are keys that conditions of otherwise applicable
    statements asked for and the request did not carry (the simulator's
    MissingContextValues). ``warnings`` are the validation findings of the
    policies; ``diagnostics`` what evaluating this request noticed.
    """

    __slots__ = ("decided_by", "decision", "diagnostics", "matched", "missing_context_keys", "reasons",
                 "same_account", "warnings")

    def __init__(self, decision: Decision, matched: tuple[StatementRef, ...] = (),
                 diagnostics: tuple[Diagnostic, ...] = (), warnings: tuple[Diagnostic, ...] = (),
                 decided_by: tuple[str, ...] = (), reasons: tuple[str, ...] = (),
                 missing_context_keys: tuple[str, ...] = (), same_account: bool = True) -> None:
        self.decision = decision
        self.matched = tuple(matched)
        self.diagnostics = tuple(diagnostics)
        self.warnings = tuple(warnings)
        self.decided_by = tuple(decided_by)
        self.reasons = tuple(reasons)
        self.missing_context_keys = tuple(missing_context_keys)
        self.same_account = bool(same_account)

    @property
    def allowed(self) -> bool:
        """Whether the decision is ALLOW."""
        return self.decision is _ALLOW

    def __repr__(self) -> str:
        return f"Result({self.decision.value}, matched={len(self.matched)}, reasons={self.reasons!r})"

    def to_dict(self) -> JSONObject:
        """The batch format's output fields."""
        return {
            "decision": self.decision.value,
            "matched": [m.to_dict() for m in self.matched],
            "decided_by": list(self.decided_by),
            "reasons": list(self.reasons),
            "missing_context_keys": list(self.missing_context_keys),
            "same_account": self.same_account,
            "warnings": [d.to_dict() for d in self.warnings + self.diagnostics],
        }


class _Group:
    """One policy type (or one organization level) of a set, with its statements."""

    __slots__ = ("entries", "kind", "label", "level")

    def __init__(self, kind: str, level: int, label: str) -> None:
        self.kind = kind
        self.level = level
        self.label = label  # identity, boundary, session, scp[1], rcp[0], resource
        self.entries: list[tuple[Statement, StatementRef, Any]] = []


class _Run:
    """The state of one evaluation."""

    __slots__ = ("allows", "bounded", "caller", "context", "denies", "kinds", "missing", "notes", "request",
                 "tracer")

    def __init__(self, request: Any, tracer: Any, groups: int, bounded: bool) -> None:
        self.request = request
        self.caller = request.caller
        self.context = request.context
        self.tracer = tracer
        self.bounded = bounded
        self.allows: list[list[StatementRef] | None] = [None] * groups
        self.denies: list[StatementRef] | None = None
        self.kinds: list[Any] = []  # per resource-policy allow: how it named the caller
        self.missing: set[str] | None = None
        self.notes: list[Diagnostic] | None = None

    def note(self, finding: findings.Finding, location: Location) -> None:
        notes = self.notes
        if notes is None:
            notes = self.notes = []
        if not any(n.code == finding.code and n.message == finding.message for n in notes):
            notes.append(finding.at(location))

    def miss(self, key: str) -> None:
        if self.missing is None:
            self.missing = set()
        self.missing.add(key)


class Evaluator(_Immutable):
    """The decision procedure over the compiled statements of a policy set (semantics.md §4.3).

    Parameters
    ----------
    groups : iterable of (kind, level, source, statements, refs)
        Each policy of the set: ``kind`` is ``identity``, ``boundary``,
        ``session``, ``scp``, ``rcp`` or ``resource``; ``level`` the
        organization level (0 is the root) for ``scp`` and ``rcp``; ``source``
        its Source; ``statements`` its compiled statements; ``refs`` their
        StatementRefs, which name the policy and its place in the set
        (``CompiledPolicy.refs``, made once per policy and place, so that a set
        costs little to make).
    warnings : tuple of Diagnostic
        The validation warnings of the policies, carried by every result.
    session_given : bool
        The caller's session has session policies (even if none is given here).
    scp_levels, rcp_levels : int
        How many organization levels there are: a level without policies has
        no allow, so it denies (semantics.md §4.3). 0: not in an organization.
    rcp_services : frozenset of str
        The service prefixes whose resources RCPs cover (the action catalog's list).

    A boundary or session policies apply when the set has some. There are at
    most 64 policy types and organization levels (ValueError).
    """

    __slots__ = ("_action_plans", "_boundary", "_elements", "_groups", "_identity", "_rcp_covered", "_rcps",
                 "_resource", "_scps",
                 "_service_plans", "_session", "_session_given", "_warnings")

    def __init__(self, groups: Iterable[tuple[str, int, Any, tuple[Statement, ...], tuple[StatementRef, ...]]],
                 warnings: tuple[Diagnostic, ...] = (), *, session_given: bool = False, scp_levels: int = 0,
                 rcp_levels: int = 0, rcp_services: frozenset[str] = frozenset()) -> None:
        by_label: dict[str, _Group] = {}
        order = {"identity": 0, "boundary": 1, "session": 2, "scp": 3, "rcp": 4, "resource": 5}
        items = sorted(groups, key=lambda g: (order[g[0]], g[1]))
        for kind, levels in (("scp", scp_levels), ("rcp", rcp_levels)):
            for level in range(levels):
                by_label[f"{kind}[{level}]"] = _Group(kind, level, f"{kind}[{level}]")
        for kind, level, source, statements, refs in items:
            group_label = f"{kind}[{level}]" if kind in ("scp", "rcp") else kind
            group = by_label.get(group_label)
            if group is None:
                group = by_label[group_label] = _Group(kind, level, group_label)
            for statement, ref in zip(statements, refs, strict=True):
                group.entries.append((statement, ref, source))
        self._groups = tuple(sorted(by_label.values(), key=lambda g: (order[g.kind], g.level)))
        if len(self._groups) > MAX_GROUPS:
            raise ValueError("a policy set has at most 64 policy types and organization levels")
        index = {g.label: i for i, g in enumerate(self._groups)}
        self._identity = index.get("identity", -1)
        self._boundary = index.get("boundary", -1)
        self._session = index.get("session", -1)
        self._session_given = bool(session_given) or self._session >= 0
        self._resource = index.get("resource", -1)
        self._scps = tuple(i for i, g in enumerate(self._groups) if g.kind == "scp")
        self._rcps = tuple(i for i, g in enumerate(self._groups) if g.kind == "rcp")
        self._warnings = tuple(warnings)
        self._service_plans: dict[str, tuple[tuple[int, Statement, StatementRef, Any], ...]] = {}
        self._action_plans: dict[str, tuple[tuple[int, Statement, StatementRef, Any], ...]] = {}
        self._elements: dict[str, tuple[tuple[Any, ...], tuple[Statement, ...]]] = {}
        self._rcp_covered = frozenset(rcp_services)

    def _service_plan(self, service: str | None) -> tuple[tuple[int, Statement, StatementRef, Any], ...]:
        """The statements that can apply to an action of ``service`` (None: every statement)."""
        plan = self._service_plans.get(service) if service is not None else None
        if plan is None:
            plan = tuple((g, st, ref, source) for g, group in enumerate(self._groups)
                         for st, ref, source in group.entries
                         if service is None or st.services is None or service in st.services)
            if service is not None and len(self._service_plans) < _MAX_SERVICE_PLANS:
                self._service_plans[service] = plan
        return plan

    def _plan(self, action: str, service: str) -> tuple[tuple[int, Statement, StatementRef, Any], ...]:
        """The index: the statements whose action element admits ``action`` (folded), in order.

        Whether a statement's Action or NotAction admits an action depends on the
        action alone, so it is decided once per action here and never per request.
        """
        plan = self._action_plans.get(action)
        if plan is None:
            plan = tuple(entry for entry in self._service_plan(service)
                         if entry[1].actions.matches_any(action) != entry[1].not_action)
            if len(self._action_plans) < _MAX_ACTION_PLANS:
                self._action_plans[action] = plan
        return plan

    def statements_for(self, action: str) -> tuple[tuple[Statement, StatementRef], ...]:
        """The statements whose Action or NotAction admits ``action`` (any case), with their references,
        in order: the statements that can bear on a request for it."""
        folded = action.lower()
        return tuple((st, ref) for _, st, ref, _ in self._plan(folded, folded.split(":", 1)[0]))

    def resource_elements(self, action: str) -> tuple[tuple[Any, ...], tuple[Statement, ...]]:
        """The Resource (or NotResource) matchers of the statements ``statements_for(action)`` gives:
        the distinct matchers without variables, in order, and the statements whose matcher has some."""
        folded = action.lower()
        found = self._elements.get(folded)
        if found is None:
            static: dict[int, Any] = {}
            templated = []
            for st, _ in self.statements_for(folded):
                if st.resources is None:
                    continue
                if st.resources.templates:
                    templated.append(st)
                else:
                    static.setdefault(id(st.resources), st.resources)
            found = (tuple(static.values()), tuple(templated))
            if len(self._elements) < _MAX_ACTION_PLANS:
                self._elements[folded] = found
        return found

    def evaluate(self, request: Any, tracer: Any = None) -> Result:
        """Decide one request; ``tracer`` is told about every statement and condition."""
        action = request.action_lower
        if action in _NO_PERMISSION_NEEDED:
            return Result(_ALLOW, (), (), self._warnings, (), (_NO_PERMISSION_NEEDED[action],))
        caller = request.caller
        kind = caller.kind
        groups = self._groups
        applies = [True] * len(groups)
        if self._identity >= 0 and not caller.has_identity_policies:
            applies[self._identity] = False
        bounded = self._boundary >= 0 and caller.has_identity_policies
        if self._boundary >= 0 and not bounded:
            applies[self._boundary] = False
        if self._session >= 0 and kind not in _SESSION_KINDS:
            applies[self._session] = False
        scps_apply = bool(self._scps) and caller.authenticated and not caller.service_linked_role \
            and not request.management_account
        for g in self._scps:
            applies[g] = scps_apply
        rcps_apply = bool(self._rcps) and not request.resource_management_account \
            and request.service in self._rcp_covered
        for g in self._rcps:
            applies[g] = rcps_apply

        run = _Run(request, tracer, len(groups), bounded)
        if self._session >= 0 and kind not in _SESSION_KINDS and groups[self._session].entries:
            # Given, but this caller has no session: they are left out, and the result says so.
            _, _, source = groups[self._session].entries[0]
            run.note(findings.session_policy_not_applicable(caller.text), Location(source, ()))
        plan = self._plan(action, request.service) if tracer is None else self._service_plan(None)
        for g, statement, ref, source in plan:
            if not applies[g]:
                continue
            # The index has already matched the action, unless a tracer wants every statement.
            outcome, named = _applies(statement, ref, source, run, tracer is None)
            if outcome is False:
                continue
            if statement.allow:
                if outcome is True:
                    found = run.allows[g]
                    if found is None:
                        found = run.allows[g] = []
                    found.append(ref)
                    if g == self._resource:
                        run.kinds.append(named)
            else:
                # An undecidable Deny applies: nothing qiam cannot read may grant (fail closed).
                if run.denies is None:
                    run.denies = []
                run.denies.append(ref)
        return self._decide(request, run, applies)

    def evaluate_many(self, requests: Iterable[Any]) -> list[Result]:
        """Decide many requests, in order; requests with equal ``key`` are decided once, while repeats
        are common enough to pay for the keying (``qiam.limits.REPEAT_SAMPLE``)."""
        seen = _Seen(self, _Tally())
        return [seen.decide(request) for request in requests]

    def _result(self, run: _Run, decision: Decision, matched: Iterable[StatementRef], decided_by: Iterable[str],
                reasons: tuple[str, ...]) -> Result:
        request = run.request
        caller = run.caller
        same_account = not caller.authenticated or caller.account == request.owner_account
        return Result(decision, tuple(matched), tuple(run.notes or ()), self._warnings,
                      tuple(dict.fromkeys(decided_by)), reasons, tuple(sorted(run.missing or ())), same_account)

    def _decide(self, request: Any, run: _Run, applies: list[bool]) -> Result:
        groups = self._groups
        caller = run.caller
        # 2. An explicit deny anywhere wins.
        if run.denies is not None:
            labels = {ref: _group_of(ref) for ref in run.denies}
            return self._result(run, _EXPLICIT_DENY, run.denies, labels.values(), ("explicitDeny",))
        action = request.action_lower
        if action in _OWNED_ACTIONS:
            for rule, pattern, actions in _AWS_OWNED:
                if action in actions and pattern.match(request.resource):
                    return self._result(run, _IMPLICIT_DENY, (), (), (rule,))

        # 3. Guardrails: every organization level must allow; they never grant.
        for levels in (self._rcps, self._scps):
            for g in levels:
                if applies[g] and run.allows[g] is None:
                    return self._result(run, _IMPLICIT_DENY, (), (groups[g].label,), (groups[g].label,))

        # 4. Grants.
        rp_allows = list(zip(run.allows[self._resource] or (), run.kinds, strict=False)) if self._resource >= 0 else []
        if not caller.authenticated:  # anonymous callers, services, identity providers
            if rp_allows:
                return self._result(run, _ALLOW, [r for r, _ in rp_allows], ("resource",), _paths(rp_allows))
            return self._result(run, _IMPLICIT_DENY, (), ("resource",), ("no_allow",))
        if caller.partition != request.owner_partition:
            # Resource policies never delegate across partitions (semantics.md §4.5).
            return self._result(run, _IMPLICIT_DENY, (), (), ("cross_partition",))

        identity_ok, identity_refs, blockers = self._identity_path(run, applies)
        boundary_blocks = self._boundary >= 0 and applies[self._boundary] and run.allows[self._boundary] is None
        session_blocks = self._session >= 0 and applies[self._session] and run.allows[self._session] is None

        def grants_alone(named: Any) -> bool:
            """Whether a resource-policy allow naming the caller this way grants by itself."""
            if named is MatchKind.ACCOUNT:
                return False  # the account only delegates to its own policies
            if named is MatchKind.ROLE_OF_SESSION:
                return not (boundary_blocks or session_blocks)
            # A user, session or federated-user ARN, or "*": not capped by boundaries or
            # session policies (semantics.md §4.4; the session-ARN reading is DISPUTED, E96).
            return True

        if caller.account != request.owner_account:
            if rp_allows and identity_ok:
                return self._result(run, _ALLOW, identity_refs + [r for r, _ in rp_allows], ("identity", "resource"),
                                    ("cross_account",))
            reasons = []
            if not rp_allows:
                reasons.append("cross_account_resource_side")
            if not identity_ok:
                reasons.append("cross_account_principal_side")
                reasons.extend(blockers)
            return self._result(run, _IMPLICIT_DENY, (), (), tuple(reasons))

        granting = [(r, k) for r, k in rp_allows if grants_alone(k)]
        if _requires_resource_policy(action, request.resource):
            if granting:
                return self._result(run, _ALLOW, [r for r, _ in granting], ("resource",), _paths(granting))
            if identity_ok and rp_allows:  # the key or trust policy delegates to the account
                return self._result(run, _ALLOW, identity_refs + [r for r, _ in rp_allows],
                                    ("identity", "resource"), ("identity", "resource_policy:account"))
            reasons = ["resource_policy_required"] + ([] if identity_ok else blockers)
            return self._result(run, _IMPLICIT_DENY, (), ("resource",), tuple(reasons))
        if identity_ok:
            return self._result(run, _ALLOW, identity_refs, ("identity",), ("identity",))
        if granting:
            return self._result(run, _ALLOW, [r for r, _ in granting], ("resource",), _paths(granting))
        return self._result(run, _IMPLICIT_DENY, (), (), tuple(blockers))

    def _identity_path(self, run: _Run, applies: list[bool]) -> tuple[bool, list[StatementRef], list[str]]:
        """Whether the caller's own policies grant (semantics.md §4.4 a), with their statements and blockers."""
        caller = run.caller
        if caller.kind is CallerKind.ROOT:
            return True, [], []  # the root user has every permission in its account
        refs: list[StatementRef] = []
        blockers: list[str] = []
        identity = run.allows[self._identity] if self._identity >= 0 and applies[self._identity] else None
        if identity is None:
            blockers.append("no_allow")
        else:
            refs.extend(identity)
        if self._boundary >= 0 and applies[self._boundary]:
            boundary = run.allows[self._boundary]
            if boundary is None:
                blockers.append("boundary")
            else:
                refs.extend(boundary)
        if caller.kind is CallerKind.FEDERATED_USER and not self._session_given:
            blockers.append("federated_user_without_session_policy")
        if self._session >= 0 and applies[self._session]:
            session = run.allows[self._session]
            if session is None:
                blockers.append("session_policy")
            else:
                refs.extend(session)
        return not blockers, refs, blockers


def evaluate_pairs(pairs: Iterable[tuple[Any, Any]]) -> list[Result]:
    """Decide (policy set, request) pairs, in order, in one call.

    A policy set is an ``Evaluator`` or holds one as ``_evaluator`` (a
    ``qiam.PolicySet``). Requests with equal ``key`` under one policy set are
    decided once, while repeats are common enough to pay for the keying
    (``qiam.limits.REPEAT_SAMPLE``).
    """
    seen_by: dict[Evaluator, _Seen] = {}
    tally = _Tally()
    out = []
    for owner, request in pairs:
        evaluator = owner if type(owner) is Evaluator else owner._evaluator
        seen = seen_by.get(evaluator)
        if seen is None:
            seen = seen_by[evaluator] = _Seen(evaluator, tally)
        out.append(seen.decide(request))
    return out


def decide_pairs(pairs: Iterable[tuple[Any, Any]]) -> bytes:
    """The decisions of (policy set, request) pairs, in order, as bytes: each a decision's index in
    ``qiam.decision.DECISION_CODES``. The rules are ``evaluate_pairs``'s, but nothing a Result reports
    is recorded or made: no object per pair, one evaluation state for them all, and a Deny that applies
    ends its request's evaluation. Keying as in ``evaluate_pairs``."""
    # The readable twin decides each pair in full; what it must hold to is the answer.
    return bytes(_CODE_OF[result.decision] for result in evaluate_pairs(pairs))


class _Tally:
    """The requests one ``evaluate_pairs`` or ``evaluate_many`` call has keyed, and how many repeated: the
    call stops keying when a sample of it shows repeats are rare, whatever policy sets they fall under
    (a workload of many sets with few requests each would otherwise key every request)."""

    __slots__ = ("keying", "repeats", "requests")

    def __init__(self) -> None:
        self.keying = True
        self.requests = 0
        self.repeats = 0

    def count(self, repeat: bool) -> None:
        self.requests += 1
        self.repeats += repeat
        if self.requests == _REPEAT_SAMPLE and self.repeats * _REPEAT_SHARE < self.requests:
            self.keying = False  # a workload that does not repeat: stop keying


class _Seen:
    """One policy set's evaluator in ``evaluate_pairs`` and ``evaluate_many``, and the results it gave, by
    request key, while the call keys them."""

    __slots__ = ("evaluator", "results", "tally")

    def __init__(self, evaluator: Evaluator, tally: _Tally) -> None:
        self.evaluator = evaluator
        self.results: dict[bytes, Result] = {}
        self.tally = tally

    def decide(self, request: Any) -> Result:
        """The result for ``request``: the one given for its key, while the call keys its requests."""
        if not self.tally.keying:
            return self.evaluator.evaluate(request)
        key = request.key
        result = self.results.get(key)
        self.tally.count(result is not None)
        if result is None:
            result = self.results[key] = self.evaluator.evaluate(request)
        return result


def _group_of(ref: StatementRef) -> str:
    """The decided_by label of a statement's policy: ``identity``, ``scp[1]``, ..."""
    label = ref.policy
    if label.startswith(("scp[", "rcp[")):
        return label[: label.index("]") + 1]
    return label.split("[", 1)[0]


def _paths(allows: list[tuple[StatementRef, Any]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ALLOW_PATHS[k] for _, k in allows if k is not None))


def _principal(st: Statement, run: _Run) -> Any:
    """How the statement's Principal / NotPrincipal names the caller; False when it does not."""
    matcher = st.principal
    if not st.not_principal:
        found = matcher.match(run.caller)
        return False if found is None else found
    if not st.allow and run.bounded:
        # A Deny with NotPrincipal always denies principals that have a permissions
        # boundary, whatever it lists (NotPrincipal page; semantics.md §2.4 (b)).
        return MatchKind.NOT_PRINCIPAL
    return False if matcher.excludes(run.caller) else MatchKind.NOT_PRINCIPAL


def _applies(st: Statement, ref: StatementRef, source: Any, run: _Run, action_known: bool
             ) -> tuple[bool | None, Any]:
    """Whether a statement applies (True, False, or None when a condition cannot be read), and how
    its Principal named the caller. ``action_known``: the index has already found that the
    statement's Action or NotAction admits the action."""
    tracer = run.tracer
    request = run.request
    if not action_known and st.actions.matches_any(request.action_lower) == st.not_action:
        if tracer is not None:
            element = "NotAction" if st.not_action else "Action"
            tracer.statement(ref, st, False, element,
                             f"`{request.action}` is {'listed' if st.not_action else 'not matched'}")
        return False, None
    if st.variables:
        _check_variables(st, source, run)
    if st.resources is not None and st.resources.matches(request.resource, run.context) == st.not_resource:
        if tracer is not None:
            element = "NotResource" if st.not_resource else "Resource"
            tracer.statement(ref, st, False, element,
                             f"`{request.resource}` is {'listed' if st.not_resource else 'not matched'}")
        return False, None
    named: Any = None
    if st.principal is not None:
        named = _principal(st, run)
        if named is False:
            if tracer is not None:
                element = "NotPrincipal" if st.not_principal else "Principal"
                who = run.caller.text or "the caller"
                tracer.statement(ref, st, False, element,
                                 f"`{who}` is {'listed' if st.not_principal else 'not named'}")
            return False, None
    outcome: bool | None = True
    conditions = st.conditions
    for position, condition in enumerate(conditions):
        result = _condition(condition, st, source, run)
        if result is False:
            outcome = False
            # The keys of the conditions not looked at are still ones the decision may need.
            for later in conditions[position + 1:]:
                if later.key not in run.context:
                    run.miss(later.key_text)
            if tracer is None:
                return False, None
            break
        if result is None:
            outcome = None
    if outcome is None:
        run.note(findings.undecidable_condition(st.index), Location(source, st.path + ("Condition",)))
    if tracer is not None:
        detail = {True: "applies", False: "a condition is false", None: "a condition cannot be read"}[outcome]
        tracer.statement(ref, st, outcome, None if outcome is True else "Condition", detail)
    return outcome, named


def _check_variables(st: Statement, source: Any, run: _Run) -> None:
    """Note the policy variables this request leaves without a value."""
    for variable in st.variables:
        value = run.context.get(variable.key)
        if isinstance(value, tuple):
            run.note(findings.multivalued_variable(variable.text), Location(source, st.path))
        elif value is None and variable.default is None:
            run.miss(variable.name)
            run.note(findings.unresolved_variable(variable.text), Location(source, st.path))


def _condition(cc: Condition, st: Statement, source: Any, run: _Run) -> bool | None:
    """One key under one operator (semantics.md §3.2 to §3.5)."""
    context: Mapping[str, Any] = run.context
    raw = context.get(cc.key)
    if raw is None:
        run.miss(cc.key_text)
    result: bool | None
    if cc.null:
        # An empty string (or a set of empty strings) is null (semantics.md §3.3, docs' reading).
        present = raw is not None and raw != "" and (type(raw) is not tuple or any(raw))
        result = any(wants_absent is not present for wants_absent in cc.values)
        reason = "the key is present" if present else "the key is absent"
    elif raw is None:
        if cc.if_exists:
            result, reason = True, "the key is absent and the operator ends in IfExists"
        elif cc.set_prefix is not None:
            result = cc.set_prefix == "ForAllValues"
            reason = f"the key is absent: {cc.set_prefix} is {'true' if result else 'false'}"
        else:
            result = cc.negated
            reason = "the key is absent and the operator is " + ("negated" if cc.negated else "positive")
    elif cc.set_prefix is None:
        if type(raw) is tuple:
            # DISPUTED (semantics.md §3.5, E79): iam-simulate's reading, false for every operator.
            result, reason = False, "the key has several values and the operator has no set prefix"
            run.note(findings.multivalued_key_without_set_operator(cc.key_text, cc.operator),
                     Location(source, _condition_path(st, cc)))
        elif cc.exact is not None:
            result = (raw in cc.exact) is not cc.negated
            reason = "compared"
        else:
            result = cc.values.test(raw, context, cc.negated)
            reason = "compared"
    else:
        # Empty strings make a null set (semantics.md §3.5, DISPUTED E80: the docs' reading).
        values = [v for v in ((raw,) if type(raw) is str else raw) if v != ""]
        every = cc.set_prefix == "ForAllValues"
        result = every
        unknown = False
        for value in values:
            one = cc.values.test(value, context, cc.negated)
            if one is None:
                unknown = True
            elif one is not every:
                result = one
                unknown = False
                break
        if unknown:
            result = None
        reason = f"{cc.set_prefix} over {len(values)} value(s)"
    if result is None:
        reason = "a value cannot be read"
        for value in (raw,) if type(raw) is str else raw or ():
            if not cc.values.reads(value):
                reason = f"the request value `{value}` cannot be read"
                run.note(findings.invalid_request_value(cc.key_text, value, cc.operator),
                         Location(source, _condition_path(st, cc)))
    if run.tracer is not None:
        run.tracer.condition(st, cc, raw is not None, result, reason)
    return result


def _condition_path(st: Statement, cc: Condition) -> tuple[Any, ...]:
    return st.path + ("Condition", cc.operator, cc.key_text)


# The public types of these classes (qiam.Result, qiam.compile.CompiledStatement, ...).
_public.Result.register(Result)
_public.CompiledStatement.register(Statement)
_public.CompiledCondition.register(Condition)
