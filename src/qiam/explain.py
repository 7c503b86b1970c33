"""RecordingTracer → Explanation: every statement's outcome, and the element that decided it.

An explanation is what ``evaluate`` saw, recorded as it went; it cannot
disagree with the decision because it is the same run.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from qiam._immutable import made_once
from qiam.decision import StatementRef
from qiam.errors import Location

if TYPE_CHECKING:
    from qiam.compile import CompiledCondition, CompiledStatement
    from qiam.decision import Decision
    from qiam.evaluate import Result
    from qiam.request import Request
    from qiam.types import JSONObject


@made_once
@dataclass(frozen=True, slots=True)
class ConditionTrace:
    """One condition key's outcome."""

    operator: str
    key: str
    present: bool
    request_values: tuple[str, ...]
    policy_values: tuple[str, ...]
    result: bool | None
    reason: str

    def to_dict(self) -> JSONObject:
        """JSON form."""
        return {
            "operator": self.operator,
            "key": self.key,
            "present": self.present,
            "request_values": list(self.request_values),
            "policy_values": list(self.policy_values),
            "result": self.result,
            "reason": self.reason,
        }


@made_once
@dataclass(frozen=True, slots=True)
class StatementTrace:
    """One statement's outcome: applies (True), does not (False) or cannot be read (None)."""

    policy: str
    name: str | None
    index: int
    sid: str | None
    effect: str
    outcome: bool | None
    element: str | None  # the element that made it not apply
    detail: str
    location: Location
    conditions: tuple[ConditionTrace, ...] = ()

    def to_dict(self) -> JSONObject:
        """JSON form: the statement as a result's ``matched`` entry names it, and its outcome."""
        out = StatementRef(self.policy, self.name, self.index, self.sid, self.effect, self.location).to_dict()
        out.update(applies=self.outcome, element=self.element, detail=self.detail,
                   conditions=[c.to_dict() for c in self.conditions])
        return out


@made_once
@dataclass(frozen=True, slots=True)
class Explanation:
    """The decision, and every statement the evaluator looked at."""

    request: Request
    result: Result
    statements: tuple[StatementTrace, ...]

    @property
    def decision(self) -> Decision:
        """The decision (the same object ``evaluate`` returned)."""
        return self.result.decision

    def to_dict(self) -> JSONObject:
        """JSON form."""
        out = self.result.to_dict()
        out["statements"] = [s.to_dict() for s in self.statements]
        return out

    def render(self) -> str:
        """A text report, one line per statement and condition."""
        lines = [f"{self.request.action} on {self.request.resource}: {self.result.decision.value}"]
        for s in self.statements:
            mark = {True: "applies", False: "does not apply", None: "cannot be read"}[s.outcome]
            sid = f" ({s.sid})" if s.sid else ""
            where = s.location.render()
            because = f": {s.detail}" if s.element == "Condition" else f": {s.element} {s.detail}" if s.element else ""
            lines.append(f"  {s.policy} statement {s.index}{sid} {s.effect} {mark}{because}  [{where}]")
            for c in s.conditions:
                values = ", ".join(c.request_values) if c.present else "absent"
                verdict = {True: "true", False: "false", None: "unreadable"}[c.result]
                lines.append(f"      {c.operator} {c.key} ({values}) vs {list(c.policy_values)}: "
                             f"{verdict}, {c.reason}")
        for d in self.result.diagnostics:
            lines.append(f"  note: {d.message} [{d.code}]")
        return "\n".join(lines)


@dataclass
class RecordingTracer:
    """A tracer that records everything, to build an ``Explanation``."""

    statements: list[StatementTrace] = field(default_factory=list)
    _pending: list[ConditionTrace] = field(default_factory=list)

    def condition(self, statement: CompiledStatement, condition: CompiledCondition, present: bool,
                  result: bool | None, reason: str) -> None:
        self._pending.append(ConditionTrace(condition.operator, condition.key_text, present, (),
                                            condition.texts, result, reason))

    def statement(self, ref: StatementRef, statement: CompiledStatement, outcome: bool | None,
                  element: str | None, detail: str) -> None:
        self.statements.append(StatementTrace(
            ref.policy, ref.name, ref.index, ref.sid, ref.effect, outcome, element, detail, ref.location,
            tuple(self._pending)))
        self._pending = []

    def explanation(self, request: Request, result: Result) -> Explanation:
        """The explanation of the run this tracer watched."""
        statements = []
        for trace in self.statements:
            conditions = tuple(
                ConditionTrace(c.operator, c.key, c.present, _values(request, c.key), c.policy_values,
                               c.result, c.reason) for c in trace.conditions)
            statements.append(replace(trace, conditions=conditions))
        return Explanation(request, result, tuple(statements))


def _values(request: Request, key: str) -> tuple[str, ...]:
    value = request.context.get(key.lower())
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)
