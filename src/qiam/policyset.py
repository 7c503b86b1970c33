"""PolicySet: the compiled policies that bear on requests, and how requests are decided against them.

The decision procedure itself is the decision kernel of the policies' engine
(``qiam._decide``, with its readable twin ``qiam._decide_py``): a PolicySet
hands it the compiled statements of its policies once, then every request.
One code path decides and explains: ``explain`` runs ``evaluate`` with a
tracer attached, and the hot path pays one ``tracer is not None`` test per
statement. Data problems in a request never raise: they follow AWS's
documented outcome, or, where a value cannot be read at all, fail closed (a
Deny applies, an Allow does not), and are reported in ``Result.diagnostics``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Any, Protocol, overload

from qiam._immutable import made_once
from qiam._impl import Engine, current
from qiam.decision import DECISION_CODES, CompiledCondition, CompiledStatement, Decision, Result, StatementRef
from qiam.errors import Diagnostic, Severity
from qiam.kinds import PolicyKind, Shape
from qiam.request import Request

if TYPE_CHECKING:
    from qiam.compile import CompiledPolicy, ResourceMatcher
    from qiam.explain import Explanation
    from qiam.scope import ScopeResult

__all__ = ["PolicySet", "Results", "Tracer", "evaluate_pairs", "results_of_pairs"]


class Tracer(Protocol):
    """Receives what the evaluator decides about each statement and condition."""

    def condition(self, statement: CompiledStatement, condition: CompiledCondition, present: bool,
                  result: bool | None, reason: str) -> None: ...

    def statement(self, ref: StatementRef, statement: CompiledStatement, outcome: bool | None,
                  element: str | None, detail: str) -> None: ...


class _Evaluate(Protocol):
    def __call__(self, request: Request, tracer: Tracer | None = None) -> Result: ...


class _EvaluateMany(Protocol):
    def __call__(self, requests: Iterable[Request]) -> list[Result]: ...


@made_once
@dataclass(frozen=True, slots=True, eq=False)
class PolicySet:
    """Compiled policies that bear on requests; immutable and safe to share between threads.

    Build it with ``compile_policies`` (or from CompiledPolicy objects of one
    engine). ``session`` None means the caller has no session policies (an
    empty tuple means it has, and they allow nothing); ``scps`` / ``rcps``
    None mean the account is not in an organization.

    ``evaluate(request, tracer=None)`` decides one request (semantics.md §4.3)
    and returns a Result; a tracer is told about every statement and condition
    (``explain`` passes one). ``evaluate_many(requests)`` decides many, in
    order, in one call into the kernel (requests with equal ``key`` decided
    once). Both are the decision kernel's own methods, bound at construction:
    at a million requests a second, a Python frame in between is a fifth of
    the time.
    """

    identity: tuple[CompiledPolicy, ...] = ()
    resource: CompiledPolicy | None = None
    boundary: CompiledPolicy | None = None
    session: tuple[CompiledPolicy, ...] | None = None
    scps: tuple[tuple[CompiledPolicy, ...], ...] | None = None
    rcps: tuple[tuple[CompiledPolicy, ...], ...] | None = None
    engine: Engine = field(default=None, init=False, repr=False)  # type: ignore[assignment]
    _warnings: tuple[Diagnostic, ...] = field(default=(), init=False, repr=False)
    _evaluator: Any = field(default=None, init=False, repr=False)
    evaluate: _Evaluate = field(default=None, init=False, repr=False)  # type: ignore[assignment]
    evaluate_many: _EvaluateMany = field(default=None, init=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        warnings: list[Diagnostic] = []
        groups = []
        engine: Engine | None = None
        for kind, level, label, policy in self.placed():
            if policy.diagnostics:
                warnings.extend(d for d in policy.diagnostics if d.severity is not Severity.ERROR)
            groups.append((kind.group, level, policy.policy.source, policy.statements, policy.refs(label)))
            if engine is None:
                engine = policy.engine
            elif policy.engine is not engine:  # (engines are made once each: identity is equality)
                raise ValueError("a policy set's policies must be compiled by one engine")
        if engine is None:
            engine = current()
        rcp_services: frozenset[str] = frozenset()
        if self.rcps:
            from qiam.catalog import load_catalog  # the catalog is read only when there are RCPs

            rcp_services = load_catalog().rcp_services
        evaluator = engine.decide.Evaluator(groups, tuple(warnings), session_given=self.session is not None,
                                            scp_levels=len(self.scps or ()), rcp_levels=len(self.rcps or ()),
                                            rcp_services=rcp_services)
        set_ = object.__setattr__
        set_(self, "engine", engine)
        set_(self, "_warnings", tuple(warnings))
        set_(self, "_evaluator", evaluator)
        set_(self, "evaluate", evaluator.evaluate)
        set_(self, "evaluate_many", evaluator.evaluate_many)

    def placed(self) -> Iterator[tuple[PolicyKind, int, str, CompiledPolicy]]:
        """Every policy with its kind, organization level (0 outside SCPs and RCPs) and place in the set
        (``identity[0]``, ``resource``, ``scp[1][0]``, ...)."""
        for kind in PolicyKind.of_set():
            value = getattr(self, kind.field)
            if value is None:
                continue
            if kind.shape is Shape.ONE:
                yield kind, 0, kind.slot, value
            elif kind.shape is Shape.MANY:
                for i, policy in enumerate(value):
                    yield kind, 0, f"{kind.slot}[{i}]", policy
            else:
                for n, level in enumerate(value):
                    for i, policy in enumerate(level):
                        yield kind, n, f"{kind.slot}[{n}][{i}]", policy

    def labelled(self) -> Iterator[tuple[str, CompiledPolicy]]:
        """Every policy with its place in the set (``identity[0]``, ``scp[1][0]``, ...)."""
        for _, _, label, policy in self.placed():
            yield label, policy

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """The validation warnings of every policy in the set."""
        return self._warnings

    def statements_for(self, action: str) -> tuple[tuple[CompiledStatement, StatementRef], ...]:
        """The statements whose Action or NotAction admits ``action`` (any case), with their references."""
        return self._evaluator.statements_for(action)  # type: ignore[no-any-return]

    def resource_elements(self, action: str) -> tuple[tuple[ResourceMatcher, ...], tuple[CompiledStatement, ...]]:
        """The Resource matchers of ``statements_for(action)``: the distinct ones without variables, and
        the statements whose matcher has some (what ``qiam.scope`` splits a pattern by)."""
        return self._evaluator.resource_elements(action)  # type: ignore[no-any-return]

    def evaluate_scope(self, request: Request) -> ScopeResult:
        """Decide a pattern request (``Request(..., resource_match="all" | "some")``): whether the action
        is allowed on every resource the pattern names, on some, or on none (``qiam.scope``)."""
        from qiam.scope import ScopeAnalyzer  # (scope reads PolicySet, so it comes after it)

        if request.resource_match is None:
            raise ValueError("evaluate_scope needs a request with resource_match `all` or `some`")
        return ScopeAnalyzer().evaluate(self, request)

    def explain(self, request: Request) -> Explanation:
        """Decide one request and report every statement's outcome (same code path as evaluate)."""
        from qiam.explain import RecordingTracer  # (read when a request is explained, not at start-up)

        tracer = RecordingTracer()
        result = self.evaluate(request, tracer=tracer)
        return tracer.explanation(request, result)


class Results(Sequence[Result]):
    """The answers of ``evaluate_pairs``: a decision per pair, kept as one byte, and each pair's Result
    made when it is first asked for (the pair decided again with its detail: policy sets and requests
    are immutable, so it is the Result the decision came from) and kept.

    ``decisions`` and ``codes`` read no Result; ``results[i]``, iteration and slices make them.
    """

    __slots__ = ("_codes", "_made", "_pairs")

    def __init__(self, pairs: Sequence[tuple[PolicySet, Request]], codes: bytes) -> None:
        if len(pairs) != len(codes):
            raise ValueError("a decision per pair")
        self._pairs = pairs
        self._codes = codes
        self._made: dict[int, Result] = {}

    def __len__(self) -> int:
        return len(self._codes)

    @overload
    def __getitem__(self, index: int) -> Result: ...
    @overload
    def __getitem__(self, index: slice) -> list[Result]: ...

    def __getitem__(self, index: int | slice) -> Result | list[Result]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = range(len(self))[index]  # (negative indices, and IndexError, as a list gives them)
        made = self._made.get(i)
        if made is None:
            pset, request = self._pairs[i]
            made = self._made[i] = pset.evaluate(request)
        return made

    def __repr__(self) -> str:
        return f"<Results of {len(self)} pairs: {self.count(Decision.ALLOW)} allowed>"

    @property
    def codes(self) -> bytes:
        """Each pair's decision as a byte: its index in ``qiam.decision.DECISION_CODES``."""
        return self._codes

    @property
    def decisions(self) -> list[Decision]:
        """Each pair's decision, in order."""
        return [DECISION_CODES[code] for code in self._codes]

    def decision(self, index: int) -> Decision:
        """One pair's decision, without its Result."""
        return DECISION_CODES[self._codes[index]]

    def allowed(self, index: int) -> bool:
        """Whether one pair is allowed, without its Result."""
        return self._codes[index] == _ALLOW_CODE

    def count(self, value: object) -> int:
        """How many pairs got ``value``: a Decision (read from the codes), or a Result."""
        if isinstance(value, Decision):
            return self._codes.count(DECISION_CODES.index(value))
        return super().count(value)


_ALLOW_CODE = DECISION_CODES.index(Decision.ALLOW)


def evaluate_pairs(pairs: Iterable[tuple[PolicySet, Request]]) -> Results:
    """Decide many (policy set, request) pairs, in order, in one call into the decision kernel.

    The bulk entry point: the loop runs in compiled code and makes no object per
    pair; the answers are a compact Results, whose ``decisions`` read no Result,
    and whose items are each pair's Result, made when asked for. A request met
    again under the same policy set (equal ``Request.key``) is decided once,
    while repeats are common. Policy sets are immutable, so one can be shared by
    any number of pairs and threads. The pairs' policy sets are of one engine.

    Examples
    --------
    >>> from qiam import Request, compile_policies
    >>> pset = compile_policies([{"Version": "2012-10-17", "Statement": [
    ...     {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}])
    >>> results = evaluate_pairs([(pset, Request("s3:GetObject")), (pset, Request("s3:PutObject"))])
    >>> [d.value for d in results.decisions]
    ['allowed', 'implicitDeny']
    >>> results[0].matched[0].effect
    'Allow'
    """
    listed = pairs if isinstance(pairs, list) else list(pairs)
    if not listed:
        return Results(listed, b"")
    return Results(listed, listed[0][0].engine.decide.decide_pairs(listed))


def results_of_pairs(pairs: Iterable[tuple[PolicySet, Request]]) -> list[Result]:
    """Each pair's Result, in order, in one call into the decision kernel: for callers that read every
    Result's detail (``evaluate_pairs`` would decide each pair twice for them)."""
    items = iter(pairs)
    first = next(items, None)
    if first is None:
        return []
    return first[0].engine.decide.evaluate_pairs(chain((first,), items))  # type: ignore[no-any-return]
