"""Expectation files: permission regression tests as data (docs/ci.md), run by ``qiam test`` and pytest.

A file (YAML or JSON) names its policies (policy files and globs, CloudFormation
templates, Terraform plans, inventories) and lists expectations of four forms:

- a request and its decision: ``request`` with ``decision`` or ``allowed``;
- a principal and a task: ``task`` (with ``allowed``, default true);
- ``never``: action patterns that must not be allowed, optionally ``on`` resource patterns;
- a principal and an action and the exact set of inventory ``resources`` it is allowed on.

``read(path)`` checks the whole file before anything runs: an unknown key, a bad
request expression, a missing policy file or an unknown principal or task is an
``ExpectationError`` with the file's line and column, never a silent pass. The
JSON Schema of the format is ``qiam/data/expectations.schema.json``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import TYPE_CHECKING

import orjson

from qiam._source import Source
from qiam.errors import Path, QiamError

if TYPE_CHECKING:
    from qiam.context import Environment
    from qiam.inventory import Inventory
    from qiam.queries import Asker
    from qiam.reqlang import ParsedExpression
    from qiam.testing import Subject

__all__ = ["Check", "Expectation", "ExpectationError", "Suite", "is_expectation_file", "read"]

FILE_KEYS = {"policies", "parameters", "context", "expect"}
POLICY_KEYS = {"files", "boundary", "scps", "resource_policy", "templates", "plans", "inventory"}
COMMON_KEYS = {"name", "principal", "context"}
FORMS: dict[str, tuple[set[str], set[str]]] = {  # form -> (required keys, optional keys)
    "request": ({"request"}, {"decision", "allowed"}),
    "task": ({"task"}, {"allowed", "account", "region"}),
    "never": ({"never"}, {"on"}),
    "resources": ({"action", "resources"}, set()),
}
DECISIONS = ("allowed", "explicitDeny", "implicitDeny")


class ExpectationError(QiamError, ValueError):
    """A mistake in an expectation file, with its line and column."""

    default_code = "expectation-invalid"

    def __init__(self, message: str, *, path: str, line: int | None, column: int | None,
                 code: str | None = None, hint: str | None = None) -> None:
        self.path = path
        self.line = line
        self.column = column
        where = f"{path}:{line}:{column}" if line is not None else path
        super().__init__(f"{where}: {message}", code=code, hint=hint)


def is_expectation_file(path: FsPath) -> bool:
    """``iam-tests/*.yaml`` (``.yml``, ``.json``), or ``*.iam.yaml`` / ``*.iam.yml`` / ``*.iam.json``."""
    name = path.name.lower()
    if name.endswith((".iam.yaml", ".iam.yml", ".iam.json")):
        return True
    return path.parent.name == "iam-tests" and name.endswith((".yaml", ".yml", ".json"))


@dataclass(frozen=True, slots=True)
class Check:
    """An expectation's result: whether it holds, and the explanation."""

    passed: bool
    message: str


@dataclass(frozen=True, slots=True)
class Expectation:
    """One expectation of a file, with its place there."""

    suite: Suite
    index: int
    form: str
    spec: Mapping[str, object]
    name: str
    line: int
    column: int
    parsed: ParsedExpression | None = None  # a request's expression, read once

    def run(self) -> Check:
        """Decide it now."""
        return self.suite.run(self)


@dataclass(eq=False)
class Suite:
    """An expectation file, read and checked, with its policies loaded once."""

    path: str
    source: Source
    document: Mapping[str, object]
    expectations: list[Expectation] = field(default_factory=list)
    _subjects: dict[str, Subject] = field(default_factory=dict)
    _asker: Asker | None = None
    inventory: Inventory | None = None
    policies: Subject | None = None

    def where(self, path: Path, *, key: bool = False) -> tuple[int | None, int | None]:
        found = self.source.position(path, key=key)
        return (found[0], found[1]) if found else (None, None)

    def error(self, message: str, path: Path, *, key: bool = False, hint: str | None = None,
              code: str | None = None, column_offset: int = 0) -> ExpectationError:
        line, column = self.where(path, key=key)
        if column is not None:
            column += column_offset
        return ExpectationError(message, path=self.path, line=line, column=column, hint=hint, code=code)

    def subject(self, principal: str | None) -> Subject:
        from qiam import testing

        if principal is None:
            if self.policies is None:
                assert self.inventory is not None
                raise ValueError("no principal")
            return self.policies
        found = self._subjects.get(principal)
        if found is None:
            assert self.inventory is not None
            if self._asker is None:
                from qiam.queries import Asker

                environment, context = _environment(self.document)
                self._asker = Asker(self.inventory, environment=environment, context=context)
            found = self._subjects[principal] = testing.principal(self.inventory, principal, asker=self._asker)
        return found

    def run(self, expectation: Expectation) -> Check:
        from qiam import testing

        spec = expectation.spec
        subject = self.subject(_str(spec.get("principal")))
        extra = spec.get("context")
        context = dict(extra) if isinstance(extra, Mapping) else None
        try:
            if expectation.form == "request":
                expression = expectation.parsed or str(spec["request"])
                wanted = spec.get("decision")
                if wanted == "allowed" or (wanted is None and spec.get("allowed", True) is True):
                    testing.assert_allowed(subject, expression, context=context)
                else:
                    testing.assert_denied(subject, expression, None if wanted is None else str(wanted),
                                          context=context)
            elif expectation.form == "task":
                result = testing.task_result(subject, str(spec["task"]), account=_str(spec.get("account")),
                                             region=_str(spec.get("region")))
                if result.allowed != spec.get("allowed", True):
                    raise testing.PermissionAssertionError(
                        f"expected task {spec['task']} {'allowed' if spec.get('allowed', True) else 'not allowed'}"
                        f"\n{testing.explain_task(result)}")
            elif expectation.form == "never":
                testing.assert_never_allowed(subject, _strings(spec["never"]),
                                             None if spec.get("on") is None else _strings(spec["on"]))
            else:
                testing.assert_resources(subject, str(spec["action"]), _strings(spec["resources"]))
        except testing.PermissionAssertionError as exc:
            return Check(False, f"{self.path}:{expectation.line}:{expectation.column}: {expectation.name}\n{exc}")
        return Check(True, "")


def read(path: str | os.PathLike[str]) -> Suite:
    """Read and check an expectation file, and load its policies; raises ExpectationError."""
    file = FsPath(path)
    shown = str(path)
    try:
        data = file.read_bytes()
        text = data.decode("utf-8")
    except OSError as exc:
        raise ExpectationError(f"cannot read: {exc.strerror or exc}", path=shown, line=None, column=None,
                               code="unreadable-file") from None
    except UnicodeDecodeError as exc:
        raise ExpectationError(f"not UTF-8 (byte {exc.start})", path=shown, line=None, column=None) from None
    document: object
    if file.suffix.lower() == ".json":
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise ExpectationError(f"not JSON: {exc.msg}", path=shown, line=exc.lineno, column=exc.colno
                                   ) from None
        source = Source(shown, text)
    else:
        from qiam.iac._yaml import YamlError, read_yaml

        try:
            positioned = read_yaml(text, intrinsic_tags=False)
        except YamlError as err:
            raise ExpectationError(str(err), path=shown, line=err.line, column=err.column) from None
        document = positioned.value
        source = Source.positioned(shown, text, positioned.values, positioned.keys)
    if not isinstance(document, Mapping):
        raise ExpectationError("an expectation file is a mapping with `expect`", path=shown, line=1, column=1,
                               hint="see docs/ci.md")
    suite = Suite(shown, source, document)
    _check_file(suite)
    _load_policies(suite, file.parent)
    _read_expectations(suite)
    return suite


def _check_file(suite: Suite) -> None:
    doc = suite.document
    for key in doc:
        if key not in FILE_KEYS:
            raise suite.error(f"unknown key `{key}`", (key,), key=True,
                              hint=f"the keys are {', '.join(sorted(FILE_KEYS))}")
    if "expect" not in doc:
        raise suite.error("no `expect` list", (), hint="expect: a list of expectations (docs/ci.md)")
    for key in ("parameters", "context"):
        value = doc.get(key)
        if value is not None and not isinstance(value, Mapping):
            raise suite.error(f"`{key}` is a mapping", (key,))
        for name, item in (value or {}).items():
            ok = isinstance(item, str) or (key == "context" and isinstance(item, list)
                                           and all(isinstance(i, str) for i in item))
            if not ok:
                raise suite.error(f"`{key}.{name}` is a string" + (" or a list of strings" if key == "context"
                                                                  else ""), (key, name))
    policies = doc.get("policies")
    if policies is None:
        raise suite.error("no `policies`: name the policy files, templates, plans or inventory", (),
                          hint=f"policies: a mapping of {', '.join(sorted(POLICY_KEYS))}")
    if not isinstance(policies, Mapping):
        raise suite.error("`policies` is a mapping", ("policies",))
    for key, value in policies.items():
        if key not in POLICY_KEYS:
            raise suite.error(f"unknown key `policies.{key}`", ("policies", key), key=True,
                              hint=f"the keys are {', '.join(sorted(POLICY_KEYS))}")
        if key == "scps":
            levels = value if isinstance(value, list) else None
            if levels is None or not all(isinstance(v, str) or (isinstance(v, list) and all(
                    isinstance(x, str) for x in v)) for v in levels):
                raise suite.error("`policies.scps` is a list of levels, root first: each a file or a list of files",
                                  ("policies", key))
        elif key in ("boundary", "resource_policy"):
            if not isinstance(value, str):
                raise suite.error(f"`policies.{key}` is one file", ("policies", key))
        elif not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
            raise suite.error(f"`policies.{key}` is a file or glob, or a list of them", ("policies", key))
    expect = doc["expect"]
    if not isinstance(expect, list) or not expect:
        raise suite.error("`expect` is a non-empty list of expectations", ("expect",))


def _load_policies(suite: Suite, base: FsPath) -> None:
    from qiam import testing

    policies = suite.document["policies"]
    assert isinstance(policies, Mapping)

    def paths(key: str, value: object, at: Path) -> list[FsPath]:
        found: list[FsPath] = []
        for i, entry in enumerate(_strings(value)):
            try:
                found.extend(testing.expand_paths([entry], base))
            except FileNotFoundError as exc:
                raise suite.error(f"`policies.{key}`: {exc}", (*at, i) if isinstance(value, list) else at,
                                  code="unreadable-file", hint="paths are relative to the expectation file") from None
        return found

    inventory_paths: list[FsPath] = []
    for key in ("templates", "plans", "inventory"):
        if key in policies:
            inventory_paths.extend(paths(key, policies[key], ("policies", key)))
    parameters = suite.document.get("parameters")
    if inventory_paths:
        given = {str(k): str(v) for k, v in parameters.items()} if isinstance(parameters, Mapping) else {}
        suite.inventory = _inventory(tuple(inventory_paths), given)
        errors = [d for d in suite.inventory.diagnostics if d.severity.value == "error"
                  and d.code in ("iac-unreadable", "inventory-unreadable")]
        if errors:
            raise suite.error(f"`policies`: {errors[0].location.render()}: {errors[0].message}", ("policies",),
                              code=errors[0].code)
    if any(k in policies for k in ("files", "boundary", "scps", "resource_policy")):
        environment, context = _environment(suite.document)
        try:
            suite.policies = testing.policies(
                paths("files", policies.get("files", []), ("policies", "files")),
                boundary=paths("boundary", policies["boundary"], ("policies", "boundary"))[0]
                if "boundary" in policies else None,
                scps=[paths("scps", level, ("policies", "scps", i)) for i, level in enumerate(policies["scps"])]
                if isinstance(policies.get("scps"), list) else None,
                resource=paths("resource_policy", policies["resource_policy"], ("policies", "resource_policy"))[0]
                if "resource_policy" in policies else None,
                environment=environment, context=context)
        except ExpectationError:
            raise
        except QiamError as exc:
            raise suite.error(f"`policies`: {exc.message}", ("policies",), code=exc.code, hint=exc.hint) from None


# Inventories read for files in one process, by (paths, parameters): a session compiles each once.
_INVENTORIES: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], Inventory] = {}


def _inventory(paths: tuple[FsPath, ...], parameters: Mapping[str, str]) -> Inventory:
    from qiam import inventory

    key = (tuple(str(p.resolve()) for p in paths), tuple(sorted(parameters.items())))
    found = _INVENTORIES.get(key)
    if found is None:
        found = _INVENTORIES[key] = inventory.load(paths, parameters=parameters)
    return found


def _environment(document: Mapping[str, object]) -> tuple[Environment, dict[str, object] | None]:
    from qiam.context import Environment

    parameters = document.get("parameters")
    region = parameters.get("AWS::Region") if isinstance(parameters, Mapping) else None
    context = document.get("context")
    return Environment(region=region if isinstance(region, str) else None), (
        dict(context) if isinstance(context, Mapping) else None)


def _read_expectations(suite: Suite) -> None:
    from qiam.catalog import load_catalog
    from qiam.reqlang import ExpressionError, parse_expression
    from qiam.tasks import TaskCatalog

    expect = suite.document["expect"]
    assert isinstance(expect, list)
    tasks = TaskCatalog.bundled()
    catalog = load_catalog()
    names: dict[str, int] = {}
    parsed = None
    for i, spec in enumerate(expect):
        at: Path = ("expect", i)
        if not isinstance(spec, Mapping):
            raise suite.error("an expectation is a mapping", at)
        forms = [form for form, (required, _) in FORMS.items() if required & set(spec)]
        if len(forms) != 1:
            raise suite.error("an expectation has one of `request`, `task`, `never`, or `action` with "
                              "`resources`" if not forms else f"an expectation of two forms: {' and '.join(forms)}",
                              at, hint="split it into one expectation each")
        form = forms[0]
        required, optional = FORMS[form]
        for key in spec:
            if key not in required | optional | COMMON_KEYS:
                raise suite.error(f"unknown key `{key}` in a {form} expectation", (*at, key), key=True,
                                  hint=f"a {form} expectation has "
                                       f"{', '.join(sorted(required | optional | COMMON_KEYS))}")
        for key in required:
            if key not in spec:
                raise suite.error(f"a {form} expectation needs `{key}`", at)
        for key in ("name", "principal", "request", "task", "decision", "action", "account", "region"):
            if key in spec and not isinstance(spec[key], str):
                raise suite.error(f"`{key}` is a string", (*at, key))
        if "allowed" in spec and not isinstance(spec["allowed"], bool):
            raise suite.error("`allowed` is true or false", (*at, "allowed"))
        if "context" in spec and not isinstance(spec["context"], Mapping):
            raise suite.error("`context` is a mapping of condition keys", (*at, "context"))
        principal = _str(spec.get("principal"))
        if principal is not None:
            if suite.inventory is None:
                raise suite.error("`principal` names a principal of a template, plan or inventory, and the "
                                  "file names none", (*at, "principal"),
                                  hint="add policies.templates, policies.plans or policies.inventory")
            if suite.inventory.principal(principal) is None:
                raise suite.error(f"`{principal}` is not a principal of the policies' templates or inventory",
                                  (*at, "principal"), hint="a logical id, a Terraform address, a name or an ARN")
        elif suite.policies is None and form != "never":
            raise suite.error(f"a {form} expectation without `principal` asks policies.files, and the file names "
                              "none", at, hint="name the principal, or give policies.files")
        elif suite.policies is None:
            raise suite.error("a never expectation without `principal` asks policies.files, and the file names none",
                              at)
        if form == "request":
            if "decision" in spec and "allowed" in spec:
                raise suite.error("give `decision` or `allowed`, not both", (*at, "allowed"), key=True)
            if "decision" in spec and spec["decision"] not in DECISIONS:
                raise suite.error(f"`decision` is one of {', '.join(DECISIONS)}", (*at, "decision"))
            try:
                parsed = parse_expression(str(spec["request"]))
            except ExpressionError as exc:
                raise suite.error(f"bad request expression: {exc.message}", (*at, "request"),
                                  column_offset=exc.column - 1 + _quote_width(suite, (*at, "request")),
                                  code=exc.code, hint=exc.hint) from None
        elif form == "task":
            if str(spec["task"]) not in tasks:
                raise suite.error(f"`{spec['task']}` is not a task of the catalog", (*at, "task"),
                                  hint="qiam tasks --list names them")
        elif form == "never":
            for j, pattern in enumerate(_strings(spec["never"])):
                if not catalog.expand(pattern):
                    raise suite.error(f"`{pattern}` names no action of the catalog", (*at, "never", j)
                                      if isinstance(spec["never"], list) else (*at, "never"),
                                      hint="e.g. s3:Delete*")
            if not _string_or_strings(spec["never"]) or ("on" in spec and not _string_or_strings(spec["on"])):
                raise suite.error("`never` and `on` are a pattern or a list of them", at)
        else:
            if principal is None:
                raise suite.error("the exact set of resources is asked of a `principal`", at)
            if not isinstance(spec["resources"], list) or not all(isinstance(r, str) for r in spec["resources"]):
                raise suite.error("`resources` is a list of ARNs", (*at, "resources"))
            if catalog.action(str(spec["action"])) is None:
                raise suite.error(f"`{spec['action']}` is not an action of the catalog", (*at, "action"))
        name = _str(spec.get("name")) or _name(form, spec)
        if name in names:
            names[name] += 1
            name = f"{name} #{names[name]}"
        else:
            names[name] = 1
        line, column = suite.where(at)
        suite.expectations.append(Expectation(suite, i, form, spec, name, line or 1, column or 1,
                                              parsed if form == "request" else None))


def _name(form: str, spec: Mapping[str, object]) -> str:
    """An id people can read (and ``-k`` select)."""
    who = _str(spec.get("principal")) or "policies"
    if form == "request":
        verdict = spec.get("decision") or ("allowed" if spec.get("allowed", True) else "denied")
        return f"{who}: {spec['request']} -> {verdict}"
    if form == "task":
        return f"{who}: task {spec['task']} -> {'allowed' if spec.get('allowed', True) else 'not allowed'}"
    if form == "never":
        on = f" on {', '.join(_strings(spec['on']))}" if spec.get("on") else ""
        return f"{who}: never {', '.join(_strings(spec['never']))}{on}"
    return f"{who}: {spec['action']} on exactly {len(_strings(spec['resources']))} resources"


def _quote_width(suite: Suite, path: Path) -> int:
    """1 when the value at path is written quoted (its text starts after the quote)."""
    offset = suite.source.offset(path)
    text = suite.source.text or ""
    return 1 if offset is not None and offset < len(text) and text[offset] in "'\"" else 0


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, Sequence) else []


def _string_or_strings(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and bool(value) and all(isinstance(v, str)
                                                                                      for v in value))
