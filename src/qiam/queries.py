"""Questions about an inventory: who can do an action, what a principal can do, on which resources.

Each question becomes (policy set, request) pairs decided in one call into
the decision kernel (``results_of_pairs``). A principal's policy set holds its
identity policies, boundary and the SCP levels above its account; the
resource's policy (a role's trust policy for ``sts:AssumeRole*``) and the RCP
levels above the resource's account join it per resource. Every request
carries the context AWS supplies (semantics.md §4.1a): the principal's ARN,
account, tags and organisation, the resource's account and organisation,
the region, the time. A principal or resource that something broken touches
is never answered as allowed: its answer is ``broken``, with why.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qiam.catalog import ActionInfo, load_catalog
from qiam.compile import CompiledPolicy
from qiam.context import Environment
from qiam.decision import Decision, Result, StatementRef
from qiam.errors import Diagnostic, QiamError
from qiam.inventory import Inventory, Principal
from qiam.kinds import TRUST_ACTIONS
from qiam.policyset import PolicySet, results_of_pairs
from qiam.request import Request
from qiam.resource_types import applies_to, type_of_arn

if TYPE_CHECKING:
    from qiam.tasks import TaskCatalog, TaskResult

__all__ = ["Answer", "Asker", "Chain", "QueryError", "chains_to", "group_by_service", "task_matrix"]

_TRUST_ACTIONS = TRUST_ACTIONS  # (the actions a role's trust policy decides)


# The (principal, resource) requests an asker keeps between questions (then it starts again).
_KEEP_REQUESTS = 1_000_000


class QueryError(QiamError, ValueError):
    """A question that names what the inventory or the catalog does not hold."""

    default_code = "invalid-query"


@dataclass(frozen=True, slots=True, eq=False)
class Answer:
    """One (principal, action, resource) question and its answer; ``result`` None when broken."""

    principal: Principal
    action: str
    resource: str
    result: Result | None
    broken: tuple[Diagnostic, ...] = ()

    @property
    def allowed(self) -> bool:
        """Allowed, and nothing broken touches it."""
        return self.result is not None and self.result.decision is Decision.ALLOW

    @property
    def status(self) -> str:
        """``allowed``, ``denied`` or ``broken``."""
        return "broken" if self.result is None else "allowed" if self.allowed else "denied"

    def to_dict(self) -> dict[str, object]:
        """The JSON form: who, what, the decision and the statements that decided it."""
        out: dict[str, object] = {"principal": self.principal.arn, "kind": self.principal.kind,
                                  "account": self.principal.account, "action": self.action,
                                  "resource": self.resource, "status": self.status}
        if self.result is not None:
            out["decision"] = self.result.decision.value
            out["matched"] = [m.to_dict() for m in self.result.matched]
            out["missing_context_keys"] = list(self.result.missing_context_keys)
        if self.broken:
            out["broken"] = [f"{d.code}: {d.message}" for d in self.broken]
        return out


class Asker:
    """Asks an inventory questions; policy sets and requests are made once each and kept.

    Parameters
    ----------
    inventory : Inventory
    environment : Environment, optional
        The region and time of every request (default: each resource's region,
        else us-east-1; now). Principal tags and organisations come from the inventory.
    context : mapping, optional
        Condition keys added to every request (they win over derived ones).
    derive_context : bool
        Add the context AWS supplies (default True).
    """

    def __init__(self, inventory: Inventory, *, environment: Environment | None = None,
                 context: Mapping[str, object] | None = None, derive_context: bool = True) -> None:
        self.inventory = inventory
        base = environment or Environment()
        # One instant for every request, so that equal questions stay equal.
        instant = base.time or _dt.datetime.now(_dt.UTC).replace(microsecond=0)
        self.environment = dataclasses.replace(base, time=instant)
        self.context = dict(context or {})
        self.derive_context = derive_context
        self._sets: dict[tuple[str, str | None, str | None], PolicySet] = {}
        self._environments: dict[str, Environment] = {}
        self._made: dict[tuple[str, str, bool], tuple[tuple[Diagnostic, ...], PolicySet | None, Request | None]] = {}
        self._reached: _Reach | None = None
        self._fitting: dict[str, list[str]] = {}  # action -> the inventory's resources it applies to

    # ----- one question -----

    def resource_policy(self, action: str, resource: str) -> tuple[str | None, CompiledPolicy | None, str | None]:
        """The key, compiled policy and account of the resource policy that bears on (action, resource)."""
        inv = self.inventory
        if action.lower() in _TRUST_ACTIONS:
            role = inv.principals.get(resource)
            if role is not None and role.kind == "role":
                return f"{role.arn}:trust", inv.trust(role), role.account
        found = inv.resource(resource)
        if found is not None:
            return found.arn, inv.resource_policy(found), found.account
        owner = inv.principals.get(resource)
        if owner is not None:
            return None, None, owner.account
        fields = resource.split(":", 5)
        account = fields[4] if len(fields) == 6 and fields[4].isdigit() else None
        return None, None, account

    def policy_set(self, principal: Principal, action: str, resource: str, *, keep: bool = True) -> PolicySet:
        """The policy set that decides the principal's request for (action, resource); kept for the next
        question unless ``keep`` is False."""
        key, policy, account = self.resource_policy(action, resource)
        inv = self.inventory
        rcp_account = account if account is not None else principal.account
        slot = (principal.arn, key, rcp_account if inv.rcps(rcp_account) is not None else None)
        found = self._sets.get(slot)
        if found is None:
            found = PolicySet(identity=inv.identity(principal), boundary=inv.boundary(principal), resource=policy,
                              scps=inv.scps(principal.account), rcps=inv.rcps(rcp_account))
            if keep:
                self._sets[slot] = found
        return found

    def request(self, principal: Principal, action: str, resource: str, *, resource_match: str | None = None,
                context: Mapping[str, object] | None = None, resource_account: str | None = None) -> Request:
        """The request AWS would see: the principal, the resource's account, and the context AWS supplies
        (``context`` adds keys to the asker's; ``resource_account`` says whose the resource is)."""
        inv = self.inventory
        org = inv.organization
        _, _, account = self.resource_policy(action, resource) if resource != "*" else (None, None, None)
        if resource_account is not None:
            account = resource_account
        management = org.management_account if org is not None else None
        keys = {**self.context, **context} if context else self.context
        return Request(action, resource, principal=principal.arn, context=keys or None,
                       resource_account=account if resource != "*" or resource_account else None,
                       management_account=principal.account == management,
                       resource_management_account=account is not None and account == management,
                       derive_context=self.derive_context,
                       environment=self._environment(principal, account), resource_match=resource_match)

    def _environment(self, principal: Principal, resource_account: str | None) -> Environment:
        org = self.inventory.organization
        slot = f"{principal.arn} {resource_account}"
        found = self._environments.get(slot)
        if found is None:
            found = self._environments[slot] = dataclasses.replace(
                self.environment, principal_tags=dict(principal.tags) or None,
                principal_org_id=org.id if org is not None and org.has(principal.account) else None,
                resource_org_id=org.id if org is not None and org.has(resource_account) else None)
        return found

    def broken(self, principal: Principal, action: str, resource: str) -> tuple[Diagnostic, ...]:
        """What broken touches the principal's request: the principal and its account, the resource, and
        the account whose RCPs decide it (a role's, for a trust action, though a role is no resource)."""
        inv = self.inventory
        found = inv.resource(resource)
        _, _, account = self.resource_policy(action, resource)
        return inv.broken(principal.arn, principal.account, found.arn if found else None,
                          found.account if found else None, account)

    def ask(self, questions: Iterable[tuple[Principal, str, str]], *, keep: bool = True) -> list[Answer]:
        """Decide (principal, action, resource) questions, in order, in one call into the kernel.

        ``keep`` False: the policy sets and requests made for them are not kept for later questions. A
        sweep over thousands of resources asks each once, and sets that outlive their question are what
        the garbage collector then scans over and over (a set costs about four times as much to make).
        """
        asked: list[tuple[Principal, str, str, tuple[Diagnostic, ...]]] = []
        pairs: list[tuple[PolicySet, Request]] = []
        # One request per (principal, resource, whether the action reads a trust policy), kept, and for
        # other actions made for the action alone.
        if not keep:  # each set decides its question and goes: it dies young, where collecting is cheap
            return [self._ask_one(principal, action, resource) for principal, action, resource in questions]
        made = self._made
        if len(made) > _KEEP_REQUESTS:
            made.clear()
        for principal, action, resource in questions:
            slot = (principal.arn, resource, action.lower() in _TRUST_ACTIONS)
            found = made.get(slot)
            if found is None:
                broken = self.broken(principal, action, resource)
                found = (broken, None, None) if broken else (
                    broken, self.policy_set(principal, action, resource, keep=keep),
                    self.request(principal, action, resource))
                if keep:
                    made[slot] = found
            broken, pset, base = found
            asked.append((principal, action, resource, broken))
            if pset is not None and base is not None:
                pairs.append((pset, base if base.action == action else base.with_action(action)))
        results = iter(results_of_pairs(pairs))
        return [Answer(p, a, r, None if broken else next(results), broken) for p, a, r, broken in asked]

    def _ask_one(self, principal: Principal, action: str, resource: str) -> Answer:
        broken = self.broken(principal, action, resource)
        if broken:
            return Answer(principal, action, resource, None, broken)
        policies = self.policy_set(principal, action, resource, keep=False)
        return Answer(principal, action, resource, policies.evaluate(self.request(principal, action, resource)), ())

    # ----- the questions of the command line -----

    def action_info(self, action: str) -> ActionInfo:
        """The catalog's entry for an action, or a coded error with the closest name."""
        catalog = load_catalog()
        info = catalog.action(action)
        if info is None:
            close = catalog.suggest_action(action)
            raise QueryError(f"`{action}` is not an action of the catalog",
                             hint=f"did you mean {close}?" if close else "name one action, e.g. s3:GetObject")
        return info

    def principal(self, name: str) -> Principal:
        """A principal of the inventory by ARN or unique name, or a coded error."""
        found = self.inventory.principal(name)
        if found is None:
            raise QueryError(f"`{name}` is not a principal of the inventory",
                             hint="name a user or role by its ARN, or by a name that only one principal has")
        return found

    def resources_for(self, info: ActionInfo) -> list[str]:
        """The inventory's resources an action applies to: ``*`` when it has no resource types."""
        if not info.resource_types:
            return ["*"]
        found = self._fitting.get(info.action)
        if found is None:
            found = self._fitting[info.action] = [arn for arn in self._resource_arns() if applies_to(info, arn)]
        return list(found)

    def _resource_arns(self) -> Iterator[str]:
        """Every resource the inventory knows: resource policies' resources, principals, managed policies."""
        inv = self.inventory
        yield from inv.resources
        yield from inv.principals
        yield from inv.managed

    def _reach(self) -> _Reach:
        if self._reached is None:
            self._reached = _Reach(self)
        return self._reached

    def reachable(self, principal: str, depth: int = 3) -> dict[str, tuple[str, ...]]:
        """The roles a principal may reach by assuming roles, at most ``depth`` times: role -> the chain."""
        start = self.principal(principal).arn
        reach = self._reach()
        assumable: dict[str, list[str]] = {}
        for role, assumers in reach.assumers.items():
            for assumer in assumers:
                assumable.setdefault(assumer, []).append(role)
        out: dict[str, tuple[str, ...]] = {}
        frontier: list[tuple[str, tuple[str, ...]]] = [(start, ())]
        for _ in range(depth):
            following = []
            for arn, chain in frontier:
                for role in sorted(assumable.get(arn, ())):
                    if role != start and role not in out:
                        out[role] = (*chain, role)
                        following.append((role, out[role]))
            frontier = following
        return out

    def who_can(self, action: str, resource: str | None = None) -> list[Answer]:
        """Every principal's answer for the action, on the resource or on every inventory resource it fits."""
        info = self.action_info(action)
        resources = [resource] if resource is not None else self.resources_for(info)
        principals = list(self.inventory.principals.values())
        return self.ask((p, info.action, r) for r in resources for p in principals)

    def can(self, principal: str, resource: str | None = None) -> list[Answer]:
        """Every catalog action's answer for the principal: on ``*``, or on the resource for the actions
        that apply to its type."""
        who = self.principal(principal)
        catalog = load_catalog()
        actions = catalog.expand("*")
        if resource is None:
            return self.ask((who, a.action, "*") for a in actions)
        if type_of_arn(resource) is None:
            raise QueryError(f"`{resource}` is not an ARN of a resource type the catalog knows",
                             hint="give a full ARN, e.g. arn:aws:s3:::bucket")
        return self.ask((who, a.action, resource) for a in actions if applies_to(a, resource))

    def can_somewhere(self, principal: str, answers: Sequence[Answer]) -> list[Answer]:
        """For the actions of ``can(principal)`` not allowed on ``*`` that an Allow of the principal's own
        policies admits: the answers on each inventory resource they apply to (policies that name their
        resources grant there, not on ``*``). Allowed answers only."""
        who = self.principal(principal)
        own = self.policy_set(who, "", "*")
        catalog = load_catalog()
        questions: list[tuple[Principal, str, str]] = []
        for answer in answers:
            if answer.allowed or answer.result is None:
                continue
            if not any(ref.effect == "Allow" for _, ref in own.statements_for(answer.action)):
                continue
            info = catalog.action(answer.action)
            if info is not None and info.resource_types:
                questions.extend((who, answer.action, arn) for arn in self.resources_for(info))
        return [a for a in self.ask(questions) if a.allowed]

    def can_act(self, principal: str, action: str) -> list[Answer]:
        """The principal's answer for an action on every inventory resource it fits."""
        who = self.principal(principal)
        info = self.action_info(action)
        return self.ask((who, info.action, r) for r in self.resources_for(info))


@dataclass(frozen=True, slots=True, eq=False)
class Chain:
    """A principal that reaches a permission by assuming roles: ``roles`` in the order assumed, the last
    one's ``answer`` allowed."""

    principal: Principal
    roles: tuple[str, ...]
    answer: Answer

    def to_dict(self) -> dict[str, object]:
        """The JSON form: who, through which roles, and the last role's answer."""
        return {"principal": self.principal.arn, "kind": self.principal.kind, "account": self.principal.account,
                "via": list(self.roles), "answer": self.answer.to_dict()}


class _Reach:
    """Who may assume each role of an inventory (the identity side and the trust policy both allowing,
    with SCPs and RCPs), asked once per asker."""

    def __init__(self, asker: Asker) -> None:
        inventory = asker.inventory
        everyone = list(inventory.principals.values())
        by_account: dict[str, list[Principal]] = {}
        for principal in everyone:
            by_account.setdefault(principal.account, []).append(principal)
        questions: list[tuple[Principal, str, str]] = []
        for role in everyone:
            if role.kind != "role" or role.trust is None:
                continue
            for candidate in _trusted(role.trust, inventory.principals, by_account, everyone):
                questions.append((candidate, "sts:AssumeRole", role.arn))
        self.assumers: dict[str, list[str]] = {}
        for answer in asker.ask(questions):
            if answer.allowed:
                self.assumers.setdefault(answer.resource, []).append(answer.principal.arn)


def _trusted(trust: Mapping[str, object], principals: Mapping[str, Principal],
             by_account: Mapping[str, list[Principal]], everyone: list[Principal]) -> Iterator[Principal]:
    """The inventory's principals a trust policy's Allow statements may name: each one named, every one
    of an account named, everyone for ``*`` or a NotPrincipal (the kernel decides each)."""
    statements = trust.get("Statement")
    items = statements if isinstance(statements, list) else [statements]
    seen: set[str] = set()
    for statement in items:
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        if "NotPrincipal" in statement or statement.get("Principal") == "*":
            yield from (p for p in everyone if p.arn not in seen)
            return
        named = statement.get("Principal")
        entries = named.get("AWS", []) if isinstance(named, Mapping) else []
        for entry in [entries] if isinstance(entries, str) else entries if isinstance(entries, list) else []:
            if not isinstance(entry, str):
                continue
            if entry == "*":
                yield from (p for p in everyone if p.arn not in seen)
                return
            fields = entry.split(":")
            # An account: its number, or `arn:PARTITION:iam::ACCOUNT:root` (six fields; anything shorter
            # names no account and, like any name the inventory lacks, nobody).
            account = entry if entry.isdigit() else fields[4] if len(fields) == 6 and fields[5] == "root" else None
            if account is not None:
                group = by_account.get(account, [])
            else:
                found = principals.get(entry)
                group = [found] if found is not None else []
            for principal in group:
                if principal.arn not in seen:
                    seen.add(principal.arn)
                    yield principal


def chains_to(asker: Asker, answers: Sequence[Answer], depth: int) -> list[Chain]:
    """The principals not allowed directly that reach an allowed answer's role by assuming roles, at most
    ``depth`` times, by a shortest chain (shortest first, then by principal)."""
    reach = asker._reach()
    inventory = asker.inventory
    direct = {a.principal.arn for a in answers if a.allowed}
    # Backwards from the roles allowed: a principal that may assume a role with a chain has one more.
    best: dict[str, tuple[tuple[str, ...], Answer]] = {}
    frontier: list[str] = []
    for answer in answers:
        if answer.allowed and answer.principal.kind == "role" and answer.principal.arn not in best:
            best[answer.principal.arn] = ((), answer)
            frontier.append(answer.principal.arn)
    for _ in range(depth):
        following: list[str] = []
        for role in frontier:
            roles, answer = best[role]
            for assumer in sorted(reach.assumers.get(role, ())):
                if assumer not in best:
                    best[assumer] = ((role, *roles), answer)
                    following.append(assumer)
        frontier = following
    found = [Chain(inventory.principals[arn], roles, answer) for arn, (roles, answer) in best.items()
             if roles and arn not in direct]
    return sorted(found, key=lambda c: (len(c.roles), c.principal.arn))


def group_by_service(answers: Sequence[Answer]) -> dict[str, dict[str, list[str]]]:
    """Allowed actions by service prefix, then access level (List, Read, Write, ...)."""
    catalog = load_catalog()
    out: dict[str, dict[str, list[str]]] = {}
    for answer in answers:
        if answer.allowed:
            info = catalog.action(answer.action)
            level = info.access_level if info is not None else ""
            out.setdefault(answer.action.split(":", 1)[0], {}).setdefault(level, []).append(answer.action)
    return out


def task_matrix(inventory: Inventory, tasks: Sequence[str] | None = None, *, region: str | None = None,
                catalog: TaskCatalog | None = None, environment: Environment | None = None,
                context: Mapping[str, object] | None = None, derive_context: bool = True) -> dict[str, object]:
    """Every principal × every task of the catalog: the JSON form ``qiam tasks --inventory --json`` prints
    (``qiam-task-matrix/1``: tasks, principals, one row of cells per principal, a summary per task).

    Each principal's tasks are done in its own account, with its identity policies, boundary, the SCP
    levels above its account and the RCP levels above it, and the context AWS supplies for it.
    """
    from qiam.tasks import DEFAULT_REGION, Checker, TaskCatalog

    chosen_catalog = catalog or TaskCatalog.bundled()
    names = list(tasks) if tasks is not None else list(chosen_catalog)
    asker = Asker(inventory, environment=environment, context=context, derive_context=derive_context)
    by_account: dict[str, list[Principal]] = {}
    for principal in inventory.principals.values():
        by_account.setdefault(principal.account, []).append(principal)
    rows: dict[str, list[dict[str, object]]] = {}
    titles: dict[str, str] = {}
    for account in sorted(by_account):
        checker = Checker(chosen_catalog, account=account, region=region or DEFAULT_REGION,
                          environment=asker.environment, context=context, derive_context=derive_context)
        sets: dict[str, PolicySet] = {}
        for principal in by_account[account]:
            broken = inventory.broken(principal.arn, principal.account)
            if broken:
                rows[principal.arn] = [{"task": n, "status": "broken", "missing_actions": [], "blocked": [],
                                        "blockers": [], "suggestion": None,
                                        "diagnostics": [f"{d.code}: {d.message}" for d in broken]} for n in names]
                continue
            sets[principal.arn] = PolicySet(identity=inventory.identity(principal),
                                            boundary=inventory.boundary(principal),
                                            scps=inventory.scps(account), rcps=inventory.rcps(account))
            checker.set_environment(principal.arn, asker._environment(principal, account))
        results = checker.check_many(sets, names, principals={arn: arn for arn in sets})
        for arn, per_task in results.items():
            rows[arn] = [_cell(per_task[n]) for n in names]
        for n in names:
            titles[n] = checker.task(n).title
    principals = list(inventory.principals.values())
    summary = {n: {"allowed": 0, "denied": 0, "broken": 0} for n in names}
    for principal in principals:
        for cell in rows[principal.arn]:
            summary[str(cell["task"])][str(cell["status"])] += 1
    from qiam.cli._inventory import diagnostics_json

    return {
        "format": "qiam-task-matrix/1",
        "generated": asker.environment.time.isoformat().replace("+00:00", "Z")
        if isinstance(asker.environment.time, _dt.datetime) else str(asker.environment.time),
        "account_count": len(by_account),
        "tasks": [{"name": n, "title": titles.get(n, n)} for n in names],
        "principals": [{**p.to_dict(), "broken": bool(inventory.broken(p.arn, p.account)),
                        "diagnostics": [f"{d.code}: {d.message}" for d in inventory.broken(p.arn, p.account)]}
                       for p in principals],
        "cells": [rows[p.arn] for p in principals],
        "summary": summary,
        "diagnostics": diagnostics_json(inventory),
    }


def _cell(result: TaskResult) -> dict[str, object]:
    return {
        "task": result.task.name,
        "status": "allowed" if result.allowed else "denied",
        "missing_actions": list(result.missing_actions),
        "blocked": [{"action": r.requirement.action, "resource": r.requirement.resource,
                     "decision": r.result.decision.value,
                     "blocked_by": [b.to_dict() if isinstance(b, StatementRef) else b for b in r.blocked_by]}
                    for r in result.blocked],
        "blockers": [b.to_dict() if isinstance(b, StatementRef) else b for b in result.blockers],
        "suggestion": result.suggestion(),
        "diagnostics": [],
    }
