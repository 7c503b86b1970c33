"""The task layer: "is this administrative task allowed by these policies?".

A task is a named set of required permissions, each written in the request
language of ``qiam check`` (``iam:PassRole with iam:PassedToService=q.amazonaws.com``).
Task catalogs are data (JSON); the bundled one holds the Amazon Q Developer
administrator tasks of the AWS documentation. Wildcard actions stand for the
real actions the action catalog knows (``kms:GenerateDataKey*`` is four
requirements); actions the catalog does not know are left out and reported.

A requirement without ``on`` asks about every resource of the action's
resource type in the account and region (``arn:aws:sso::111122223333:application/*/*``,
from the catalog's ARN template), never about an invented name; names the
caller binds (``names``, ``--name``) make it concrete. A requirement whose
resource is a pattern is answered exactly, allowed on every resource it names
or not (``qiam.scope``). Every request carries the context AWS supplies
(``qiam.context``) unless ``derive_context=False``.

The answer says allowed or not; for each requirement its decision and
deciding statements; which permissions are missing, and the smallest
statements that grant them; and what blocks the rest, where an Allow cannot
help (an explicit Deny, a boundary, a session policy, an SCP or RCP level, a
resource policy). Which is which is not guessed: the suggested statements are
added and the requirements decided again, and those still refused are blocked
by what refuses them then.

Checking is batch work: a task's requirements become requests once per
(task, principal), the requests of a policy set are decided in one call into
the decision kernel (``results_of_pairs``), and the per-requirement detail is
built only when asked for.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from itertools import compress, count
from operator import attrgetter, not_
from pathlib import Path
from typing import Any, cast, overload

import orjson

from qiam._immutable import Immutable, made_once
from qiam._json import kept_dumps
from qiam.compile import CompiledPolicy, Compiler
from qiam.context import Environment
from qiam.errors import QiamError
from qiam.evaluate import Decision, PolicySet, Result, StatementRef
from qiam.model import Policy
from qiam.parse import PolicyInput, parse_policy
from qiam.policyset import results_of_pairs
from qiam.reqlang import parse_expression
from qiam.request import Request
from qiam.scope import COVERS, ScopeAnalyzer, ScopeTooLarge, summarize
from qiam.types import JSON, JSONObject

FORMAT = 1
DEFAULT_ACCOUNT = "111122223333"
DEFAULT_REGION = "us-east-1"
DEFAULT_PARTITION = "aws"

_NAME = re.compile(r"\$\{([A-Za-z][A-Za-z0-9_-]*)\}")
_TEMPLATE = re.compile(r"\$\{([^}]*)\}")
_ACCOUNT_ID = re.compile(r"[0-9]{12}")


class TaskCatalogError(QiamError, ValueError):
    """A task catalog that cannot be read or used."""

    default_code = "invalid-task-catalog"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One permission a task needs: a request that must be allowed.

    ``resource`` is one ARN, ``*`` (an action without a resource type), or,
    when ``pattern`` is true, an ARN pattern: the permission is needed on every
    resource it names. ``resource_type`` is the catalog's type when the
    resource comes from its ARN template, and ``grant`` what a statement that
    grants the requirement names as its Resource.
    """

    action: str
    resource: str
    context: Mapping[str, str | tuple[str, ...]]
    written: str  # the catalog's line, templates filled
    resource_policy: str | None = None  # the name of a resource policy the task assumes
    pattern: bool = False
    resource_type: str | None = None
    grant: str = ""

    def request(self, principal: str | None, account: str, *, context: Mapping[str, object] | None = None,
                environment: Environment | None = None, derive_context: bool = True) -> Request:
        """The request to evaluate (a pattern request when ``pattern``)."""
        merged: dict[str, object] = dict(self.context)
        if context:
            folded = {k.lower() for k in context}
            merged = {k: v for k, v in merged.items() if k.lower() not in folded}
            merged.update(context)
        return Request(self.action, self.resource, principal=principal, context=merged, resource_account=account,
                       derive_context=derive_context, environment=environment,
                       resource_match="all" if self.pattern else None)

    def to_dict(self) -> JSONObject:
        """JSON form."""
        out: dict[str, Any] = {
            "action": self.action,
            "resource": self.resource,
            "context": {k: list(v) if isinstance(v, tuple) else v for k, v in self.context.items()},
            "resource_policy": self.resource_policy,
        }
        if self.pattern:
            out["resource_match"] = "all"
        if self.resource_type is not None:
            out["resource_type"] = self.resource_type
        return out


@dataclass(frozen=True, slots=True)
class Dropped:
    """A line of the catalog that names no real action, left out of the requirements."""

    written: str
    reason: str


@dataclass(frozen=True, slots=True)
class Task:
    """A task with its requirements, for one account, region and partition."""

    name: str
    title: str
    section: str
    policy: str | None  # the page's own policy for the task, when there is one
    requirements: tuple[Requirement, ...]
    dropped: tuple[Dropped, ...] = ()
    resource_policies: Mapping[str, object] = field(default_factory=dict)


class TaskCatalog:
    """Task definitions, read from JSON (see the README: the task catalog format)."""

    def __init__(self, data: Mapping[str, object], *, name: str = "<tasks>") -> None:
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise TaskCatalogError(f"{name}: a task catalog is an object with \"format\": {FORMAT}")
        tasks = data.get("tasks")
        if not isinstance(tasks, list) or not tasks:
            raise TaskCatalogError(f"{name}: `tasks` must be a non-empty list")
        names = data.get("names", {})
        policies = data.get("resource_policies", {})
        if not isinstance(names, Mapping) or not all(isinstance(v, str) for v in names.values()):
            raise TaskCatalogError(f"{name}: `names` must be an object of names to strings")
        if not isinstance(policies, Mapping):
            raise TaskCatalogError(f"{name}: `resource_policies` must be an object of names to policies")
        self.name = name
        self.names: dict[str, str] = dict(names)
        self.resource_policies: dict[str, object] = dict(policies)
        self._tasks: dict[str, Mapping[str, Any]] = {}
        for i, task in enumerate(tasks):
            if not isinstance(task, Mapping) or not isinstance(task.get("name"), str):
                raise TaskCatalogError(f"{name}: task {i} needs a `name`")
            requirements = task.get("requirements")
            if not isinstance(requirements, list) or not requirements:
                raise TaskCatalogError(f"{name}: task `{task['name']}` needs a list of `requirements`")
            self._tasks[task["name"]] = task
        self._resolved: dict[tuple[Any, ...], Task] = {}

    @classmethod
    def bundled(cls) -> TaskCatalog:
        """The Amazon Q Developer administrator tasks."""
        text = (files("qiam") / "data" / "tasks.json").read_bytes()
        return cls(orjson.loads(text), name="tasks.json")

    @classmethod
    def from_path(cls, path: str | Path) -> TaskCatalog:
        """A catalog from a JSON file."""
        try:
            data = orjson.loads(Path(path).read_bytes())
        except OSError as exc:
            raise TaskCatalogError(f"cannot read task catalog {path}: {exc.strerror or exc}",
                                   code="unreadable-file") from None
        except orjson.JSONDecodeError as exc:
            raise TaskCatalogError(f"{path}: not JSON: {exc}") from None
        return cls(data, name=str(path))

    def merged(self, other: TaskCatalog) -> TaskCatalog:
        """This catalog with ``other``'s tasks added (``other`` wins on a name)."""
        data = {
            "format": FORMAT,
            "names": {**self.names, **other.names},
            "resource_policies": {**self.resource_policies, **other.resource_policies},
            "tasks": list({**self._tasks, **other._tasks}.values()),
        }
        return TaskCatalog(data, name=f"{self.name}+{other.name}")

    def __contains__(self, name: object) -> bool:
        return name in self._tasks

    def __iter__(self) -> Iterator[str]:
        return iter(self._tasks)

    def __len__(self) -> int:
        return len(self._tasks)

    def task(self, name: str, *, account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION,
             partition: str = DEFAULT_PARTITION, names: Mapping[str, str] | None = None) -> Task:
        """The task ``name`` with its requirements for an account, region and partition.

        ``names`` binds names of the catalog's ``${name}`` templates and of ARN
        template placeholders (``ApplicationId``, or a resource type's name such
        as ``application`` for the last placeholder of its ARN).
        """
        bound = tuple(sorted((names or {}).items()))
        key = (name, account, region, partition, bound)
        found = self._resolved.get(key)
        if found is None:
            if name not in self._tasks:
                raise TaskCatalogError(f"no task `{name}`; tasks: {', '.join(self._tasks)}",
                                       code="unknown-task")
            found = self._resolve(self._tasks[name], account, region, partition, dict(bound))
            self._resolved[key] = found
        return found

    def _resolve(self, spec: Mapping[str, Any], account: str, region: str, partition: str,
                 bound: Mapping[str, str]) -> Task:
        from qiam.catalog import load_catalog

        catalog = load_catalog()
        names = {**self.names, **spec.get("names", {}), **bound, "partition": partition, "account": account,
                 "region": region}
        requirements: list[Requirement] = []
        dropped: list[Dropped] = []
        for entry in spec["requirements"]:
            text, policy = (entry, None) if isinstance(entry, str) else (entry.get("request"),
                                                                        entry.get("resource_policy"))
            if not isinstance(text, str):
                raise TaskCatalogError(f"task `{spec['name']}`: a requirement is a string or "
                                       "{\"request\": ..., \"resource_policy\": ...}")
            if policy is not None and policy not in self.resource_policies:
                raise TaskCatalogError(f"task `{spec['name']}`: no resource policy `{policy}`")
            filled = _fill(text, names, spec["name"])
            parsed = parse_expression(filled)
            actions = catalog.expand(parsed.action)
            if not actions:
                reason = ("no action of the catalog matches it" if "*" in parsed.action
                          else "it is not an action of the catalog")
                close = catalog.suggest_action(parsed.action)
                dropped.append(Dropped(text, reason + (f" (did you mean {close}?)" if close else "")))
                continue
            context = _context(parsed.context)
            for info in sorted(actions, key=lambda a: a.action.lower()):
                if _names_resource(filled):
                    resource = parsed.resource
                    pattern = resource != "*" and ("*" in resource or "?" in resource)
                    requirements.append(Requirement(info.action, resource, context, filled, policy, pattern,
                                                    None, resource))
                    continue
                for type_name, resource, pattern in _resources_of(info, names, catalog):
                    requirements.append(Requirement(info.action, resource, context, filled, policy, pattern,
                                                    type_name, _grant_pattern(resource) if pattern else resource))
        return Task(spec["name"], spec.get("title", spec["name"]), spec.get("section", ""), spec.get("policy"),
                    tuple(_unique(requirements)), tuple(dropped),
                    {k: _fill_json(v, names) for k, v in self.resource_policies.items()})


def _names_resource(expression: str) -> bool:
    return re.search(r"\s[oO][nN]\s", expression) is not None


def _fill(text: str, names: Mapping[str, str], task: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            raise TaskCatalogError(f"task `{task}`: `${{{name}}}` has no value; give it under `names`")
        return names[name]

    return _NAME.sub(one, text)


def _fill_json(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _NAME.sub(lambda m: names.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [_fill_json(v, names) for v in value]
    if isinstance(value, Mapping):
        return {k: _fill_json(v, names) for k, v in value.items()}
    return value


def _resources_of(info: Any, names: Mapping[str, str], catalog: Any) -> list[tuple[str | None, str, bool]]:
    """Every resource of each resource type the call needs: (type, ARN or pattern, is a pattern).

    The types the action requires (or its first, when it requires none);
    ``*`` for an action without resource types. Each comes from the type's ARN
    template: partition, region and account filled, other placeholders bound by
    ``names`` (by the placeholder, or by the type's name for its last one), the
    rest ``*``.
    """
    service = catalog.service(info.service)
    types = [r for r in info.resource_types if r.required] or list(info.resource_types[:1])
    folded = {k.lower(): v for k, v in names.items()}
    out: list[tuple[str | None, str, bool]] = []
    for requirement in types:
        known = None
        if service is not None:
            known = service.resource_types.get(requirement.name) or next(
                (t for n, t in service.resource_types.items() if n.lower() == requirement.name.lower()), None)
        if known is None or not known.arn:
            out.append((requirement.name, "*", False))
            continue
        out.append((requirement.name, *_type_resource(known.arn, requirement.name, folded)))
    return out or [(None, "*", False)]


def _type_resource(template: str, type_name: str, names: Mapping[str, str]) -> tuple[str, bool]:
    """An ARN template with its placeholders filled; a placeholder nothing binds becomes ``*``."""
    fields = template.split(":", 5)
    if len(fields) != 6:
        return "*", False
    placeholders = _TEMPLATE.findall(fields[5])
    last = placeholders[-1].lower() if placeholders else None
    pattern = False

    def fill(match: re.Match[str], where: int) -> str:
        nonlocal pattern
        name = match.group(1).lower()
        if where == 1:
            return names["partition"]
        if where == 3:
            return names["region"]
        if where == 4:
            return names["account"]
        value = names.get(name)
        if value is None and name == last:
            value = names.get(type_name.lower())
        if value is None:
            pattern = True
            return "*"
        return value

    filled = [_TEMPLATE.sub(functools.partial(_field_value, fill, i), part) for i, part in enumerate(fields)]
    return ":".join(filled), pattern


def _field_value(fill: Any, where: int, match: re.Match[str]) -> str:
    return str(fill(match, where))


def _grant_pattern(pattern: str) -> str:
    """What a granting statement names for a type's pattern: runs of ``*`` joined by ``/`` or ``:`` in
    the resource part read as one (``application/*/*`` is granted as ``application/*``)."""
    fields = pattern.split(":", 5)
    if len(fields) != 6:
        return pattern
    rest = fields[5]
    while True:
        shorter = re.sub(r"\*[/:]\*", "*", rest)
        if shorter == rest:
            break
        rest = shorter
    return ":".join([*fields[:5], rest])


def _context(context: Mapping[str, Any]) -> dict[str, str | tuple[str, ...]]:
    return {k: tuple(v) if isinstance(v, list) else str(v) for k, v in context.items()}


def _unique(requirements: Iterable[Requirement]) -> Iterator[Requirement]:
    seen = set()
    for requirement in requirements:
        key = (requirement.action.lower(), requirement.resource, tuple(sorted(requirement.context.items())),
               requirement.resource_policy)
        if key not in seen:
            seen.add(key)
            yield requirement


# ----- placeholders the documentation's policies hold -----

_EXAMPLE_ACCOUNTS = frozenset({"account-id", "123456789012", "account", "accountid", "account_id",
                               "your-account-id", "aws-account-id"})
_PLACEHOLDER_REGIONS = frozenset({"region", "your-region", "aws-region", "region-name"})


@overload
def fill_placeholders(document: Mapping[str, object], *, account: str, region: str) -> dict[str, object]: ...


@overload
def fill_placeholders(document: object, *, account: str, region: str) -> object: ...


def fill_placeholders(document: object, *, account: str, region: str) -> object:
    """A copy of a policy with ARN placeholders (``region``, ``account-id``, ``123456789012``) filled in."""

    def arn(text: str) -> str:
        fields = text.split(":", 5)
        if len(fields) != 6 or fields[0] != "arn":
            return text
        if fields[3].lower() in _PLACEHOLDER_REGIONS:
            fields[3] = region
        if fields[4].lower() in _EXAMPLE_ACCOUNTS:
            fields[4] = account
        return ":".join(fields)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return arn(value) if value.startswith("arn:") else value
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, Mapping):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(copy.deepcopy(document))


def has_placeholders(document: object) -> bool:
    """Whether a policy holds ARN placeholders that ``fill_placeholders`` would fill."""
    return bool(fill_placeholders(document, account="\0", region="\0") != document)


# ----- the answer -----


@made_once
@dataclass(frozen=True, slots=True)
class RequirementResult:
    """One requirement and its answer.

    ``result`` is the decision's Result (for a pattern requirement, of a
    resource where it is refused, or of an allowed one). ``scope`` says, for a
    pattern, whether it is allowed on ``all``, ``some`` or ``none`` of the
    resources, with the Resource ``patterns`` that allow and the Deny
    statements that carve some out (``carving``). ``blocked_by`` names what
    an Allow cannot get past (Deny statements, or reasons such as ``scp[1]``,
    ``boundary``, ``resource_policy_required``); it is empty for a requirement
    that is allowed or that an Allow would grant.
    """

    requirement: Requirement
    request: Request
    result: Result
    scope: str | None = None
    patterns: tuple[str, ...] = ()
    carving: tuple[StatementRef, ...] = ()
    blocked_by: tuple[StatementRef | str, ...] = ()
    considered: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        """Whether the requirement is allowed (on every resource, for a pattern)."""
        return self.scope == "all" if self.scope is not None else self.result.allowed

    @property
    def blocked(self) -> bool:
        """Whether something an Allow cannot fix stands in the way."""
        return bool(self.blocked_by)

    @property
    def missing_context_keys(self) -> tuple[str, ...]:
        """Keys the decision depended on that neither the requirement nor derivation supplied."""
        return self.result.missing_context_keys

    def to_dict(self) -> JSONObject:
        """JSON form."""
        out = self.requirement.to_dict()
        out["decision"] = (Decision.ALLOW if self.allowed else self.result.decision).value
        if self.scope is not None:
            out["scope"] = self.scope
            out["allowing_patterns"] = list(self.patterns)
            out["carving"] = [m.to_dict() for m in self.carving]
            out["considered_patterns"] = list(self.considered)
        out["reasons"] = list(self.result.reasons)
        out["matched"] = [m.to_dict() for m in self.result.matched]
        out["derived"] = {k: list(v) if isinstance(v, tuple) else v for k, v in self.request.derived.items()}
        out["missing_context_keys"] = list(self.result.missing_context_keys)
        if self.blocked_by:
            out["blocked_by"] = [b.to_dict() if isinstance(b, StatementRef) else b for b in self.blocked_by]
        return out


@dataclass(frozen=True, slots=True)
class _Plan:
    """How one task is checked under one policy set for one principal: the pairs to decide, and
    which of them belong to which requirement."""

    requests: tuple[Request, ...]  # one per requirement
    sets: tuple[PolicySet, ...]  # the policy set of each requirement (with its resource policy)
    pairs: tuple[tuple[PolicySet, Request], ...]  # every request to decide, requirement by requirement
    slices: tuple[tuple[int, int], ...]  # each requirement's pairs
    too_large: tuple[bool, ...]  # per requirement: its pattern split into too many classes
    unanswerable: bool  # some pattern split into too many classes, or names no resource at all
    owners: tuple[int, ...]  # the requirement of each pair
    single: PolicySet | None = None  # the one policy set of every pair, if there is one
    flat: tuple[Request, ...] = ()  # then, the requests of the pairs


_ALLOW = Decision.ALLOW
_ALLOWED = attrgetter("allowed")


def _owned(result: Result) -> bool:
    return any(reason.startswith("aws-owned-resource") for reason in result.reasons)


@dataclass(frozen=True, slots=True)
class _Base:
    """A task's requests for one principal, and their witnesses under any set that splits none."""

    requests: tuple[Request, ...]
    flat: tuple[tuple[int, Request], ...]  # (requirement, request to decide), requirement by requirement
    slices: tuple[tuple[int, int], ...]
    too_large: tuple[bool, ...]
    unanswerable: bool
    resourced: tuple[int, ...]  # the requirements that may be decided with a resource policy
    owners: tuple[int, ...]  # the requirement of each request of ``flat``
    just_requests: tuple[Request, ...]  # the requests of ``flat``


class TaskResult(Immutable):
    """Whether a task is allowed, and if not, what is missing and what blocks.

    Built cheaply from a batch of results; ``requirements`` and the rest are
    made when first asked for.
    """

    __slots__ = ("_checker", "_detail", "_plan", "_results", "task")

    def __init__(self, task: Task, plan: _Plan, results: Sequence[Result], checker: Checker) -> None:
        self.task = task
        self._plan = plan
        self._results = results
        self._checker = checker
        self._detail: tuple[tuple[RequirementResult, ...], dict[str, Any] | None] | None = None

    def __repr__(self) -> str:
        return f"TaskResult({self.task.name!r}, allowed={self.allowed})"

    @property
    def allowed(self) -> bool:
        """Whether every requirement is allowed (on every resource it names)."""
        results = self._results
        plan = self._plan
        if all(map(_ALLOWED, results)):
            return not plan.unanswerable
        if self._detail is not None:
            return all(r.allowed for r in self._detail[0])
        # A requirement is refused, unless only resources AWS owns are (see qiam.scope.summarize).
        seen: set[int] = set()
        for index in compress(count(), map(not_, map(_ALLOWED, results))):
            i = plan.owners[index]
            if i in seen:
                continue
            seen.add(i)
            start, end = plan.slices[i]
            if plan.requests[i].resource_match is None or end - start == 1:
                return False
            refused = [r for r in results[start:end] if not r.allowed]
            if len(refused) == end - start or not all(_owned(r) for r in refused):
                return False
        return not plan.unanswerable

    def _answers(self) -> tuple[tuple[RequirementResult, ...], dict[str, Any] | None]:
        detail = self._detail
        if detail is None:
            detail = self._checker._explain(self.task, self._plan, self._results)
            object.__setattr__(self, "_detail", detail)  # (made once, when first asked for)
        return detail

    @property
    def requirements(self) -> tuple[RequirementResult, ...]:
        """Every requirement with its answer."""
        return self._answers()[0]

    @property
    def missing(self) -> tuple[RequirementResult, ...]:
        """Requirements an Allow statement would grant (``suggestion()`` holds them)."""
        return tuple(r for r in self.requirements if not r.allowed and not r.blocked)

    @property
    def blocked(self) -> tuple[RequirementResult, ...]:
        """Requirements that an explicit Deny, a boundary, a session policy, an SCP or RCP level or a
        resource policy stands in the way of."""
        return tuple(r for r in self.requirements if r.blocked)

    @property
    def missing_actions(self) -> tuple[str, ...]:
        """The actions of the requirements that are not allowed, each once."""
        return tuple(dict.fromkeys(r.requirement.action for r in self.requirements if not r.allowed))

    @property
    def blockers(self) -> tuple[StatementRef | str, ...]:
        """The Deny statements (or the policy types, such as ``boundary`` or ``scp[1]``) that block."""
        found: dict[Any, None] = {}
        for r in self.blocked:
            found.update(dict.fromkeys(r.blocked_by))
        return tuple(found)

    @property
    def missing_context_keys(self) -> tuple[str, ...]:
        """Keys some decision depended on that neither the requirements nor derivation supplied."""
        return tuple(sorted({k for r in self.requirements for k in r.missing_context_keys}))

    def suggestion(self) -> JSONObject | None:
        """The smallest policy that grants the missing requirements, or None if nothing is missing.

        One statement per set of conditions and actions, naming the resources
        the requirements need (a resource type's pattern for "every resource of
        the type"), with the requirement's context as conditions. Adding it is
        checked to grant each requirement it names.
        """
        return self._answers()[1]

    def to_dict(self) -> JSONObject:
        """JSON form, as ``qiam tasks --json`` prints it."""
        requirements = self.requirements
        return {
            "task": self.task.name,
            "title": self.task.title,
            "allowed": self.allowed,
            "missing_actions": list(self.missing_actions),
            "blocked": [r.to_dict() for r in self.blocked],
            "blockers": [b.to_dict() if isinstance(b, StatementRef) else b for b in self.blockers],
            "suggestion": self.suggestion(),
            "missing_context_keys": list(self.missing_context_keys),
            "dropped": [{"requirement": d.written, "reason": d.reason} for d in self.task.dropped],
            "requirements": [r.to_dict() for r in requirements],
        }


def suggest(task: Task, requirements: Iterable[Requirement]) -> JSONObject | None:
    """The smallest policy granting ``requirements``: one statement per set of conditions and actions."""
    by_resource: dict[tuple[Any, str], set[str]] = {}
    for req in requirements:
        by_resource.setdefault((_condition_key(req.context), req.grant or req.resource), set()).add(req.action)
    if not by_resource:
        return None
    grouped: dict[tuple[Any, tuple[str, ...]], list[str]] = {}
    for (condition, resource), action_set in by_resource.items():
        grouped.setdefault((condition, tuple(sorted(action_set))), []).append(resource)
    statements: list[JSON] = []
    for n, ((condition, actions), resources) in enumerate(sorted(grouped.items(), key=str), 1):
        statement: dict[str, Any] = {
            "Sid": f"Grant{_sid(task.name)}{n}",
            "Effect": "Allow",
            "Action": list(actions) if len(actions) > 1 else actions[0],
            "Resource": sorted(set(resources)) if len(set(resources)) > 1 else resources[0],
        }
        if condition:
            statement["Condition"] = _condition_of(condition)
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def _sid(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name))


def _condition_key(context: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(context.items()))


def _condition_of(condition: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {}
    for key, value in condition:
        if isinstance(value, tuple):
            out.setdefault("ForAllValues:StringEquals", {})[key] = list(value)
        else:
            out.setdefault("StringEquals", {})[key] = value
    return out


# ----- checking -----

Policies = PolicySet | Iterable[PolicyInput | CompiledPolicy]

# How many (policy set, task, principal) plans a Checker keeps before starting afresh.
_PLANS_LIMIT = 1 << 14


class Checker:
    """Checks tasks against policy sets; each policy is compiled once, however many tasks use it.

    Parameters
    ----------
    catalog : TaskCatalog, optional
        The tasks (default: the bundled Amazon Q Developer administrator tasks).
    account, region, partition : str
        Where the tasks are done: they fill the requirements' templates, and the
        region is ``aws:RequestedRegion``.
    principal : str, optional
        Who does them: a user, role or role-session ARN. Default: an IAM
        principal of the account whose ARN is not known (conditions on
        ``aws:PrincipalArn`` then report the key as missing).
    context : mapping, optional
        Condition keys added to every request (they win over derived keys).
    names : mapping, optional
        Names that make requirements concrete (see ``TaskCatalog.task``).
    environment : qiam.context.Environment, optional
        Time, principal tags, MFA ... for the derived context (its region
        defaults to ``region``).
    derive_context : bool
        Add the context AWS supplies (``qiam.context``); False: only the
        requirements' own context.
    resource_policies : mapping, optional
        Resource policies by name: a name of the catalog's ``resource_policies``
        (replacing it), or an ARN pattern (the policy of the resources it names;
        it applies to the requirements whose resources all lie within it).
    """

    def __init__(self, catalog: TaskCatalog | None = None, *, account: str = DEFAULT_ACCOUNT,
                 region: str = DEFAULT_REGION, partition: str = DEFAULT_PARTITION, principal: str | None = None,
                 context: Mapping[str, object] | None = None, names: Mapping[str, str] | None = None,
                 environment: Environment | None = None, derive_context: bool = True,
                 resource_policies: Mapping[str, PolicyInput | CompiledPolicy] | None = None) -> None:
        self.catalog = catalog or TaskCatalog.bundled()
        self.account = account
        self.region = region
        self.partition = partition
        self.principal = principal
        self.context = dict(context or {})
        self.names = dict(names or {})
        base = environment or Environment()
        # One instant for every request of the checker, so that equal requests stay equal.
        instant = base.time or _dt.datetime.now(_dt.UTC).replace(microsecond=0)
        self.environment = dataclasses.replace(base, region=base.region or region, time=instant)
        self.derive_context = derive_context
        self._principal_environments: dict[str, Environment] = {}
        self._suggestions: dict[bytes, CompiledPolicy] = {}
        self._compiled: dict[int, tuple[Any, CompiledPolicy]] = {}
        self._compiler = Compiler()
        self._scope = ScopeAnalyzer()
        self._requests: dict[tuple[str, str | None], tuple[Request, ...]] = {}
        self._plans: dict[tuple[PolicySet, str, str | None], _Plan] = {}
        self._bases: dict[tuple[str, str | None], _Base] = {}
        self._tasks: dict[str, Task] = {}
        self._splits: dict[tuple[CompiledPolicy, str], frozenset[int]] = {}
        self._alone: dict[CompiledPolicy, PolicySet] = {}
        self._with_rp: dict[tuple[PolicySet, str], PolicySet] = {}
        self._fixed: dict[tuple[PolicySet, int], PolicySet] = {}
        self._rp_compiled: dict[tuple[str, str], CompiledPolicy] = {}
        self._own_rps: dict[str, CompiledPolicy] = {}
        for name, document in (resource_policies or {}).items():
            self._own_rps[name] = self._compiler.compile(document, "resource", name=name) \
                if not isinstance(document, CompiledPolicy) else document

    def set_environment(self, principal: str, environment: Environment) -> None:
        """The derivation inputs of one principal's requests (its tags and organisation, say), in place of
        the checker's; its time is the checker's, so that equal requests stay equal."""
        self._principal_environments[principal] = dataclasses.replace(
            environment, region=environment.region or self.region, time=self.environment.time)

    def task(self, name: str | Task) -> Task:
        """A task of the catalog, resolved for this checker's account, region, partition and names."""
        if isinstance(name, Task):
            return name
        found = self._tasks.get(name)
        if found is None:
            found = self._tasks[name] = self.catalog.task(name, account=self.account, region=self.region,
                                                          partition=self.partition, names=self.names)
        return found

    def compile(self, policy: PolicyInput | CompiledPolicy, profile: str = "identity") -> CompiledPolicy:
        """Compile a policy with its placeholders filled in, once per policy object."""
        if isinstance(policy, CompiledPolicy) and not has_placeholders(policy.policy.raw):
            return policy
        key = id(policy)
        cached = self._compiled.get(key)
        if cached is not None and cached[0] is policy:
            return cached[1]
        model = parse_policy(policy.policy if isinstance(policy, CompiledPolicy) else policy)
        if has_placeholders(model.raw):
            filled = fill_placeholders(model.raw, account=self.account, region=self.region)
            model = parse_policy(filled, name=model.name)
        compiled = self._compiler.compile(model, profile)
        self._compiled[key] = (policy, compiled)
        return compiled

    def policy_set(self, policies: Policies) -> PolicySet:
        """The policy set of one principal."""
        if isinstance(policies, PolicySet):
            return policies
        if isinstance(policies, (str, bytes, Mapping, Policy, CompiledPolicy)):
            policies = [policies]
        return PolicySet(identity=tuple(self.compile(p) for p in policies))

    def requests(self, task: Task, principal: str | None) -> tuple[Request, ...]:
        """The requests of a task's requirements for a principal (made once)."""
        key = (task.name, principal)
        found = self._requests.get(key)
        if found is None or len(found) != len(task.requirements):
            found = self._requests[key] = tuple(
                r.request(principal, self.account, context=self.context,
                          environment=self._principal_environments.get(principal or "", self.environment),
                          derive_context=self.derive_context) for r in task.requirements)
        return found

    def check(self, policies: Policies, task: str | Task, *, principal: str | None = None) -> TaskResult:
        """Whether the policies allow the task (for ``principal``, default the checker's)."""
        resolved = self.task(task)
        plan = self._plan(self.policy_set(policies), resolved, principal or self.principal)
        single = plan.single
        results = single.evaluate_many(plan.flat) if single is not None else results_of_pairs(plan.pairs)
        return TaskResult(resolved, plan, results, self)

    def check_many(self, policy_sets: Mapping[str, Policies], tasks: Sequence[str] | None = None, *,
                   principals: Mapping[str, str] | None = None) -> dict[str, dict[str, TaskResult]]:
        """Every task against every principal's policies: ``{set name: {task name: result}}``.

        ``principals`` gives the principal ARN of a set by its name. All the
        requests go to the decision kernel in one call.
        """
        names = list(tasks) if tasks is not None else list(self.catalog)
        resolved = [self.task(n) for n in names]
        jobs: list[tuple[str, Task, _Plan]] = []
        pairs: list[tuple[PolicySet, Request]] = []
        for label, policies in policy_sets.items():
            pset = self.policy_set(policies)
            principal = (principals or {}).get(label, self.principal)
            for task in resolved:
                plan = self._plan(pset, task, principal)
                jobs.append((label, task, plan))
                pairs.extend(plan.pairs)
        results = results_of_pairs(pairs)
        out: dict[str, dict[str, TaskResult]] = {label: {} for label in policy_sets}
        start = 0
        for label, task, plan in jobs:
            end = start + len(plan.pairs)
            out[label][task.name] = TaskResult(task, plan, results[start:end], self)
            start = end
        return out

    # ----- planning -----

    def _plan(self, pset: PolicySet, task: Task, principal: str | None) -> _Plan:
        """The pairs that decide a task under a policy set. Most policies split no requirement's resources
        (``ScopeAnalyzer.splits``, asked once per policy and task): those requirements take the witnesses
        they have under any such set, made once per task and principal."""
        key = (pset, task.name, principal)
        found = self._plans.get(key)
        if found is not None and len(found.requests) == len(task.requirements):
            return found
        base = self._base(task, principal)
        special: set[int] = set()
        for _, policy in pset.labelled():
            special.update(self._policy_splits(policy, task))
        targets = [pset] * len(task.requirements)
        for i in base.resourced:
            targets[i] = target = self._set_for(pset, task, task.requirements[i])
            if target is not pset and target.resource is not None:
                if i in self._policy_splits(target.resource, task):
                    special.add(i)
        if not special:
            pairs = tuple([(targets[i], request) for i, request in base.flat])
            single = pset if all(t is pset for t in targets) else None
            plan = _Plan(base.requests, tuple(targets), pairs, base.slices, base.too_large, base.unanswerable,
                         base.owners, single, base.just_requests if single is not None else ())
        else:
            plan = self._special_plan(base, targets, special)
        if len(self._plans) >= _PLANS_LIMIT:
            self._plans.clear()
        self._plans[key] = plan
        return plan

    def _special_plan(self, base: _Base, targets: list[PolicySet], special: set[int]) -> _Plan:
        pairs: list[tuple[PolicySet, Request]] = []
        slices: list[tuple[int, int]] = []
        too_large = list(base.too_large)
        for i, request in enumerate(base.requests):
            start = len(pairs)
            if i in special:
                try:
                    pairs.extend((targets[i], w) for w in self._scope.witness_requests(targets[i], request))
                    too_large[i] = False
                except ScopeTooLarge:
                    too_large[i] = True
            else:
                a, b = base.slices[i]
                pairs.extend((targets[i], r) for _, r in base.flat[a:b])
            slices.append((start, len(pairs)))
        owners = tuple(i for i, (a, b) in enumerate(slices) for _ in range(b - a))
        return _Plan(base.requests, tuple(targets), tuple(pairs), tuple(slices), tuple(too_large),
                     any(too_large) or any(a == b for a, b in slices), owners)

    def _base(self, task: Task, principal: str | None) -> _Base:
        """A task's requests for a principal, with the witnesses of each under a set that splits none."""
        key = (task.name, principal)
        found = self._bases.get(key)
        if found is not None and len(found.requests) == len(task.requirements):
            return found
        requests = self.requests(task, principal)
        flat: list[tuple[int, Request]] = []
        slices: list[tuple[int, int]] = []
        too_large: list[bool] = []
        for i, request in enumerate(requests):
            start = len(flat)
            large = False
            if request.resource_match is not None:
                try:
                    flat.extend((i, self._scope.witness(request, r)) for r in self._scope.fixed_resources(request))
                except ScopeTooLarge:
                    large = True
            else:
                flat.append((i, request))
            slices.append((start, len(flat)))
            too_large.append(large)
        own_by_arn = any(name.startswith("arn:") or name == "*" for name in self._own_rps)
        resourced = tuple(i for i, r in enumerate(task.requirements) if r.resource_policy is not None or own_by_arn)
        found = self._bases[key] = _Base(requests, tuple(flat), tuple(slices), tuple(too_large),
                                         any(too_large) or any(a == b for a, b in slices), resourced,
                                         tuple(i for i, _ in flat), tuple(r for _, r in flat))
        return found

    def _policy_splits(self, policy: CompiledPolicy, task: Task) -> frozenset[int]:
        """The requirements of a task whose resources a policy's elements may split (kept per policy)."""
        key = (policy, task.name)
        found = self._splits.get(key)
        if found is None:
            alone = self._alone.get(policy)
            if alone is None:
                alone = self._alone[policy] = PolicySet(identity=(policy,))
            requests = self.requests(task, self.principal)
            found = frozenset(i for i, r in enumerate(requests)
                              if r.resource_match is not None and self._scope.splits(alone, r))
            if len(self._splits) >= _PLANS_LIMIT * 4:
                self._splits.clear()
            self._splits[key] = found
        return found

    def _set_for(self, base: PolicySet, task: Task, requirement: Requirement) -> PolicySet:
        """The policy set a requirement is decided under: the principal's, with the resource policy the
        requirement's resources have (the caller's own, by name or ARN, else the catalog's)."""
        name = None
        compiled = None
        if requirement.resource_policy is not None and requirement.resource_policy in self._own_rps:
            name = requirement.resource_policy
            compiled = self._own_rps[name]
        else:
            for own, policy in self._own_rps.items():
                if own.startswith("arn:") or own == "*":
                    if self._within(requirement, own):
                        name, compiled = own, policy
                        break
        if compiled is None and requirement.resource_policy is not None:
            name = requirement.resource_policy
            key = (task.name, name)
            compiled = self._rp_compiled.get(key)
            if compiled is None:
                compiled = self._rp_compiled[key] = self._compiler.compile(
                    parse_policy(cast(PolicyInput, task.resource_policies[name]), name=name), "resource")
        if compiled is None or name is None:
            return base
        found = self._with_rp.get((base, name))
        if found is None:
            found = self._with_rp[(base, name)] = dataclasses.replace(base, resource=compiled)
        return found

    def _within(self, requirement: Requirement, arn_pattern: str) -> bool:
        if requirement.resource == "*":
            return arn_pattern == "*"
        return self._scope.relation(requirement.resource, (arn_pattern,)) == COVERS

    # ----- explaining -----

    def _explain(self, task: Task, plan: _Plan, results: Sequence[Result]
                 ) -> tuple[tuple[RequirementResult, ...], dict[str, Any] | None]:
        """The per-requirement answers, with what blocks verified by adding the suggested grant."""
        answers = [self._answer(task, plan, results, i) for i in range(len(task.requirements))]
        failing = [i for i, a in enumerate(answers) if not a.allowed]
        if not failing:
            return tuple(answers), None
        grant = suggest(task, (task.requirements[i] for i in failing))
        assert grant is not None
        fixed_results = self._decide_with(grant, plan, failing)
        fixable = []
        for i in failing:
            refused = self._refused(plan, i, fixed_results[i]) if not plan.too_large[i] else answers[i].result
            if refused is not None:
                answers[i] = dataclasses.replace(answers[i], blocked_by=_blockers_of(refused))
            else:
                fixable.append(i)
        suggestion = suggest(task, (task.requirements[i] for i in fixable))
        return tuple(answers), suggestion

    def _answer(self, task: Task, plan: _Plan, results: Sequence[Result], i: int) -> RequirementResult:
        requirement = task.requirements[i]
        request = plan.requests[i]
        start, end = plan.slices[i]
        if request.resource_match is None:
            return RequirementResult(requirement, request, results[start])
        if plan.too_large[i]:
            from qiam.scope import _too_large

            found = _too_large(plan.sets[i], request)
        else:
            decided = [(pair[1].resource, result) for pair, result in zip(plan.pairs[start:end], results[start:end],
                                                                          strict=True)]
            found = summarize(request, decided, plan.sets[i])
        return RequirementResult(requirement, request, found.result, found.scope, found.patterns, found.carving,
                                 considered=found.considered)

    def _refused(self, plan: _Plan, i: int, results: Sequence[Result]) -> Result | None:
        """The Result of a resource where requirement ``i`` is still refused, given its witnesses' results;
        None when it is allowed (on every resource that counts, for a pattern)."""
        request = plan.requests[i]
        if request.resource_match is None:
            return None if results[0].allowed else results[0]
        start, end = plan.slices[i]
        decided = [(pair[1].resource, r) for pair, r in zip(plan.pairs[start:end], results, strict=True)]
        found = summarize(request, decided, plan.sets[i])
        return None if found.allowed else found.result

    def _decide_with(self, grant: dict[str, Any], plan: _Plan, which: list[int]) -> dict[int, list[Result]]:
        """The failing requirements' witnesses decided again with ``grant`` among the identity policies."""
        text = kept_dumps(grant)
        fix = self._suggestions.get(text)
        if fix is None:  # (many principals lack the same permissions: one suggestion, compiled once)
            fix = self._suggestions[text] = self._compiler.compile(text, "identity", name="suggestion")
        pairs: list[tuple[PolicySet, Request]] = []
        spans: dict[int, tuple[int, int]] = {}
        fixed_sets: dict[PolicySet, PolicySet] = {}
        for i in which:
            base = plan.sets[i]
            fixed = fixed_sets.get(base)
            if fixed is None:  # (the requirements of a task share one or two policy sets)
                fixed = fixed_sets[base] = dataclasses.replace(base, identity=(*base.identity, fix))
            start, end = plan.slices[i]
            spans[i] = (len(pairs), len(pairs) + end - start)
            pairs.extend((fixed, request) for _, request in plan.pairs[start:end])
        results = results_of_pairs(pairs)
        return {i: results[a:b] for i, (a, b) in spans.items()}


def _blockers_of(result: Result) -> tuple[StatementRef | str, ...]:
    """What refuses a request that an identity Allow does not get past."""
    if result.decision is Decision.EXPLICIT_DENY:
        return result.matched
    reasons = tuple(r for r in result.reasons if r not in ("no_allow", "cross_account_principal_side"))
    return reasons or result.reasons


def check(policies: Policies, task: str | Task, *, account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION,
          partition: str = DEFAULT_PARTITION, principal: str | None = None,
          context: Mapping[str, object] | None = None, names: Mapping[str, str] | None = None,
          environment: Environment | None = None, derive_context: bool = True,
          resource_policies: Mapping[str, PolicyInput | CompiledPolicy] | None = None,
          catalog: TaskCatalog | None = None) -> TaskResult:
    """Whether policies allow an administrative task.

    Parameters
    ----------
    policies : PolicySet or iterable of policies
        A compiled policy set (identity, boundary, session, SCP and RCP levels,
        resource policy), or the principal's identity policies (text, mapping,
        Policy or CompiledPolicy). ARN placeholders such as ``region`` and
        ``account-id`` are filled with ``region`` and ``account``.
    task : str or Task
        A task name of the catalog (``qiam tasks --list``).
    account, region, partition : str
        Where the task is done.
    principal : str, optional
        Who does it: a user, role or role-session ARN (see ``Checker``).
    context, names, environment, derive_context, resource_policies
        See ``Checker``.
    catalog : TaskCatalog, optional
        The tasks (default: the bundled Amazon Q Developer administrator tasks).

    Returns
    -------
    TaskResult
        ``.allowed``; ``.requirements``; ``.missing_actions``; ``.blocked`` and
        ``.blockers`` (what an Allow cannot fix); ``.suggestion()`` (the smallest grant).

    Examples
    --------
    >>> admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    >>> check([admin], "plugins").allowed
    True
    """
    checker = Checker(catalog, account=account, region=region, partition=partition, principal=principal,
                      context=context, names=names, environment=environment, derive_context=derive_context,
                      resource_policies=resource_policies)
    return checker.check(policies, task)


def check_many(policy_sets: Mapping[str, Policies], tasks: Sequence[str] | None = None, *,
               account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION, partition: str = DEFAULT_PARTITION,
               principals: Mapping[str, str] | None = None, catalog: TaskCatalog | None = None,
               derive_context: bool = True) -> dict[str, dict[str, TaskResult]]:
    """Many principals' policies against many tasks, each policy compiled once, in one batch (see ``check``)."""
    checker = Checker(catalog, account=account, region=region, partition=partition, derive_context=derive_context)
    return checker.check_many(policy_sets, tasks, principals=principals)
