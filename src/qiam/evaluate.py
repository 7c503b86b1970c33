"""The decision procedure: PolicySet.evaluate / evaluate_many, Decision, Result, StatementRef.

One code path decides and explains: ``explain`` runs ``evaluate`` with a tracer
attached, and the hot path pays one ``if tracer is not None`` per statement.
Data problems in a request never raise: they follow AWS's documented outcome,
or, where a value cannot be read at all, fail closed (a Deny applies, an Allow
does not), and are reported in ``Result.diagnostics``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from qiam.errors import Diagnostic, Location, Severity
from qiam.operators import FOR_ALL_VALUES, Family
from qiam.principals import Caller, CallerKind, MatchKind
from qiam.request import Request

if TYPE_CHECKING:
    from qiam.compile import CompiledCondition, CompiledPolicy, CompiledStatement
    from qiam.explain import Explanation


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


@dataclass(frozen=True, slots=True)
class Result:
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

    decision: Decision
    matched: tuple[StatementRef, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    warnings: tuple[Diagnostic, ...] = ()
    decided_by: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    missing_context_keys: tuple[str, ...] = ()
    same_account: bool = True

    @property
    def allowed(self) -> bool:
        """Whether the decision is ALLOW."""
        return self.decision is Decision.ALLOW

    def to_dict(self) -> dict[str, Any]:
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


class Tracer(Protocol):
    """Receives what the evaluator decides about each statement and condition."""

    def condition(self, statement: CompiledStatement, condition: CompiledCondition, present: bool,
                  result: bool | None, reason: str) -> None: ...

    def statement(self, label: str, policy: CompiledPolicy, statement: CompiledStatement,
                  outcome: bool | None, element: str | None, detail: str) -> None: ...


class _Run:
    """The state of one evaluation: the request, the caller, what was noticed, the tracer."""

    __slots__ = ("action", "bounded", "caller", "context", "missing", "notes", "request", "resource",
                 "tracer")

    def __init__(self, request: Request, caller: Caller, tracer: Tracer | None, bounded: bool) -> None:
        self.request = request
        self.caller = caller
        self.action = request.action.lower()
        self.resource = request.resource
        self.context = request.context
        self.tracer = tracer
        self.bounded = bounded  # the caller has a permissions boundary
        self.notes: list[Diagnostic] = []
        self.missing: set[str] = set()

    def note(self, code: str, message: str, location: Location) -> None:
        if not any(n.code == code and n.message == message for n in self.notes):
            self.notes.append(Diagnostic(Severity.WARNING, code, message, location))


class _Found:
    """The applying statements of one policy type (or one organization level)."""

    __slots__ = ("allows", "denies", "kinds")

    def __init__(self) -> None:
        self.allows: list[StatementRef] = []
        self.denies: list[StatementRef] = []
        self.kinds: list[MatchKind | None] = []  # per allow: how a resource policy named the caller


# Calls that need no permission: one line each, with the source (semantics.md §4.7).
NO_PERMISSION_NEEDED = {
    # STS API reference, GetCallerIdentity: no permission needed; a deny does not stop it.
    "sts:getcalleridentity": "no-permission-needed",
}

# Resources that AWS owns: no policy can let a customer change them (semantics.md §4.7).
_AWS_OWNED: tuple[tuple[str, re.Pattern[str], frozenset[str]], ...] = (
    ("aws-owned-resource:aws-managed-policy", re.compile(r"arn:[^:]+:iam::aws:policy/"), frozenset({
        "iam:createpolicy", "iam:createpolicyversion", "iam:deletepolicy", "iam:deletepolicyversion",
        "iam:setdefaultpolicyversion", "iam:tagpolicy", "iam:untagpolicy"})),
    ("aws-owned-resource:aws-reserved-role", re.compile(r"arn:[^:]+:iam::[0-9]{12}:role/aws-reserved/"), frozenset({
        "iam:attachrolepolicy", "iam:createrole", "iam:createservicelinkedrole", "iam:deleterole",
        "iam:deleterolepermissionsboundary", "iam:deleterolepolicy", "iam:deleteservicelinkedrole",
        "iam:detachrolepolicy", "iam:passrole", "iam:putrolepermissionsboundary", "iam:putrolepolicy",
        "iam:tagrole", "iam:untagrole", "iam:updateassumerolepolicy", "iam:updaterole",
        "iam:updateroledescription"})),
    ("aws-owned-resource:aws-managed-key-alias", re.compile(r"arn:[^:]+:kms:[^:]*:[0-9]{12}:alias/aws/"),
     frozenset({"kms:createalias", "kms:deletealias", "kms:updatealias"})),
)

def rcp_services() -> frozenset[str]:
    """The services whose resources resource control policies cover, from the action catalog."""
    from qiam.catalog import load_catalog

    return load_catalog().rcp_services

# Where the resource policy is required even in the same account (semantics.md §4.4).
_TRUST_ACTIONS = frozenset({"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
                            "sts:tagsession", "sts:setsourceidentity"})
_KMS_KEY = re.compile(r"arn:[^:]+:kms:[^:]*:[^:]*:key/")
_ROLE = re.compile(r"arn:[^:]+:iam::[^:]*:role/")


def resource_policy_required(action: str, resource: str) -> bool:
    """Whether only the resource policy can open the door: role trust and KMS key policies."""
    folded = action.lower()
    if folded in _TRUST_ACTIONS:
        return _ROLE.match(resource) is not None
    return folded.startswith("kms:") and _KMS_KEY.match(resource) is not None


@dataclass(frozen=True, slots=True, eq=False)
class PolicySet:
    """Compiled policies that bear on requests; immutable and safe to share between threads.

    Build it with ``compile_policies``. ``session`` None means the caller has
    no session policies (an empty tuple means it has, and they allow nothing);
    ``scps`` / ``rcps`` None mean the account is not in an organization.
    """

    identity: tuple[CompiledPolicy, ...] = ()
    resource: CompiledPolicy | None = None
    boundary: CompiledPolicy | None = None
    session: tuple[CompiledPolicy, ...] | None = None
    scps: tuple[tuple[CompiledPolicy, ...], ...] | None = None
    rcps: tuple[tuple[CompiledPolicy, ...], ...] | None = None
    _warnings: tuple[Diagnostic, ...] = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        warnings: list[Diagnostic] = []
        for _, policy in self.labelled():
            warnings.extend(d for d in policy.diagnostics if d.severity is not Severity.ERROR)
        object.__setattr__(self, "_warnings", tuple(warnings))

    def labelled(self) -> Iterator[tuple[str, CompiledPolicy]]:
        """Every policy with its place in the set (``identity[0]``, ``scp[1][0]``, ...)."""
        for i, policy in enumerate(self.identity):
            yield f"identity[{i}]", policy
        if self.resource is not None:
            yield "resource", self.resource
        if self.boundary is not None:
            yield "boundary", self.boundary
        for i, policy in enumerate(self.session or ()):
            yield f"session[{i}]", policy
        for kind, levels in (("scp", self.scps), ("rcp", self.rcps)):
            for n, level in enumerate(levels or ()):
                for i, policy in enumerate(level):
                    yield f"{kind}[{n}][{i}]", policy

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """The validation warnings of every policy in the set."""
        return self._warnings

    def evaluate(self, request: Request, *, tracer: Tracer | None = None) -> Result:
        """Decide one request (semantics.md §4.3).

        Parameters
        ----------
        request : Request
        tracer : Tracer, optional
            Told about every statement (``explain`` passes one).

        Returns
        -------
        Result
        """
        if request.action.lower() in NO_PERMISSION_NEEDED:
            return Result(Decision.ALLOW, reasons=(NO_PERMISSION_NEEDED[request.action.lower()],),
                          warnings=self._warnings)
        caller, resource_account, resource_partition = _where(request)
        kind = caller.kind
        bounded = self.boundary is not None and caller.has_identity_policies
        run = _Run(request, caller, tracer, bounded)

        # 1. Every policy type that applies to this caller and resource.
        identity = self._scan_all("identity", self.identity, run) if caller.has_identity_policies else None
        boundary = _scan_one("boundary", self.boundary, run) if bounded and self.boundary else None
        session = None
        if self.session is not None and kind in (CallerKind.ROLE_SESSION, CallerKind.FEDERATED_USER):
            session = self._scan_all("session", self.session, run)
        scps: list[_Found] = []
        if (self.scps is not None and caller.authenticated and not caller.service_linked_role
                and not request.management_account):
            scps = [self._scan_all(f"scp[{n}]", level, run) for n, level in enumerate(self.scps)]
        rcps: list[_Found] = []
        if self.rcps is not None and not request.resource_management_account and request.service in rcp_services():
            rcps = [self._scan_all(f"rcp[{n}]", level, run) for n, level in enumerate(self.rcps)]
        resource = _scan_one("resource", self.resource, run) if self.resource is not None else None
        found = {"identity": identity, "boundary": boundary, "session": session, "resource": resource}
        found.update({f"scp[{n}]": f for n, f in enumerate(scps)})
        found.update({f"rcp[{n}]": f for n, f in enumerate(rcps)})
        same_account = not caller.authenticated or caller.account == resource_account

        def result(decision: Decision, matched: list[StatementRef], decided_by: list[str],
                   reasons: tuple[str, ...]) -> Result:
            return Result(decision, tuple(matched), tuple(run.notes), self._warnings,
                          tuple(dict.fromkeys(decided_by)), reasons, tuple(sorted(run.missing)), same_account)

        # 2. An explicit deny anywhere wins.
        denies = [(name, ref) for name, f in found.items() if f is not None for ref in f.denies]
        if denies:
            return result(Decision.EXPLICIT_DENY, [ref for _, ref in denies], [name for name, _ in denies],
                          ("explicit_deny",))
        for rule, pattern, actions in _AWS_OWNED:
            if run.action in actions and pattern.match(request.resource):
                return result(Decision.IMPLICIT_DENY, [], [], (rule,))

        # 3. Guardrails: every organization level must allow; they never grant.
        for prefix, levels in (("rcp", rcps), ("scp", scps)):
            for n, level in enumerate(levels):
                if not level.allows:
                    return result(Decision.IMPLICIT_DENY, [], [f"{prefix}[{n}]"], (f"{prefix}[{n}]",))

        # 4. Grants.
        rp_allows = list(zip(resource.allows, resource.kinds)) if resource is not None else []
        if not caller.authenticated:  # anonymous callers, services, identity providers
            if rp_allows:
                return result(Decision.ALLOW, [r for r, _ in rp_allows], ["resource"],
                              tuple(dict.fromkeys(f"resource_policy:{k.value}" for _, k in rp_allows if k)))
            return result(Decision.IMPLICIT_DENY, [], ["resource"], ("no_allow",))
        if caller.partition != resource_partition:
            # Resource policies never delegate across partitions (semantics.md §4.5).
            return result(Decision.IMPLICIT_DENY, [], [], ("cross_partition",))

        identity_ok, identity_refs, blockers = _identity_path(caller, identity, boundary, session, self.session)

        def rp_grants(kind: MatchKind | None) -> bool:
            """Whether a resource-policy allow naming the caller this way grants by itself."""
            if kind is MatchKind.ACCOUNT:
                return False  # the account only delegates to its own policies
            if kind is MatchKind.ROLE_OF_SESSION:
                blocked_by_boundary = boundary is not None and not boundary.allows
                blocked_by_session = session is not None and not session.allows
                return not (blocked_by_boundary or blocked_by_session)
            # A user, session or federated-user ARN, or "*": not capped by boundaries or
            # session policies (semantics.md §4.4; the session-ARN reading is DISPUTED, E96).
            return True

        if not same_account:
            resource_side = bool(rp_allows)
            if resource_side and identity_ok:
                matched = identity_refs + [r for r, _ in rp_allows]
                return result(Decision.ALLOW, matched, ["identity", "resource"], ("cross_account",))
            reasons = []
            if not resource_side:
                reasons.append("cross_account_resource_side")
            if not identity_ok:
                reasons.append("cross_account_principal_side")
                reasons.extend(blockers)
            return result(Decision.IMPLICIT_DENY, [], [], tuple(reasons))

        granting = [(r, k) for r, k in rp_allows if rp_grants(k)]
        if resource_policy_required(request.action, request.resource):
            if granting:
                return result(Decision.ALLOW, [r for r, _ in granting], ["resource"],
                              tuple(dict.fromkeys(f"resource_policy:{k.value}" for _, k in granting if k)))
            if identity_ok and rp_allows:  # the key or trust policy delegates to the account
                return result(Decision.ALLOW, identity_refs + [r for r, _ in rp_allows],
                              ["identity", "resource"], ("identity", "resource_policy:account"))
            reasons = ["resource_policy_required"] + ([] if identity_ok else blockers)
            return result(Decision.IMPLICIT_DENY, [], ["resource"], tuple(reasons))
        if identity_ok:
            return result(Decision.ALLOW, identity_refs, ["identity"], ("identity",))
        if granting:
            return result(Decision.ALLOW, [r for r, _ in granting], ["resource"],
                          tuple(dict.fromkeys(f"resource_policy:{k.value}" for _, k in granting if k)))
        return result(Decision.IMPLICIT_DENY, [], [], tuple(blockers))

    def _scan_all(self, label: str, policies: Iterable[CompiledPolicy], run: _Run) -> _Found:
        found = _Found()
        for i, policy in enumerate(policies):
            _scan(f"{label}[{i}]", policy, run, found)
        return found

    def evaluate_many(self, requests: Iterable[Request]) -> Iterator[Result]:
        """Decide many requests, yielding results in order as they are decided."""
        for request in requests:
            yield self.evaluate(request)

    def explain(self, request: Request) -> Explanation:
        """Decide one request and report every statement's outcome (same code path as evaluate)."""
        from qiam.explain import RecordingTracer

        tracer = RecordingTracer()
        result = self.evaluate(request, tracer=tracer)
        return tracer.explanation(request, result)


def _where(request: Request) -> tuple[Caller, str | None, str]:
    """The caller (an unnamed one placed in the resource's account), and the resource's account and partition."""
    caller = request.caller
    fields = request.resource.split(":", 5)
    account = request.resource_account or (fields[4] if len(fields) == 6 and fields[4] else None)
    partition = fields[1] if len(fields) == 6 else caller.partition
    if account is None:
        account = caller.account  # a resource whose account nobody says is the caller's
    if caller.kind is CallerKind.UNSPECIFIED:
        caller = replace(caller, account=account, partition=partition)
    return caller, account, partition


def _identity_path(caller: Caller, identity: _Found | None, boundary: _Found | None, session: _Found | None,
                   session_policies: tuple[CompiledPolicy, ...] | None
                   ) -> tuple[bool, list[StatementRef], list[str]]:
    """Whether the caller's own policies grant (semantics.md §4.4 a), with their statements and blockers."""
    if caller.kind is CallerKind.ROOT:
        return True, [], []  # the root user has every permission in its account
    refs: list[StatementRef] = []
    blockers: list[str] = []
    if identity is None or not identity.allows:
        blockers.append("no_allow")
    else:
        refs.extend(identity.allows)
    if boundary is not None:
        if boundary.allows:
            refs.extend(boundary.allows)
        else:
            blockers.append("boundary")
    if caller.kind is CallerKind.FEDERATED_USER and session_policies is None:
        blockers.append("federated_user_without_session_policy")
    if session is not None:
        if session.allows:
            refs.extend(session.allows)
        else:
            blockers.append("session_policy")
    return not blockers, refs, blockers


def _scan_one(label: str, policy: CompiledPolicy | None, run: _Run) -> _Found:
    found = _Found()
    if policy is not None:
        _scan(label, policy, run, found)
    return found


def _scan(label: str, policy: CompiledPolicy, run: _Run, found: _Found) -> None:
    """Sort the statements of one policy that apply into denies and allows."""
    statements = policy.statements if run.tracer is not None else policy.candidates(run.request.service)
    for statement in statements:
        outcome, kind = _applies(label, policy, statement, run)
        if outcome is False:
            continue
        if statement.allow:
            if outcome is True:
                found.allows.append(_ref(label, policy, statement))
                found.kinds.append(kind)
        else:
            # An undecidable Deny applies: nothing qiam cannot read may grant (fail closed).
            found.denies.append(_ref(label, policy, statement))


def _ref(label: str, policy: CompiledPolicy, statement: CompiledStatement) -> StatementRef:
    return StatementRef(label, policy.name, statement.index, statement.sid, statement.effect,
                        Location(policy.policy.source, statement.path))


def _principal(st: CompiledStatement, run: _Run) -> MatchKind | None | bool:
    """How the statement's Principal / NotPrincipal names the caller; False when it does not."""
    matcher = st.principal
    assert matcher is not None
    if not st.not_principal:
        found = matcher.match(run.caller)
        return False if found is None else found
    if not st.allow and run.bounded:
        # A Deny with NotPrincipal always denies principals that have a permissions
        # boundary, whatever it lists (NotPrincipal page; semantics.md §2.4 (b)).
        return MatchKind.NOT_PRINCIPAL
    return False if matcher.excludes(run.caller) else MatchKind.NOT_PRINCIPAL


def _applies(label: str, policy: CompiledPolicy, st: CompiledStatement, run: _Run
             ) -> tuple[bool | None, MatchKind | None]:
    """Whether a statement applies (True, False, or None when a condition cannot be read), and how
    its Principal named the caller."""
    tracer = run.tracer
    if st.actions.matches_any(run.action) == st.not_action:
        if tracer is not None:
            element = "NotAction" if st.not_action else "Action"
            tracer.statement(label, policy, st, False, element,
                             f"`{run.request.action}` is {'listed' if st.not_action else 'not matched'}")
        return False, None
    if st.variables:
        _check_variables(policy, st, run)
    if st.resources is not None and st.resources.matches(run.resource, run.context) == st.not_resource:
        if tracer is not None:
            element = "NotResource" if st.not_resource else "Resource"
            tracer.statement(label, policy, st, False, element,
                             f"`{run.resource}` is {'listed' if st.not_resource else 'not matched'}")
        return False, None
    kind: MatchKind | None = None
    if st.principal is not None:
        named = _principal(st, run)
        if named is False:
            if tracer is not None:
                element = "NotPrincipal" if st.not_principal else "Principal"
                who = run.caller.text or "the caller"
                tracer.statement(label, policy, st, False, element,
                                 f"`{who}` is {'listed' if st.not_principal else 'not named'}")
            return False, None
        kind = named  # type: ignore[assignment]
    outcome: bool | None = True
    conditions = st.conditions
    for position, condition in enumerate(conditions):
        result = _condition(condition, st, run, policy)
        if result is False:
            outcome = False
            # The keys of the conditions not looked at are still ones the decision may need.
            for later in conditions[position + 1:]:
                if later.key not in run.context:
                    run.missing.add(later.key_text)
            if tracer is None:
                return False, None
            break
        if result is None:
            outcome = None
    if outcome is None:
        run.note("undecidable-condition", f"a condition of statement {st.index} could not be read",
                 Location(policy.policy.source, st.path + ("Condition",)))
    if tracer is not None:
        detail = {True: "applies", False: "a condition is false", None: "a condition cannot be read"}[outcome]
        tracer.statement(label, policy, st, outcome, None if outcome is True else "Condition", detail)
    return outcome, kind


def _check_variables(policy: CompiledPolicy, st: CompiledStatement, run: _Run) -> None:
    """Note the policy variables this request leaves without a value."""
    for variable in st.variables:
        value = run.context.get(variable.key)
        if isinstance(value, tuple):
            run.note("multivalued-variable", f"`{variable.text}` names a multivalued key and has no value",
                     Location(policy.policy.source, st.path))
        elif value is None and variable.default is None:
            run.missing.add(variable.name)
            run.note("unresolved-variable", f"`{variable.text}` has no value in this request: a Resource "
                     "or positive condition value with it matches nothing, a negated one matches",
                     Location(policy.policy.source, st.path))


def _condition(cc: CompiledCondition, st: CompiledStatement, run: _Run, policy: CompiledPolicy) -> bool | None:
    """One key under one operator (semantics.md §3.2 to §3.5)."""
    raw = run.context.get(cc.key)
    if raw is None:
        run.missing.add(cc.key_text)
    operator = cc.operator
    spec = operator.spec
    tracer = run.tracer
    result: bool | None
    if spec.family is Family.NULL:
        # An empty string (or a set of empty strings) is null (semantics.md §3.3, docs' reading).
        present = raw is not None and raw != "" and (type(raw) is not tuple or any(raw))
        result = any(wants_absent is not present for wants_absent in cc.values)
        reason = "the key is present" if present else "the key is absent"
    elif raw is None:
        if operator.if_exists:
            result, reason = True, "the key is absent and the operator ends in IfExists"
        elif operator.set_prefix is not None:
            result = operator.set_prefix == FOR_ALL_VALUES
            reason = f"the key is absent: {operator.set_prefix} is {'true' if result else 'false'}"
        else:
            result = spec.negated
            reason = "the key is absent and the operator is " + ("negated" if spec.negated else "positive")
    elif operator.set_prefix is None:
        if type(raw) is tuple:
            # DISPUTED (semantics.md §3.5, E79): iam-simulate's reading, false for every operator.
            result, reason = False, "the key has several values and the operator has no set prefix"
            run.note("multivalued-key-without-set-operator",
                     f"`{cc.key_text}` has several values; `{operator.text}` needs ForAnyValue: or "
                     "ForAllValues:, and is read as false", Location(policy.policy.source, cc.path))
        else:
            result = cc.values.test(raw, run.context, spec.negated)
            reason = "compared"
    else:
        # Empty strings make a null set (semantics.md §3.5, DISPUTED E80: the docs' reading).
        values = [v for v in ((raw,) if type(raw) is str else raw) if v != ""]
        every = operator.set_prefix == FOR_ALL_VALUES
        result = every
        unknown = False
        for value in values:
            one = cc.values.test(value, run.context, spec.negated)
            if one is None:
                unknown = True
            elif one is not every:
                result = one
                unknown = False
                break
        if unknown:
            result = None
        reason = f"{operator.set_prefix} over {len(values)} value(s)"
    if result is None:
        reason = "a value cannot be read"
        for value in (raw,) if type(raw) is str else raw or ():
            if not cc.values.reads(value):
                reason = f"the request value `{value}` cannot be read"
                run.note("invalid-request-value", f"`{cc.key_text}` = `{value}` is not a value "
                         f"`{operator.spec.name}` can read", Location(policy.policy.source, cc.path))
    if tracer is not None:
        tracer.condition(st, cc, raw is not None, result, reason)
    return result
