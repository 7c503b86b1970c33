"""The action catalog's findings, all warnings: unknown services, actions and keys, and what does not fit.

Only when asked (``validate_policy(..., catalog=...)``): the catalog is
imported then, not before.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qiam import findings, shapes
from qiam.errors import Path
from qiam.operators import FAMILY_RULES, Family, Operator, parse_operator
from qiam.validate.conditions import check_key_type
from qiam.validate.values import VARIABLE, WILDCARD

if TYPE_CHECKING:
    from qiam.catalog import ActionInfo, Catalog
    from qiam.validate.checker import _Checker

_VENDOR = shapes.VENDOR

# Prefixes shared by two API versions whose actions the catalog merges, keeping one
# version's resource types (elasticloadbalancing v1 and v2, ses v1 and v2): their
# resources cannot be judged.
_MERGED_SERVICES = frozenset({"elasticloadbalancing", "ses"})

# Which operator families suit a condition key's type (the catalog's type names), from the families' rules.
_FAMILIES_FOR_TYPE: dict[str, frozenset[Family]] = {
    key_type: frozenset(f for f, rules in FAMILY_RULES.items() if key_type in rules.suits)
    for key_type in sorted({t for rules in FAMILY_RULES.values() for t in rules.suits})
}


def check_with_catalog(checker: _Checker, catalog: Catalog) -> None:
    """Warnings from AWS's action catalog: unknown actions and keys, and what does not fit."""
    for statement in checker.policy.statements:
        _CatalogChecks(checker, catalog, statement.raw, statement.path).run()


class _CatalogChecks:
    """The catalog's findings for one statement."""

    def __init__(self, checker: _Checker, catalog: Catalog, st: Mapping[str, Any], path: Path) -> None:
        self.checker = checker
        self.catalog = catalog
        self.st = st
        self.path = path
        self.covered: list[ActionInfo] = []  # the actions the statement's Action covers
        self.any_action = False  # Action holds `*`, or an action the catalog does not know

    def run(self) -> None:
        element = "NotAction" if "NotAction" in self.st else "Action"
        for position, action in self.entries(element):
            self.check_action(action, self.path + ((element,) if position is None else (element, position)))
        if element == "NotAction":
            self.any_action = True
        condition = self.st.get("Condition")
        if isinstance(condition, Mapping):
            for op_text, body in condition.items():
                operator = parse_operator(op_text)
                if isinstance(operator, Operator) and isinstance(body, Mapping):
                    for key in body:
                        self.check_key(operator, key, self.path + ("Condition", op_text, key))
        merged = any(a.service in _MERGED_SERVICES for a in self.covered)
        if "Resource" in self.st and self.covered and not self.any_action and not merged:
            for position, resource in self.entries("Resource"):
                self.check_resource(resource, self.path + (("Resource",) if position is None
                                                           else ("Resource", position)))

    def entries(self, element: str) -> list[tuple[int | None, str]]:
        value = self.st.get(element)
        if isinstance(value, str):
            return [(None, value)]
        if isinstance(value, list):
            return [(i, v) for i, v in enumerate(value) if isinstance(v, str)]
        return []

    def actions(self) -> list[str]:
        """The names of the actions the statement covers, sorted."""
        return sorted({a.action for a in self.covered})

    def check_action(self, action: str, path: Path) -> None:
        catalog, add = self.catalog, self.checker.add
        if action == "*":
            self.any_action = True
            return
        vendor, colon, name = action.partition(":")
        if not colon or ":" in name or not _VENDOR.fullmatch(vendor):
            self.any_action = True
            return  # the grammar checks reported it
        if vendor.lower() not in catalog.prefixes:
            self.any_action = True
            add(findings.unknown_service(vendor, catalog.suggest_service(vendor)), path)
            return
        found = catalog.expand(action)
        if found:
            self.covered.extend(found)
            return
        self.any_action = True
        if "*" in name or "?" in name:
            add(findings.no_matching_action(action, vendor), path)
        else:
            add(findings.unknown_action(action, catalog.suggest_action(action)), path)

    def check_key(self, operator: Operator, key: str, path: Path) -> None:
        catalog, add = self.catalog, self.checker.add
        key_type = catalog.key_type(key)
        prefix = key.partition(":")[0].lower()
        if key_type is None:
            if prefix != "aws" and prefix in catalog.prefixes:
                add(findings.unknown_condition_key(key, prefix), path, key=True)
            return
        if prefix != "aws":
            check_key_type(self.checker, operator, key, path, key_type)
        family = operator.spec.family
        suited = _FAMILIES_FOR_TYPE.get(key_type.type.removeprefix("ArrayOf"))
        if family is not Family.NULL and suited is not None and family not in suited:
            add(findings.operator_key_mismatch(operator.spec.name, key, key_type.type), path, key=True)
        # A key of another service than the actions' is context the caller brings
        # (lambda:SourceFunctionArn, ec2:SourceInstanceARN): any action may see it.
        if prefix in {a.service for a in self.covered} and not self.any_action:
            supported = {k.lower() for k in catalog.supported_keys(self.covered)}
            if not any(_key_fits(key, k) for k in supported):
                add(findings.unsupported_condition_key(key, self.actions()), path, key=True)

    def check_resource(self, resource: str, path: Path) -> None:
        if resource == "*" or resource.count(":") < 5:
            return
        add = self.checker.add
        if all(a.star_only for a in self.covered):
            add(findings.resource_star_only(self.actions(), resource), path)
            return
        for info in self.covered:
            service = self.catalog.service(info.service)
            for requirement in info.resource_types:
                known = service.resource_types.get(requirement.name) if service else None
                if known is None or _arn_fits(resource, known.arn):
                    return
        if any(a.star_only for a in self.covered):
            return
        add(findings.resource_type_mismatch(resource), path)


def _key_fits(key: str, template: str) -> bool:
    """Whether a policy's condition key is the catalog's key (template placeholders fit anything)."""
    folded = key.lower()
    if "${" not in template and "<" not in template and not template.endswith("/tag-key"):
        return folded == template
    head = re.split(r"\$\{|<|(?<=/)tag-key$", template, maxsplit=1)[0]
    return folded.startswith(head) and len(folded) > len(head)


def _literal_head(text: str) -> str:
    """The text before the first wildcard or variable."""
    return re.split(r"[*?]|\$\{", text, maxsplit=1)[0]


def _arn_fits(resource: str, template: str) -> bool:
    """Whether a policy's resource pattern can name a resource of the template's type.

    The whole template is compared, field by field as resources match: its
    placeholders stand for any text without a ``/`` (a name), or any text at
    all where they are paths (``${ObjectName}``, ``${RoleNameWithPath}``).
    The pattern's wildcards are tried as nothing, a name and a path (up to
    four of them; past that the pattern is taken to fit), and its variables
    as a wildcard.
    """
    want = template.split(":", 5)
    if len(want) != 6:
        return True
    regex = _template_regex(template)
    text = VARIABLE.sub("*", resource)
    wildcards = len(WILDCARD.findall(text))
    if wildcards > 4:
        return True
    parts = WILDCARD.split(text)
    for choice in itertools.product(("", "x", "x/x"), repeat=wildcards):
        candidate = "".join(p + c for p, c in zip(parts, (*choice, ""), strict=True))
        if regex.fullmatch(candidate):
            return True
    return False


_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def _template_regex(template: str) -> re.Pattern[str]:
    fields = template.split(":", 5)
    out = []
    for i, field in enumerate(fields):
        pieces = []
        last = 0
        for match in _PLACEHOLDER.finditer(field):
            pieces.append(re.escape(field[last:match.start()]))
            name = match.group(1)
            if i < 5:
                pieces.append("[^:]*")
            elif "Path" in name or name in ("ObjectName", "Key", "KeyName"):
                pieces.append(".+")
            else:
                pieces.append("[^/]+")
            last = match.end()
        pieces.append(re.escape(field[last:]))
        out.append("".join(pieces))
    return re.compile(":".join(out), re.DOTALL)
