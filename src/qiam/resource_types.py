"""Which resource type of the action catalog an ARN is, and which actions apply to it.

The catalog gives each resource type an ARN template
(``arn:${Partition}:s3:::${BucketName}/${ObjectName}``); an ARN is of the type
whose template it fits with the most literal text (an object ARN fits both
the bucket's template and the object's, and is an object).
"""

from __future__ import annotations

import functools
import re

from qiam.catalog import ActionInfo, load_catalog

__all__ = ["applies_to", "type_of_arn"]

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


@functools.cache
def _templates() -> dict[str, list[tuple[tuple[bool, int], re.Pattern[str], str]]]:
    """ARN service field -> (rank, pattern, ``prefix:type``), the most fitting first."""
    catalog = load_catalog()
    out: dict[str, list[tuple[tuple[bool, int], re.Pattern[str], str]]] = {}
    for prefix in sorted(catalog.prefixes):
        service = catalog.service(prefix)
        if service is None:
            continue
        for name, resource_type in service.resource_types.items():
            template = resource_type.arn
            fields = template.split(":", 5)
            if len(fields) < 6 or not fields[2] or "$" in fields[2]:
                continue
            parts = _PLACEHOLDER.split(template)
            # A placeholder is one field or path segment, but the last may hold slashes (an object key).
            # A service's own types first (events and devops-guru also name KMS keys and SNS topics).
            rank = (prefix != fields[2], -sum(len(p) for p in parts))
            out.setdefault(fields[2], []).append((rank, _compiled(template), f"{prefix}:{name}"))
    for entries in out.values():
        entries.sort(key=lambda e: e[0])
    return out


@functools.lru_cache(maxsize=65536)
def type_of_arn(arn: str) -> str | None:
    """The catalog's ``prefix:type`` of an ARN (``s3:bucket``, ``kms:key``, ``iam:role``), or None."""
    fields = arn.split(":", 5)
    if len(fields) < 6 or fields[0] != "arn":
        return None
    for _, pattern, name in _templates().get(fields[2], ()):
        if pattern.fullmatch(arn):
            return name
    return None


def applies_to(action: ActionInfo, arn: str) -> bool:
    """Whether an ARN fits one of the action's resource types (``sts:AssumeRole`` fits an IAM role: each
    action's types are its own service's, with their own templates)."""
    return any(_pattern(action.service, r.name).fullmatch(arn) for r in action.resource_types)


@functools.cache
def _pattern(prefix: str, name: str) -> re.Pattern[str]:
    service = load_catalog().service(prefix)
    resource_type = service.resource_types.get(name) if service is not None else None
    if resource_type is None or not resource_type.arn:
        return re.compile(r"(?!)")  # (a type without a template fits nothing)
    return _compiled(resource_type.arn)


def _compiled(template: str) -> re.Pattern[str]:
    """A template as a pattern: a placeholder is one field or path segment, the last one may hold slashes."""
    parts = _PLACEHOLDER.split(template)
    pieces = [re.escape(parts[0])]
    for i, part in enumerate(parts[1:], start=1):
        pieces.append(".+" if i == len(parts) - 1 and not part else "[^:/]+")
        pieces.append(re.escape(part))
    return re.compile("".join(pieces))
