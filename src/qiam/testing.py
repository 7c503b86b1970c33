"""Permission assertions for tests: ``assert_allowed``, ``assert_denied``, ``assert_task_allowed``,
``assert_never_allowed`` and ``assert_resources``.

Each takes what to ask about (a ``Subject``; or policies: a PolicySet, compiled
policies, documents, policy files) and fails with the explanation a person
needs: the decision, the deciding statements with ``file:line:column``, the
context keys the request lacked, and for a task the missing permissions and
the statement that would grant them. The failure is an
``AssertionError`` whose message is all of that, so pytest shows it as it is.

>>> from qiam import testing
>>> admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}
>>> testing.assert_allowed([admin], "s3:GetObject on arn:aws:s3:::b/k")
>>> testing.assert_denied([admin], "s3:DeleteObject on arn:aws:s3:::b/k")
>>> testing.assert_never_allowed([admin], "s3:Delete*")
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Union  # (Union: a name defined below)

from qiam.compile import CompiledPolicy, Compiler
from qiam.context import Environment
from qiam.evaluate import Decision, PolicySet, Result, StatementRef
from qiam.request import Request

if TYPE_CHECKING:
    from qiam.errors import Diagnostic
    from qiam.inventory import Inventory, Principal
    from qiam.queries import Asker
    from qiam.reqlang import ParsedExpression
    from qiam.tasks import TaskResult

__all__ = ["PermissionAssertionError", "Subject", "assert_allowed", "assert_denied", "assert_never_allowed",
           "assert_resources", "assert_task_allowed", "load_inventory", "policies", "principal"]

PolicyLike = PolicySet | CompiledPolicy | Mapping[str, object] | str | os.PathLike[str]
SubjectLike = Union["Subject", PolicyLike, Sequence[CompiledPolicy | Mapping[str, object] | str | os.PathLike[str]]]

_DECISIONS = {d.value: d for d in Decision}


class PermissionAssertionError(AssertionError):
    """A permission expectation that does not hold; the message explains why."""


# ----- what an assertion asks about -----


class Subject:
    """Who asks: a principal of an inventory (with its policies, boundary, organisation levels and the
    resources' policies), or a set of policies with no inventory.

    Make one with ``principal(inventory, name)`` or ``policies(...)``.
    """

    def __init__(self, *, policy_set: PolicySet | None = None, inventory: Inventory | None = None,
                 who: Principal | None = None, asker: Asker | None = None, label: str = "the policies",
                 environment: Environment | None = None, context: Mapping[str, object] | None = None) -> None:
        self.policy_set = policy_set
        self.inventory = inventory
        self.who = who
        self.asker = asker
        self.label = label
        self.environment = environment or Environment()
        self.context = dict(context or {})

    def __repr__(self) -> str:
        return f"<Subject {self.label}>"

    def decide(self, action: str, resource: str, *, principal: str | None = None, account: str | None = None,
               context: Mapping[str, object] | None = None, resource_match: str | None = None
               ) -> tuple[PolicySet, Request]:
        """The policy set and the request AWS would decide for (action, resource)."""
        extra = {**self.context, **(context or {})}
        if self.who is not None and self.asker is not None:
            if principal is not None:
                raise ValueError(f"the request names a principal (`as {principal}`), and the subject is "
                                 f"`{self.who.arn}` already")
            broken = self.asker.broken(self.who, action, resource)
            if broken:
                raise _cannot_answer(self.who.arn, broken)
            request = self.asker.request(self.who, action, resource, resource_match=resource_match,
                                         context=extra or None, resource_account=account)
            return self.asker.policy_set(self.who, action, resource), request
        assert self.policy_set is not None
        return self.policy_set, Request(action, resource, principal=principal, context=extra or None,
                                        resource_account=account, environment=self.environment,
                                        resource_match=resource_match)

    def own_resource_entries(self, action: str) -> list[str]:
        """The Resource entries of the Allow statements that admit the action, as written."""
        pset = self.policy_set if self.policy_set is not None else self._own_set()
        out: list[str] = []
        for statement, ref in pset.statements_for(action):
            if ref.effect != "Allow":
                continue
            resources = statement.resources
            if resources is None or statement.not_resource:
                out.append("*")
            else:
                out.extend(resources.entries)
        return list(dict.fromkeys(out))

    def _own_set(self) -> PolicySet:
        assert self.asker is not None and self.who is not None
        return self.asker.policy_set(self.who, "", "*")


def _cannot_answer(arn: str, broken: Iterable[Diagnostic]) -> PermissionAssertionError:
    """What fails an expectation about a principal the inventory could not load whole: never a pass."""
    return PermissionAssertionError(f"the inventory cannot answer for `{arn}`: "
                                    + "; ".join(f"{d.location.render()}: {d.message} [{d.code}]" for d in broken))


def principal(inventory: Inventory, name: str, *, environment: Environment | None = None,
              context: Mapping[str, object] | None = None, asker: Asker | None = None) -> Subject:
    """A principal of an inventory, by ARN, name or logical id (a template's). Subjects that share an
    ``asker`` share the policy sets and requests it keeps (``environment`` and ``context`` are then its)."""
    from qiam.queries import Asker

    if asker is None:
        asker = Asker(inventory, environment=environment, context=context)
    who = asker.principal(name)
    return Subject(inventory=inventory, who=who, asker=asker, label=who.arn, environment=environment,
                   context=None)


def policies(identity: Iterable[PolicyLike] = (), *, boundary: PolicyLike | None = None,
             scps: Sequence[Sequence[PolicyLike]] | None = None, resource: PolicyLike | None = None,
             environment: Environment | None = None, context: Mapping[str, object] | None = None,
             compiler: Compiler | None = None, label: str | None = None) -> Subject:
    """Policies with no inventory: identity policies (documents, JSON text, files or globs, compiled), and
    optionally a boundary, SCP levels and a resource policy."""
    comp = compiler or Compiler()
    ids = tuple(p for item in identity for p in _compiled(item, "identity", comp))

    def one(item: PolicyLike | None, profile: str) -> CompiledPolicy | None:
        if item is None:
            return None
        found = _compiled(item, profile, comp)
        return found[0] if found else None

    pset = PolicySet(identity=ids, boundary=one(boundary, "permissions-boundary"),
                     scps=None if scps is None else tuple(
                         tuple(p for item in level for p in _compiled(item, "scp", comp)) for level in scps),
                     resource=one(resource, "resource"))
    names = [p.name for p in ids if p.name]
    return Subject(policy_set=pset, label=label or (", ".join(names) if names else "the policies"),
                   environment=environment, context=context)


def load_inventory(*paths: str | os.PathLike[str], parameters: Mapping[str, object] | None = None,
                   base: str | os.PathLike[str] | None = None) -> Inventory:
    """An inventory from files, folders and globs: AWS's formats, qiam's, CloudFormation templates and
    Terraform plans (``parameters`` for the templates' parameters and pseudo-parameters)."""
    from qiam import inventory

    return inventory.load(expand_paths(paths, base), parameters=parameters)


def expand_paths(paths: Iterable[str | os.PathLike[str]], base: str | os.PathLike[str] | None = None
                 ) -> list[FsPath]:
    """Paths with globs expanded, relative ones taken from ``base``; a glob that finds nothing is an error."""
    out: list[FsPath] = []

    def shown(path: str) -> FsPath:  # as short as it can be said from here
        path = os.path.normpath(path)
        relative = os.path.relpath(path) if os.path.isabs(path) else path
        return FsPath(path if relative.startswith("..") else relative)

    for given in paths:
        text = os.fspath(given)
        full = text if base is None or os.path.isabs(text) else os.path.join(os.fspath(base), text)
        if glob.has_magic(full):
            found = sorted(glob.glob(full, recursive=True))
            if not found:
                raise FileNotFoundError(f"no file matches `{text}`")
            out.extend(shown(f) for f in found)
        else:
            if not os.path.exists(full):
                raise FileNotFoundError(f"no file `{text}`")
            out.append(shown(full))
    return out


def _compiled(item: object, profile: str, compiler: Compiler) -> list[CompiledPolicy]:
    if isinstance(item, CompiledPolicy):
        return [item]
    if isinstance(item, Mapping):
        return [compiler.compile(item, profile)]
    if isinstance(item, str) and item.lstrip().startswith("{"):
        return [compiler.compile(item, profile)]
    if isinstance(item, (str, os.PathLike)):
        return [compiler.compile(path.read_bytes(), profile, name=str(path)) for path in expand_paths([item])]
    raise TypeError(f"not a policy: {item!r}")


def as_subject(subject: SubjectLike) -> Subject:
    """A Subject from what an assertion was given."""
    if isinstance(subject, Subject):
        return subject
    if isinstance(subject, PolicySet):
        return Subject(policy_set=subject)
    if isinstance(subject, (CompiledPolicy, Mapping, str, os.PathLike)):
        return policies([subject])
    return policies(subject)


# ----- request expectations -----


@dataclass(frozen=True, slots=True)
class Outcome:
    """A request's decision, with what decided it."""

    request: Request
    result: Result
    scope: str | None = None  # for a pattern resource: all, some or none

    @property
    def decision(self) -> Decision:
        return self.result.decision

    def explain(self) -> str:
        """The lines a person needs to see why."""
        lines = []
        request = self.request
        who = f" as {request.principal}" if request.principal else ""
        scope = f" (allowed on {self.scope} of the resources it names)" if self.scope is not None else ""
        lines.append(f"{request.action} on {request.resource}{who}: {self.result.decision.value}{scope}")
        lines.extend(f"  {line}" for line in statement_lines(self.result.matched))
        if not self.result.matched:
            reasons = ", ".join(self.result.reasons) if self.result.reasons else "no statement applies"
            lines.append(f"  no statement decided it: {reasons}")
        if self.result.missing_context_keys:
            lines.append(f"  missing context keys: {', '.join(self.result.missing_context_keys)}")
        for d in self.result.diagnostics:
            lines.append(f"  {d.location.render()}: {d.message} [{d.code}]")
        return "\n".join(lines)


def statement_lines(refs: Iterable[StatementRef | str]) -> list[str]:
    """``Allow statement 0 (Sid) of identity[0] at template.yaml:26:17`` for each statement."""
    out = []
    for ref in refs:
        if isinstance(ref, str):
            out.append(ref)
            continue
        sid = f" ({ref.sid})" if ref.sid else ""
        out.append(f"{ref.effect} statement {ref.index}{sid} of {ref.policy} at {ref.location.render()}")
    return out


def decide(subject: SubjectLike, expression: str | ParsedExpression, *,
           context: Mapping[str, object] | None = None, match: str = "all") -> Outcome:
    """Decide a request written in the request language (or already parsed) for a subject."""
    from qiam.reqlang import parse_expression

    who = as_subject(subject)
    parsed = parse_expression(expression) if isinstance(expression, str) else expression
    pattern = parsed.resource != "*" and ("*" in parsed.resource or "?" in parsed.resource)
    pset, request = who.decide(parsed.action, parsed.resource, principal=parsed.principal,
                               account=parsed.account, context={**parsed.context, **(context or {})},
                               resource_match=match if pattern else None)
    if pattern:
        found = pset.evaluate_scope(request)
        return Outcome(request, found.result, found.scope)
    return Outcome(request, pset.evaluate(request))


def assert_allowed(subject: SubjectLike, expression: str | ParsedExpression, *,
                   context: Mapping[str, object] | None = None) -> None:
    """Fail unless the request is allowed (for a pattern resource: on every resource it names)."""
    outcome = decide(subject, expression, context=context)
    if not outcome.result.allowed:
        raise PermissionAssertionError(f"expected allowed\n{outcome.explain()}")


def assert_denied(subject: SubjectLike, expression: str | ParsedExpression, decision: str | Decision | None = None, *,
                  context: Mapping[str, object] | None = None) -> None:
    """Fail unless the request is denied (for a pattern resource: on every resource it names);
    ``decision`` asks for ``explicitDeny`` or ``implicitDeny`` in particular."""
    wanted = _DECISIONS[decision] if isinstance(decision, str) else decision
    outcome = decide(subject, expression, context=context, match="some")
    denied = not outcome.result.allowed
    if not denied or (wanted is not None and outcome.decision is not wanted):
        raise PermissionAssertionError(f"expected {wanted.value if wanted else 'denied'}\n{outcome.explain()}")


# ----- tasks -----


def task_result(subject: SubjectLike, task: str, *, account: str | None = None, region: str | None = None
                ) -> TaskResult:
    """Whether the subject may do an administrative task (``qiam tasks --list``)."""
    from qiam import tasks

    who = as_subject(subject)
    if who.who is not None and who.asker is not None:
        asker = who.asker
        broken = asker.broken(who.who, "*", "*")
        if broken:
            raise _cannot_answer(who.who.arn, broken)
        inv = asker.inventory
        pset = PolicySet(identity=inv.identity(who.who), boundary=inv.boundary(who.who),
                         scps=inv.scps(who.who.account), rcps=inv.rcps(who.who.account))
        env = asker._environment(who.who, who.who.account)
        return tasks.check(pset, task, account=account or who.who.account,
                           region=region or env.region or tasks.DEFAULT_REGION, principal=who.who.arn,
                           environment=env)
    assert who.policy_set is not None
    return tasks.check(who.policy_set, task, account=account or tasks.DEFAULT_ACCOUNT,
                       region=region or who.environment.region or tasks.DEFAULT_REGION,
                       environment=who.environment, context=who.context or None)


def explain_task(result: TaskResult) -> str:
    """Why a task is allowed or not: the missing permissions, what blocks, the statement that would fix it."""
    import json

    lines = [f"task {result.task.name} ({result.task.title}): {'allowed' if result.allowed else 'not allowed'}"]
    if result.missing_actions:
        lines.append(f"  missing permissions: {', '.join(result.missing_actions)}")
    for blocked in result.blocked:
        lines.append(f"  {blocked.requirement.action} on {blocked.requirement.resource} is "
                     f"{blocked.result.decision.value}, which no Allow can fix:")
        lines.extend(f"    {line}" for line in statement_lines(blocked.blocked_by))
    if result.missing_context_keys:
        lines.append(f"  missing context keys: {', '.join(result.missing_context_keys)}")
    suggestion = result.suggestion()
    if suggestion is not None and not result.blocked:
        lines.append("  a statement that grants it:")
        lines.extend(f"    {line}" for line in json.dumps(suggestion, indent=2).splitlines())
    return "\n".join(lines)


def assert_task_allowed(subject: SubjectLike, task: str, *, account: str | None = None,
                        region: str | None = None) -> None:
    """Fail unless the subject may do the task; the message names what is missing and how to grant it."""
    result = task_result(subject, task, account=account, region=region)
    if not result.allowed:
        raise PermissionAssertionError(f"expected task {task} allowed\n{explain_task(result)}")


# ----- never -----


def never_allowed(subject: SubjectLike, actions: str | Sequence[str], on: str | Sequence[str] | None = None
                  ) -> list[Outcome]:
    """Every allowed request among the catalog's actions the patterns cover, on every resource of the
    inventory they apply to and every Resource pattern of the subject's own Allow statements (only those
    the ``on`` patterns reach, when given)."""
    from qiam.catalog import load_catalog

    who = as_subject(subject)
    catalog = load_catalog()
    patterns = [actions] if isinstance(actions, str) else list(actions)
    limits = None if on is None else ([on] if isinstance(on, str) else list(on))
    found: list[Outcome] = []
    seen: set[str] = set()
    for pattern in patterns:
        for info in catalog.expand(pattern):
            if info.action in seen:
                continue
            seen.add(info.action)
            candidates = who.own_resource_entries(info.action)
            if who.asker is not None:
                may_allow = _allow_finder(who, info.action)
                candidates.extend(a for a in who.asker.resources_for(info) if a != "*" and may_allow(a))
            if limits is not None:
                candidates = [c for c in candidates if any(_overlaps(c, limit) for limit in limits)]
                candidates.extend(limit for limit in limits)
            asked = [r for r in dict.fromkeys(_plain_pattern(c) for c in candidates)
                     if not (info.resource_types and r.startswith("arn:") and not _may_name(info, r))]
            answered = _ask_once(who, info.action, [r for r in asked if r == "*" or ("*" not in r and "?" not in r)])
            for resource in asked:
                if resource in answered:
                    if answered[resource] is not None:
                        found.append(answered[resource])  # type: ignore[arg-type]
                    continue
                if resource == "*" or ("*" not in resource and "?" not in resource):
                    pset, request = who.decide(info.action, resource)
                    result = pset.evaluate(request)
                    if result.allowed:
                        found.append(Outcome(request, result))
                    continue
                pset, request = who.decide(info.action, resource, resource_match="some")
                scope = pset.evaluate_scope(request)
                if scope.allowed:
                    found.append(Outcome(request, scope.result, scope.scope))
    return found


def _ask_once(who: Subject, action: str, resources: list[str]) -> dict[str, Outcome | None]:
    """A principal's answers on many resources in one call, keeping nothing for later: the allowed
    ones' outcomes, None for the others (empty for a subject of no inventory)."""
    if who.asker is None or who.who is None or not resources:
        return {}
    out: dict[str, Outcome | None] = {}
    for answer in who.asker.ask([(who.who, action, r) for r in resources], keep=False):
        if answer.status == "broken":
            raise _cannot_answer(who.who.arn, answer.broken)
        assert answer.result is not None
        out[answer.resource] = (Outcome(who.asker.request(who.who, action, answer.resource), answer.result)
                                if answer.allowed else None)
    return out


def assert_never_allowed(subject: SubjectLike, actions: str | Sequence[str],
                         on: str | Sequence[str] | None = None) -> None:
    """Fail if any action the patterns cover is allowed anywhere (see ``never_allowed``)."""
    found = never_allowed(subject, actions, on)
    if found:
        shown = "\n".join(o.explain() for o in found[:5])
        more = f"\n... and {len(found) - 5} more" if len(found) > 5 else ""
        wanted = ", ".join([actions] if isinstance(actions, str) else actions)
        limits = "" if not on else " on " + ", ".join([on] if isinstance(on, str) else on)
        raise PermissionAssertionError(f"expected never allowed: {wanted}{limits}\n{shown}{more}")


# ----- the exact set of resources -----


def allowed_resources(subject: Subject, action: str) -> list[str]:
    """The inventory's resources on which the principal is allowed the action."""
    if subject.asker is None or subject.who is None:
        raise ValueError("the exact set of resources is asked of a principal of an inventory")
    asker, who = subject.asker, subject.who
    info = asker.action_info(action)
    may_allow = _allow_finder(subject, info.action)
    questions = [(who, info.action, r) for r in asker.resources_for(info) if may_allow(r)]
    return sorted(a.resource for a in asker.ask(questions, keep=False) if a.allowed)


def _allow_finder(subject: Subject, action: str) -> Callable[[str], bool]:
    """Whether some Allow statement could grant the action on a resource: one of the principal's own
    (identity or session) whose Resource may match it, or one of the resource's own policy whose Action
    admits it. A request that no Allow statement matches is not allowed, so the resources this rules out
    need not be asked (an organisation-wide inventory has thousands)."""
    assert subject.asker is not None and subject.who is not None
    asker = subject.asker
    own = asker.policy_set(subject.who, "", "*")
    matchers = []
    for statement, ref in own.statements_for(action):
        if ref.effect == "Allow" and ref.policy_type in ("identity", "session"):
            resources = statement.resources
            if resources is None or statement.not_resource or resources.templates:
                return lambda resource: True  # (it may match any resource)
            matchers.append(resources.static)

    def may_allow(resource: str) -> bool:
        if any(m.matches_any(resource) for m in matchers):
            return True
        _, policy, _ = asker.resource_policy(action, resource)
        return policy is not None and any(
            st.allow and st.actions.matches_any(action) != st.not_action for st in policy.statements)

    return may_allow


def assert_resources(subject: Subject, action: str, expected: Iterable[str]) -> None:
    """Fail unless the action is allowed on exactly these resources of the inventory."""
    got = set(allowed_resources(subject, action))
    want = set(expected)
    if got != want:
        lines = [f"expected {action} allowed on exactly {len(want)} resource(s) of the inventory, "
                 f"and it is on {len(got)}"]
        lines.extend(f"  allowed, not expected: {r}" for r in sorted(got - want))
        lines.extend(f"  expected, not allowed: {r}" for r in sorted(want - got))
        for resource in sorted(got ^ want)[:5]:
            lines.append(decide(subject, f"{action} on {resource}").explain())
        raise PermissionAssertionError("\n".join(lines))


_VARIABLE = re.compile(r"\$\{[^}]*\}")


def _may_name(info: object, pattern: str) -> bool:
    """Whether a resource pattern may name a resource of the action's types: some text in place of its
    wildcards (one segment, or more) makes an ARN of one (`arn:aws:s3:::b/*` names objects, not buckets;
    `arn:aws:s3:::*` names both)."""
    from qiam.catalog import ActionInfo
    from qiam.resource_types import applies_to, type_of_arn

    assert isinstance(info, ActionInfo)
    if "*" not in pattern and "?" not in pattern:
        return applies_to(info, pattern)
    types = {f"{info.service}:{r.name}" for r in info.resource_types}
    for stand_in in ("x", "x/x"):
        sample = pattern.replace("*", stand_in).replace("?", "x")
        found = type_of_arn(sample)  # the type the ARN is most precisely (an object, not its bucket)
        if found in types or (found is None and applies_to(info, sample)):
            return True
    return False


def _plain_pattern(entry: str) -> str:
    """A Resource entry as a pattern request: a policy variable may be any text."""
    return _VARIABLE.sub("*", entry)


def _overlaps(entry: str, limit: str) -> bool:
    """Whether a Resource entry and an ``on`` pattern may name a resource in common (a wildcard in either
    may stand for the other's text)."""
    from fnmatch import fnmatchcase

    a, b = _plain_pattern(entry), limit
    return a == "*" or fnmatchcase(a, b) or fnmatchcase(b, a) or _common_prefix_wild(a, b)


def _common_prefix_wild(a: str, b: str) -> bool:
    """Both patterns agree up to the first wildcard of either."""
    stop = min((i for i, ch in enumerate(a) if ch in "*?"), default=len(a))
    stop = min(stop, min((i for i, ch in enumerate(b) if ch in "*?"), default=len(b)))
    return a[:stop] == b[:stop] and (stop < len(a) or stop < len(b))
