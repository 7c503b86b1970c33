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

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from qiam._impl import decide
from qiam.decision import Decision, StatementRef
from qiam.errors import Diagnostic, Severity
from qiam.request import Request

if TYPE_CHECKING:
    from qiam.compile import CompiledCondition, CompiledPolicy, CompiledStatement
    from qiam.explain import Explanation

__all__ = ["Decision", "PolicySet", "Result", "StatementRef", "Tracer"]

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
    """

    identity: tuple[CompiledPolicy, ...] = ()
    resource: CompiledPolicy | None = None
    boundary: CompiledPolicy | None = None
    session: tuple[CompiledPolicy, ...] | None = None
    scps: tuple[tuple[CompiledPolicy, ...], ...] | None = None
    rcps: tuple[tuple[CompiledPolicy, ...], ...] | None = None
    _warnings: tuple[Diagnostic, ...] = field(default=(), init=False, repr=False)
    _evaluator: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        warnings: list[Diagnostic] = []
        groups = []
        for label, policy in self.labelled():
            warnings.extend(d for d in policy.diagnostics if d.severity is not Severity.ERROR)
            kind = label.split("[", 1)[0]
            level = int(label[4:label.index("]")]) if kind in ("scp", "rcp") else 0
            groups.append((kind, level, label, policy.name, policy.policy.source, policy.statements))
        object.__setattr__(self, "_warnings", tuple(warnings))
        object.__setattr__(self, "_evaluator", decide.Evaluator(
            groups, tuple(warnings), session_given=self.session is not None,
            scp_levels=len(self.scps or ()), rcp_levels=len(self.rcps or ())))

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
        result: Result = self._evaluator.evaluate(request, tracer)
        return result

    def evaluate_many(self, requests: Iterable[Request]) -> list[Result]:
        """Decide many requests, in order, in one call into the decision kernel."""
        results: list[Result] = self._evaluator.evaluate_many(requests)
        return results

    def explain(self, request: Request) -> Explanation:
        """Decide one request and report every statement's outcome (same code path as evaluate)."""
        from qiam.explain import RecordingTracer

        tracer = RecordingTracer()
        result = self.evaluate(request, tracer=tracer)
        return tracer.explanation(request, result)
