"""The decision procedure: PolicySet.evaluate / evaluate_many, Decision, Result, StatementRef.

One code path decides and explains: ``explain`` runs ``evaluate`` with a tracer
attached, and the hot path pays one ``if tracer is not None`` per statement.
Data problems in a request never raise: they follow AWS's documented outcome,
or, where a value cannot be read at all, fail closed (a Deny applies, an Allow
does not), and are reported in ``Result.diagnostics``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from qiam.errors import Diagnostic, Location, Severity
from qiam.operators import FOR_ALL_VALUES, Family
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
    """The decision and the statements that decided it.

    For an explicit deny, ``matched`` holds every Deny statement that applies;
    for an allow, every Allow statement that applies; for an implicit deny,
    nothing. ``warnings`` are the findings of validating the policies;
    ``diagnostics`` what evaluating this request noticed.
    """

    decision: Decision
    matched: tuple[StatementRef, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def allowed(self) -> bool:
        """Whether the decision is ALLOW."""
        return self.decision is Decision.ALLOW

    def to_dict(self) -> dict[str, Any]:
        """The batch format's output fields."""
        return {
            "decision": self.decision.value,
            "matched": [m.to_dict() for m in self.matched],
            "warnings": [d.to_dict() for d in self.warnings + self.diagnostics],
        }


class Tracer(Protocol):
    """Receives what the evaluator decides about each statement and condition."""

    def condition(self, statement: CompiledStatement, condition: CompiledCondition, present: bool,
                  result: bool | None, reason: str) -> None: ...

    def statement(self, label: str, policy: CompiledPolicy, statement: CompiledStatement,
                  outcome: bool | None, element: str | None, detail: str) -> None: ...


class _Run:
    """The state of one evaluation: the request, its diagnostics, the tracer."""

    __slots__ = ("action", "context", "notes", "request", "resource", "tracer")

    def __init__(self, request: Request, tracer: Tracer | None) -> None:
        self.request = request
        self.action = request.action.lower()
        self.resource = request.resource
        self.context = request.context
        self.tracer = tracer
        self.notes: list[Diagnostic] = []

    def note(self, code: str, message: str, location: Location) -> None:
        if not any(n.code == code and n.message == message for n in self.notes):
            self.notes.append(Diagnostic(Severity.WARNING, code, message, location))


@dataclass(frozen=True, slots=True, eq=False)
class PolicySet:
    """Compiled policies that bear on requests; immutable and safe to share between threads.

    Build it with ``compile_policies``.
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
        """Decide one request.

        Parameters
        ----------
        request : Request
        tracer : Tracer, optional
            Told about every statement (``explain`` passes one).

        Returns
        -------
        Result
        """
        run = _Run(request, tracer)
        denies: list[StatementRef] = []
        allows: list[StatementRef] = []
        for i, policy in enumerate(self.identity):
            _scan(f"identity[{i}]", policy, run, denies, allows)
        if denies:
            decision, matched = Decision.EXPLICIT_DENY, denies
        elif allows:
            decision, matched = Decision.ALLOW, allows
        else:
            decision, matched = Decision.IMPLICIT_DENY, []
        return Result(decision, tuple(matched), tuple(run.notes), self._warnings)

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


def _scan(label: str, policy: CompiledPolicy, run: _Run, denies: list[StatementRef],
          allows: list[StatementRef]) -> None:
    """Sort the statements of one policy that apply into denies and allows."""
    statements = policy.statements if run.tracer is not None else policy.candidates(run.request.service)
    for statement in statements:
        outcome = _applies(label, policy, statement, run)
        if outcome is False:
            continue
        if statement.allow:
            if outcome is True:
                allows.append(_ref(label, policy, statement))
        else:
            # An undecidable Deny applies: nothing qiam cannot read may grant (fail closed).
            denies.append(_ref(label, policy, statement))


def _ref(label: str, policy: CompiledPolicy, statement: CompiledStatement) -> StatementRef:
    return StatementRef(label, policy.name, statement.index, statement.sid, statement.effect,
                        Location(policy.policy.source, statement.path))


def _applies(label: str, policy: CompiledPolicy, st: CompiledStatement, run: _Run) -> bool | None:
    """Whether a statement applies: True, False, or None when a condition cannot be read."""
    tracer = run.tracer
    if st.actions.matches_any(run.action) == st.not_action:
        if tracer is not None:
            element = "NotAction" if st.not_action else "Action"
            tracer.statement(label, policy, st, False, element,
                             f"`{run.request.action}` is {'listed' if st.not_action else 'not matched'}")
        return False
    if st.resources is not None and st.resources.matches(run.resource, run.context) == st.not_resource:
        if tracer is not None:
            element = "NotResource" if st.not_resource else "Resource"
            tracer.statement(label, policy, st, False, element,
                             f"`{run.resource}` is {'listed' if st.not_resource else 'not matched'}")
        return False
    outcome: bool | None = True
    for condition in st.conditions:
        result = _condition(condition, st, run)
        if result is False:
            outcome = False
            if tracer is None:
                return False
            break
        if result is None:
            outcome = None
    if outcome is None:
        run.note("undecidable-condition", f"a condition of statement {st.index} could not be read",
                 Location(policy.policy.source, st.path + ("Condition",)))
    if tracer is not None:
        detail = {True: "applies", False: "a condition is false", None: "a condition cannot be read"}[outcome]
        tracer.statement(label, policy, st, outcome, None if outcome is True else "Condition", detail)
    return outcome


def _condition(cc: CompiledCondition, st: CompiledStatement, run: _Run) -> bool | None:
    """One key under one operator (semantics.md §3.2 to §3.5)."""
    raw = run.context.get(cc.key)
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
                     "ForAllValues:, and is read as false", Location(None, cc.path))
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
    if tracer is not None:
        tracer.condition(st, cc, raw is not None, result, reason)
    return result
