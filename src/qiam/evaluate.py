"""PolicySet: evaluate, evaluate_many, explain; and Decision, Result, StatementRef.

The decision procedure itself is the decision kernel (``qiam._decide``, with
its readable twin ``qiam._decide_py``): a PolicySet hands it the compiled
statements of its policies once, then every request. One code path decides
and explains: ``explain`` runs ``evaluate`` with a tracer attached, and the
hot path pays one ``tracer is not None`` test per statement.
Data problems in a request never raise: they follow AWS's documented outcome,
or, where a value cannot be read at all, fail closed (a Deny applies, an Allow
does not), and are reported in ``Result.diagnostics``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from qiam._impl import decide
from qiam.decision import Decision, StatementRef
from qiam.errors import Diagnostic, Severity
from qiam.request import Request

if TYPE_CHECKING:
    from qiam.compile import CompiledCondition, CompiledPolicy, CompiledStatement
    from qiam.explain import Explanation
    from qiam.scope import ScopeResult

__all__ = ["Decision", "PolicySet", "Result", "StatementRef", "Tracer", "evaluate_pairs"]

# The result of a decision (defined by the decision kernel; see its docstring).
if TYPE_CHECKING:
    from qiam._decide_py import Result
else:
    Result = decide.Result


class Tracer(Protocol):
    """Receives what the evaluator decides about each statement and condition."""

    def condition(self, statement: CompiledStatement, condition: CompiledCondition, present: bool,
                  result: bool | None, reason: str) -> None: ...

    def statement(self, ref: StatementRef, statement: CompiledStatement, outcome: bool | None,
                  element: str | None, detail: str) -> None: ...


@dataclass(frozen=True, slots=True, eq=False)
class PolicySet:
    """Compiled policies that bear on requests; immutable and safe to share between threads.

    Build it with ``compile_policies``. ``session`` None means the caller has
    no session policies (an empty tuple means it has, and they allow nothing);
    ``scps`` / ``rcps`` None mean the account is not in an organization.

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
    _warnings: tuple[Diagnostic, ...] = field(default=(), init=False, repr=False)
    _evaluator: Any = field(default=None, init=False, repr=False)
    evaluate: Callable[..., Result] = field(default=None, init=False, repr=False)  # type: ignore[assignment]
    evaluate_many: Callable[[Iterable[Request]], list[Result]] = field(  # type: ignore[assignment]
        default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        warnings: list[Diagnostic] = []
        groups = []
        for label, policy in self.labelled():
            warnings.extend(d for d in policy.diagnostics if d.severity is not Severity.ERROR)
            kind = label.split("[", 1)[0]
            level = int(label[4:label.index("]")]) if kind in ("scp", "rcp") else 0
            groups.append((kind, level, label, policy.name, policy.policy.source, policy.statements))
        object.__setattr__(self, "_warnings", tuple(warnings))
        evaluator = decide.Evaluator(groups, tuple(warnings), session_given=self.session is not None,
                                     scp_levels=len(self.scps or ()), rcp_levels=len(self.rcps or ()))
        object.__setattr__(self, "_evaluator", evaluator)
        object.__setattr__(self, "evaluate", evaluator.evaluate)
        object.__setattr__(self, "evaluate_many", evaluator.evaluate_many)

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

    def statements_for(self, action: str) -> tuple[tuple[CompiledStatement, StatementRef], ...]:
        """The statements whose Action or NotAction admits ``action`` (any case), with their references."""
        return self._evaluator.statements_for(action)  # type: ignore[no-any-return]

    def resource_elements(self, action: str) -> tuple[tuple[Any, ...], tuple[CompiledStatement, ...]]:
        """The Resource matchers of ``statements_for(action)``: the distinct ones without variables, and
        the statements whose matcher has some (what ``qiam.scope`` splits a pattern by)."""
        return self._evaluator.resource_elements(action)  # type: ignore[no-any-return]

    def evaluate_scope(self, request: Request) -> ScopeResult:
        """Decide a pattern request (``Request(..., resource_match="all" | "some")``): whether the action
        is allowed on every resource the pattern names, on some, or on none (``qiam.scope``)."""
        from qiam.scope import ScopeAnalyzer

        if request.resource_match is None:
            raise ValueError("evaluate_scope needs a request with resource_match `all` or `some`")
        return ScopeAnalyzer().evaluate(self, request)

    def explain(self, request: Request) -> Explanation:
        """Decide one request and report every statement's outcome (same code path as evaluate)."""
        from qiam.explain import RecordingTracer

        tracer = RecordingTracer()
        result = self.evaluate(request, tracer=tracer)
        return tracer.explanation(request, result)


def evaluate_pairs(pairs: Iterable[tuple[PolicySet, Request]]) -> list[Result]:
    """Decide many (policy set, request) pairs, in order, in one call into the decision kernel.

    The bulk entry point: the loop runs in compiled code, and a request met
    again under the same policy set (equal ``Request.key``) is decided once.
    Policy sets are immutable, so one can be shared by any number of pairs and
    threads.

    Examples
    --------
    >>> from qiam import Request, compile_policies
    >>> pset = compile_policies([{"Version": "2012-10-17", "Statement": [
    ...     {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}])
    >>> [r.decision.value for r in evaluate_pairs([(pset, Request("s3:GetObject")),
    ...                                            (pset, Request("s3:PutObject"))])]
    ['allowed', 'implicitDeny']
    """
    return decide.evaluate_pairs(pairs)  # type: ignore[no-any-return]
