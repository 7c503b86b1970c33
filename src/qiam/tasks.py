"""The task layer: "is this administrative task allowed by these policies?".

A task is a named set of required permissions, each written in the request
language of ``qiam check`` (``iam:PassRole on arn:${partition}:iam::${account}:role/R
with iam:PassedToService=q.amazonaws.com``). Task catalogs are data (JSON);
the bundled one holds the Amazon Q Developer administrator tasks of the AWS
documentation. Wildcard actions stand for the real actions the action catalog
knows (``kms:GenerateDataKey*`` is four requirements); actions the catalog does
not know are left out and reported. A requirement without ``on`` gets the
resource the real call carries, from the catalog's ARN template for the
action's resource type (``*`` for actions without one).

The answer says allowed or not, which permissions are missing, what blocks
those an Allow cannot fix (an explicit Deny, a boundary, an SCP level), and the
smallest statements that would grant the rest.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import orjson

from qiam.compile import CompiledPolicy, Compiler
from qiam.errors import QiamError
from qiam.evaluate import Decision, PolicySet, Result, StatementRef
from qiam.model import Policy
from qiam.parse import PolicyInput, parse_policy
from qiam.reqlang import parse_expression
from qiam.request import Request

FORMAT = 1
DEFAULT_ACCOUNT = "111122223333"
DEFAULT_REGION = "us-east-1"
DEFAULT_PARTITION = "aws"

_NAME = re.compile(r"\$\{([A-Za-z][A-Za-z0-9_-]*)\}")


class TaskCatalogError(QiamError, ValueError):
    """A task catalog that cannot be read or used."""

    default_code = "invalid-task-catalog"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One permission a task needs: a request that must be allowed."""

    action: str
    resource: str
    context: Mapping[str, str | tuple[str, ...]]
    written: str  # the catalog's line, templates filled
    resource_policy: str | None = None  # the name of a resource policy the task assumes

    def request(self, principal: str, account: str) -> Request:
        """The request to evaluate."""
        return Request(self.action, self.resource, principal=principal, context=self.context,
                       resource_account=account)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "action": self.action,
            "resource": self.resource,
            "context": {k: list(v) if isinstance(v, tuple) else v for k, v in self.context.items()},
            "resource_policy": self.resource_policy,
        }


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
    resource_policies: Mapping[str, Any] = field(default_factory=dict)


class TaskCatalog:
    """Task definitions, read from JSON (see ``docs`` in the README: the task catalog format)."""

    def __init__(self, data: Mapping[str, Any], *, name: str = "<tasks>") -> None:
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise TaskCatalogError(f"{name}: a task catalog is an object with \"format\": {FORMAT}")
        tasks = data.get("tasks")
        if not isinstance(tasks, list) or not tasks:
            raise TaskCatalogError(f"{name}: `tasks` must be a non-empty list")
        self.name = name
        self.names: dict[str, str] = dict(data.get("names", {}))
        self.resource_policies: dict[str, Any] = dict(data.get("resource_policies", {}))
        self._tasks: dict[str, Mapping[str, Any]] = {}
        for i, task in enumerate(tasks):
            if not isinstance(task, Mapping) or not isinstance(task.get("name"), str):
                raise TaskCatalogError(f"{name}: task {i} needs a `name`")
            requirements = task.get("requirements")
            if not isinstance(requirements, list) or not requirements:
                raise TaskCatalogError(f"{name}: task `{task['name']}` needs a list of `requirements`")
            self._tasks[task["name"]] = task
        self._resolved: dict[tuple[str, str, str, str], Task] = {}

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
        except (OSError, orjson.JSONDecodeError) as exc:
            raise TaskCatalogError(f"cannot read task catalog {path}: {exc}") from None
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
             partition: str = DEFAULT_PARTITION) -> Task:
        """The task ``name`` with its requirements for an account, region and partition."""
        key = (name, account, region, partition)
        found = self._resolved.get(key)
        if found is None:
            if name not in self._tasks:
                raise TaskCatalogError(f"no task `{name}`; tasks: {', '.join(self._tasks)}",
                                       code="unknown-task")
            found = self._resolve(self._tasks[name], account, region, partition)
            self._resolved[key] = found
        return found

    def _resolve(self, spec: Mapping[str, Any], account: str, region: str, partition: str) -> Task:
        from qiam.catalog import load_catalog

        catalog = load_catalog()
        names = {**self.names, **spec.get("names", {}), "partition": partition, "account": account,
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
            explicit = "*" if parsed.resource == "*" and not _names_resource(filled) else parsed.resource
            for info in sorted(actions, key=lambda a: a.action.lower()):
                resources = [explicit] if _names_resource(filled) else _resources_of(info, names, catalog)
                for resource in resources:
                    requirements.append(Requirement(info.action, resource, _context(parsed.context),
                                                    filled, policy))
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


def _resources_of(info: Any, names: Mapping[str, str], catalog: Any) -> list[str]:
    """The resources the real call carries: one per required resource type (or the first type)."""
    service = catalog.service(info.service)
    types = [r for r in info.resource_types if r.required] or list(info.resource_types[:1])
    out = []
    for requirement in types:
        known = None
        if service is not None:
            known = service.resource_types.get(requirement.name) or next(
                (t for n, t in service.resource_types.items() if n.lower() == requirement.name.lower()), None)
        if known is None or not known.arn:
            out.append("*")
            continue
        folded = {k.lower(): v for k, v in names.items()}

        def one(match: re.Match[str]) -> str:
            name = match.group(0)[2:-1]
            return folded.get(name.lower(), f"example-{name.lower()}")

        out.append(re.sub(r"\$\{[^}]*\}", one, known.arn))
    return out or ["*"]


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


def fill_placeholders(document: Any, *, account: str, region: str) -> Any:
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


def has_placeholders(document: Any) -> bool:
    """Whether a policy holds ARN placeholders that ``fill_placeholders`` would fill."""
    return bool(fill_placeholders(document, account="\0", region="\0") != document)


# ----- the answer -----

# Reasons of an implicit deny that an identity Allow cannot fix.
_BLOCKING = ("boundary", "session_policy", "scp[", "rcp[", "aws-owned-resource", "cross_partition",
             "federated_user_without_session_policy", "cross_account_resource_side")


@dataclass(frozen=True, slots=True)
class RequirementResult:
    """One requirement and its decision."""

    requirement: Requirement
    result: Result

    @property
    def allowed(self) -> bool:
        """Whether the requirement is allowed."""
        return self.result.allowed

    @property
    def blocked(self) -> bool:
        """Whether something an Allow cannot fix stands in the way."""
        if self.result.decision is Decision.EXPLICIT_DENY:
            return True
        if self.result.decision is Decision.ALLOW:
            return False
        reasons = self.result.reasons
        if "resource_policy_required" in reasons and self.requirement.resource_policy is None:
            return True
        return any(r.startswith(_BLOCKING) for r in reasons)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        out = self.requirement.to_dict()
        out["decision"] = self.result.decision.value
        out["reasons"] = list(self.result.reasons)
        out["matched"] = [m.to_dict() for m in self.result.matched]
        return out


@dataclass(frozen=True, slots=True)
class TaskResult:
    """Whether a task is allowed, and if not, what is missing and what blocks."""

    task: Task
    requirements: tuple[RequirementResult, ...]

    @property
    def allowed(self) -> bool:
        """Whether every requirement is allowed."""
        return all(r.allowed for r in self.requirements)

    @property
    def missing(self) -> tuple[RequirementResult, ...]:
        """Requirements an Allow statement would grant."""
        return tuple(r for r in self.requirements if not r.allowed and not r.blocked)

    @property
    def blocked(self) -> tuple[RequirementResult, ...]:
        """Requirements that an explicit Deny, a boundary, an SCP or RCP level (...) stands in the way of."""
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
            if r.result.decision is Decision.EXPLICIT_DENY:
                found.update(dict.fromkeys(r.result.matched))
            else:
                found.update(dict.fromkeys(x for x in r.result.reasons if x.startswith(_BLOCKING)
                                           or x == "resource_policy_required"))
        return tuple(found)

    def suggestion(self) -> dict[str, Any] | None:
        """The smallest policy that grants the missing requirements, or None if nothing is missing.

        One statement per set of conditions and actions, naming exactly the
        resources the requirements need, with the request's context as conditions.
        """
        missing = self.missing
        if not missing:
            return None
        by_resource: dict[tuple[Any, str], set[str]] = {}
        for r in missing:
            req = r.requirement
            by_resource.setdefault((_condition_key(req.context), req.resource), set()).add(req.action)
        grouped: dict[tuple[Any, tuple[str, ...]], list[str]] = {}
        for (condition, resource), action_set in by_resource.items():
            grouped.setdefault((condition, tuple(sorted(action_set))), []).append(resource)
        statements = []
        for n, ((condition, actions), resources) in enumerate(sorted(grouped.items(), key=str), 1):
            statement: dict[str, Any] = {
                "Sid": f"Grant{_sid(self.task.name)}{n}",
                "Effect": "Allow",
                "Action": list(actions) if len(actions) > 1 else actions[0],
                "Resource": sorted(resources) if len(resources) > 1 else resources[0],
            }
            if condition:
                statement["Condition"] = _condition_of(condition)
            statements.append(statement)
        return {"Version": "2012-10-17", "Statement": statements}

    def to_dict(self) -> dict[str, Any]:
        """JSON form, as ``qiam tasks --json`` prints it."""
        return {
            "task": self.task.name,
            "title": self.task.title,
            "allowed": self.allowed,
            "missing_actions": list(self.missing_actions),
            "blocked": [r.to_dict() for r in self.blocked],
            "blockers": [b.to_dict() if isinstance(b, StatementRef) else b for b in self.blockers],
            "suggestion": self.suggestion(),
            "dropped": [{"requirement": d.written, "reason": d.reason} for d in self.task.dropped],
            "requirements": [r.to_dict() for r in self.requirements],
        }


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


class Checker:
    """Checks tasks against policy sets; each policy is compiled once, however many tasks use it."""

    def __init__(self, catalog: TaskCatalog | None = None, *, account: str = DEFAULT_ACCOUNT,
                 region: str = DEFAULT_REGION, partition: str = DEFAULT_PARTITION,
                 principal: str | None = None) -> None:
        self.catalog = catalog or TaskCatalog.bundled()
        self.account = account
        self.region = region
        self.partition = partition
        self.principal = principal or f"arn:{partition}:iam::{account}:user/qiam-task-check"
        self._compiled: dict[int, tuple[Any, CompiledPolicy]] = {}
        self._compiler = Compiler()
        self._resource_policies: dict[tuple[str, str], CompiledPolicy] = {}

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

    def check(self, policies: Policies, task: str | Task) -> TaskResult:
        """Whether the policies allow the task."""
        resolved = task if isinstance(task, Task) else self.catalog.task(
            task, account=self.account, region=self.region, partition=self.partition)
        base = self.policy_set(policies)
        with_rp: dict[str, PolicySet] = {}
        results = []
        for requirement in resolved.requirements:
            pset = base
            if requirement.resource_policy is not None:
                pset = with_rp.get(requirement.resource_policy) or self._with_resource_policy(
                    base, resolved, requirement.resource_policy)
                with_rp[requirement.resource_policy] = pset
            results.append(RequirementResult(requirement, pset.evaluate(
                requirement.request(self.principal, self.account))))
        return TaskResult(resolved, tuple(results))

    def _with_resource_policy(self, base: PolicySet, task: Task, name: str) -> PolicySet:
        key = (task.name, name)
        compiled = self._resource_policies.get(key)
        if compiled is None:
            compiled = self._compiler.compile(parse_policy(task.resource_policies[name], name=name), "resource")
            self._resource_policies[key] = compiled
        return PolicySet(identity=base.identity, resource=compiled, boundary=base.boundary,
                         session=base.session, scps=base.scps, rcps=base.rcps)

    def check_many(self, policy_sets: Mapping[str, Policies], tasks: Sequence[str] | None = None
                   ) -> dict[str, dict[str, TaskResult]]:
        """Every task against every principal's policies: ``{set name: {task name: result}}``."""
        names = list(tasks) if tasks is not None else list(self.catalog)
        return {label: {name: self.check(policies, name) for name in names}
                for label, policies in policy_sets.items()}


def check(policies: Policies, task: str | Task, *, account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION,
          partition: str = DEFAULT_PARTITION, principal: str | None = None,
          catalog: TaskCatalog | None = None) -> TaskResult:
    """Whether policies allow an administrative task.

    Parameters
    ----------
    policies : PolicySet or iterable of policies
        A compiled policy set, or the principal's identity policies (text,
        mapping, Policy or CompiledPolicy). ARN placeholders such as
        ``region`` and ``account-id`` are filled with ``region`` and ``account``.
    task : str or Task
        A task name of the catalog (``qiam tasks --list``).
    account, region, partition : str
        Where the task is done: they fill the requirements' templates.
    principal : str, optional
        Who does it (default: an IAM user of the account).
    catalog : TaskCatalog, optional
        The tasks (default: the bundled Amazon Q Developer administrator tasks).

    Returns
    -------
    TaskResult
        ``.allowed``; ``.missing_actions``; ``.blocked`` and ``.blockers`` (what
        an Allow cannot fix); ``.suggestion()`` (the smallest grant).

    Examples
    --------
    >>> admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    >>> check([admin], "plugins").allowed
    True
    """
    checker = Checker(catalog, account=account, region=region, partition=partition, principal=principal)
    return checker.check(policies, task)


def check_many(policy_sets: Mapping[str, Policies], tasks: Sequence[str] | None = None, *,
               account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION, partition: str = DEFAULT_PARTITION,
               catalog: TaskCatalog | None = None) -> dict[str, dict[str, TaskResult]]:
    """Many principals' policies against many tasks, each policy compiled once (see ``check``)."""
    checker = Checker(catalog, account=account, region=region, partition=partition)
    return checker.check_many(policy_sets, tasks)
