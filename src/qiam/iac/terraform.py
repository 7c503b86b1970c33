"""Terraform plan JSON (``terraform show -json PLAN``) → the principals, policies and resource policies it makes.

Read from ``planned_values`` (the root module and its child modules), with
``resource_changes`` saying which values are known only after apply and
``configuration`` saying what an unknown reference points at: a role's
``aws_iam_role.app.name``, a policy's ``aws_iam_policy.deploy.arn`` (made from
its name and path, as AWS makes it). ``aws_iam_policy_document`` data sources
come rendered in the plan as the ``policy`` strings of the resources that use
them. A policy known only after apply fails closed: what it touches is not
answered, and the plan's line and column and the resource's address say why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import cast

import orjson

from qiam._source import EmbeddedSource, Source
from qiam.errors import Location, Path, Severity
from qiam.iac import Document, Template, _Made
from qiam.iac._values import Unresolved

__all__ = ["read_plan"]

_IAM = {"aws_iam_role": "role", "aws_iam_user": "user", "aws_iam_group": "group"}


@dataclass(frozen=True, slots=True)
class _Resource:
    address: str
    type: str
    values: Mapping[str, object]
    path: Path  # of the resource in the plan
    unknown: Mapping[str, object]  # after_unknown
    expressions: Mapping[str, object]  # the configuration's


class _Plan:
    def __init__(self, plan: Mapping[str, object], source: Source, parameters: Mapping[str, object]) -> None:
        self.source = source
        self.account = str(parameters.get("AWS::AccountId") or "123456789012")
        self.region = str(parameters.get("AWS::Region") or "us-east-1")
        from qiam.iac.cloudformation import partition_of

        self.partition = str(parameters.get("AWS::Partition") or partition_of(self.region))
        unknown: dict[str, Mapping[str, object]] = {}
        for change in _list(plan.get("resource_changes")):
            if isinstance(change, Mapping) and isinstance(change.get("address"), str):
                after = _map(_map(change.get("change")).get("after_unknown"))
                unknown[str(change["address"])] = after
        expressions: dict[str, Mapping[str, object]] = {}
        configuration = _map(plan.get("configuration"))
        self._expressions(_map(configuration.get("root_module")), "", expressions)
        self.resources: dict[str, _Resource] = {}
        root = _map(_map(plan.get("planned_values")).get("root_module"))
        for resource in self._walk(root, ("planned_values", "root_module")):
            address = resource["address"]
            config_address = _strip_index(str(address))
            self.resources[str(address)] = _Resource(
                str(address), str(resource.get("type")), _map(resource.get("values")), cast(Path, resource["_path"]),
                unknown.get(str(address), {}), expressions.get(config_address, {}))

    def _walk(self, module: Mapping[str, object], path: Path) -> Iterator[dict[str, object]]:
        for i, resource in enumerate(_list(module.get("resources"))):
            if isinstance(resource, Mapping) and resource.get("mode", "managed") == "managed" \
                    and isinstance(resource.get("address"), str):
                yield {**resource, "_path": (*path, "resources", i)}
        for i, child in enumerate(_list(module.get("child_modules"))):
            if isinstance(child, Mapping):
                yield from self._walk(child, (*path, "child_modules", i))

    def _expressions(self, module: Mapping[str, object], prefix: str, out: dict[str, Mapping[str, object]]) -> None:
        for resource in _list(module.get("resources")):
            if isinstance(resource, Mapping) and isinstance(resource.get("address"), str):
                out[prefix + str(resource["address"])] = _map(resource.get("expressions"))
        for name, call in _map(module.get("module_calls")).items():
            self._expressions(_map(_map(call).get("module")), f"{prefix}module.{name}.", out)

    # ----- values -----

    def value(self, resource: _Resource, attribute: str) -> object:
        """An attribute's value: given, or through the configuration's reference, or a placeholder."""
        where = (*resource.path, "values", attribute)
        found = resource.values.get(attribute)
        if found is not None:
            return found
        module = resource.address.rsplit(resource.type + ".", 1)[0]
        for reference in _list(_map(resource.expressions.get(attribute)).get("references")):
            if not isinstance(reference, str) or reference.count(".") < 2:
                continue
            target_address, _, target_attribute = reference.rpartition(".")
            target = self.resources.get(module + target_address) or self.resources.get(target_address)
            if target is not None:
                derived = self.derived(target, target_attribute)
                if derived is not None:
                    return derived
        if resource.unknown.get(attribute) is True:
            return Unresolved(f"{resource.address}.{attribute} (known after apply)", where)
        return None

    def name(self, resource: _Resource) -> str:
        """A resource's name, or a stand-in when only a prefix is known (``name_prefix``), the same each time."""
        given = resource.values.get("name")
        if isinstance(given, str) and given:
            return given
        prefix = resource.values.get("name_prefix")
        suffix = hashlib.sha256(resource.address.encode()).hexdigest()[:26]
        return f"{prefix if isinstance(prefix, str) else 'terraform-'}{suffix}"

    def derived(self, resource: _Resource, attribute: str) -> str | None:
        """What an attribute known only after apply will be, where AWS makes it from known values."""
        kind = _IAM.get(resource.type)
        path = resource.values.get("path") if isinstance(resource.values.get("path"), str) else "/"
        if attribute in ("name", "id") and (kind is not None or resource.type == "aws_iam_policy"):
            return self.name(resource) if attribute == "name" or kind is not None else None
        if attribute == "arn" and kind is not None:
            return f"arn:{self.partition}:iam::{self.account}:{kind}{path}{self.name(resource)}"
        if attribute in ("arn", "id") and resource.type == "aws_iam_policy":
            return f"arn:{self.partition}:iam::{self.account}:policy{path}{self.name(resource)}"
        if resource.type == "aws_s3_bucket" and attribute in ("id", "bucket", "arn"):
            bucket = resource.values.get("bucket")
            if isinstance(bucket, str):
                return bucket if attribute != "arn" else f"arn:{self.partition}:s3:::{bucket}"
        if resource.type == "aws_kms_key" and attribute in ("arn", "key_id", "id"):
            key_id = self.key_id(resource)
            if attribute != "arn":
                return key_id
            return f"arn:{self.partition}:kms:{self.region}:{self.account}:key/{key_id}"
        if resource.type == "aws_sqs_queue" and attribute in ("arn", "url", "id", "name"):
            name = resource.values.get("name")
            if isinstance(name, str):
                if attribute == "arn":
                    return f"arn:{self.partition}:sqs:{self.region}:{self.account}:{name}"
                if attribute == "name":
                    return name
                return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{name}"
        if resource.type == "aws_sns_topic" and attribute in ("arn", "id"):
            name = resource.values.get("name")
            if isinstance(name, str):
                return f"arn:{self.partition}:sns:{self.region}:{self.account}:{name}"
        return None

    def key_id(self, resource: _Resource) -> str:
        given = resource.values.get("key_id")
        if isinstance(given, str) and given:
            return given
        h = hashlib.sha256(resource.address.encode()).hexdigest()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def read_plan(plan: Mapping[str, object], source: Source, parameters: Mapping[str, object]) -> Template:
    """See the module's docstring."""
    reader = _Plan(plan, source, parameters)
    out = Template(source.name or "<plan>", "terraform", reader.account, reader.region)
    by_type: dict[str, list[_Resource]] = {}
    for resource in reader.resources.values():
        by_type.setdefault(resource.type, []).append(resource)

    def where(resource: _Resource, *attribute: str | int) -> Location:
        return Location(source, (*resource.path, "values", *attribute) if attribute else resource.path)

    def document(resource: _Resource, key: str, profile: str, attribute: Path, breaks: tuple[str, ...]) -> None:
        value: object = resource.values
        for part in attribute:
            value = value.get(part) if isinstance(value, Mapping) else (
                value[part] if isinstance(value, list) and isinstance(part, int) and part < len(value) else None)
        path = (*resource.path, "values", *attribute)
        if value is None and len(attribute) == 1:
            value = reader.value(resource, str(attribute[0]))
        parsed: object = None
        policy_source: Source = source.child(path)
        if isinstance(value, str):
            try:
                parsed = orjson.loads(value)
            except orjson.JSONDecodeError:
                parsed = None
            start = source.offset(path)
            if start is not None:
                policy_source = EmbeddedSource(source.name, value, source, start)
        if not isinstance(parsed, dict):
            what = value.what if isinstance(value, Unresolved) else "not a JSON policy document"
            out.note("iac-unresolved", f"{resource.address}: the policy is not known here: {what}",
                     Location(source, path), severity=Severity.ERROR, breaks=(*breaks, key),
                     hint="nothing it could allow is allowed, and what it touches is not answered; "
                          "render it at plan time (an aws_iam_policy_document of known values)")
            parsed = None
        out.documents[key] = Document(key, profile, parsed, policy_source, frozenset(), resource.address)

    def text(resource: _Resource, attribute: str) -> str | None:
        value = reader.value(resource, attribute)
        if isinstance(value, str):
            return value
        what = value.what if isinstance(value, Unresolved) else f"{resource.address}.{attribute} is not given"
        out.note("iac-unresolved", f"{resource.address}: {what}", where(resource, attribute),
                 severity=Severity.ERROR)
        return None

    # Users, roles and groups.
    for type_name, noun in _IAM.items():
        for resource in by_type.get(type_name, ()):
            name = reader.name(resource)
            iam_path = resource.values.get("path") if isinstance(resource.values.get("path"), str) else "/"
            arn = f"arn:{reader.partition}:iam::{reader.account}:{noun}{iam_path}{name}"
            made = _Made(arn, name, str(iam_path), resource.address, where(resource))
            {"role": out.roles, "user": out.users, "group": out.groups}[noun][name] = made
            tags = resource.values.get("tags")
            if isinstance(tags, Mapping):
                made.tags.update({str(k): str(v) for k, v in tags.items() if isinstance(v, str)})
            boundary = resource.values.get("permissions_boundary")
            if isinstance(boundary, str) and boundary:
                made.boundary = boundary
            if noun == "role":
                made.trust = f"{arn}:trust"
                document(resource, made.trust, "role-trust", ("assume_role_policy",), (arn,))
                for i, entry in enumerate(_list(resource.values.get("inline_policy"))):
                    if isinstance(entry, Mapping) and isinstance(entry.get("name"), str) and entry.get("policy"):
                        key = f"{arn}:inline/{entry['name']}"
                        document(resource, key, "iam-role-inline", ("inline_policy", i, "policy"), (arn,))
                        made.inline[str(entry["name"])] = key
                for value in _list(resource.values.get("managed_policy_arns")):
                    if isinstance(value, str):
                        made.attached.append(value)
                # (computed when the configuration does not set it: unknown then means "none set here")
                if resource.values.get("managed_policy_arns") is None and \
                        resource.unknown.get("managed_policy_arns") is True and \
                        "managed_policy_arns" in resource.expressions:
                    out.note("iac-unresolved", f"{resource.address}: managed_policy_arns is known after apply",
                             where(resource, "managed_policy_arns"), severity=Severity.ERROR, breaks=(arn,))

    for resource in by_type.get("aws_iam_policy", ()):
        policy_arn = reader.derived(resource, "arn")
        assert policy_arn is not None
        document(resource, policy_arn, "iam-identity-managed", ("policy",), ())
        out.managed[policy_arn] = (reader.name(resource), policy_arn, where(resource))

    tables = {"role": out.roles, "user": out.users, "group": out.groups}
    for noun, table in tables.items():
        for resource in by_type.get(f"aws_iam_{noun}_policy", ()):
            owner = text(resource, noun)
            policy_name = text(resource, "name") if resource.values.get("name") is not None \
                else reader.name(resource)
            holder = table.get(owner or "")
            if owner is None or policy_name is None:
                continue
            if holder is None:
                out.note("iac-outside", f"{resource.address} attaches to {noun} `{owner}`, which the plan does not "
                         "make", where(resource, noun), hint="give the plan that makes it too")
                continue
            key = f"{holder.arn}:inline/{policy_name}"
            document(resource, key, f"iam-{noun}-inline", ("policy",), (holder.arn,))
            holder.inline[policy_name] = key
        for resource in by_type.get(f"aws_iam_{noun}_policy_attachment", ()):
            owner = text(resource, noun)
            policy_arn = text(resource, "policy_arn")
            attached_to = table.get(owner or "")
            if owner is None or policy_arn is None:
                for other in table.values():  # which principal cannot be told: none of them is answered
                    out.broken.setdefault(other.arn, []).append(out.diagnostics[-1])
                continue
            if attached_to is None:
                out.note("iac-outside", f"{resource.address} attaches to {noun} `{owner}`, which the plan does not "
                         "make", where(resource, noun))
                continue
            attached_to.attached.append(policy_arn)
    for resource in by_type.get("aws_iam_user_group_membership", ()):
        user = text(resource, "user")
        member = out.users.get(user or "")
        if member is not None:
            member.groups.extend(g for g in _list(resource.values.get("groups")) if isinstance(g, str))

    resource_types = {"aws_s3_bucket_policy": ("bucket", "s3:bucket"), "aws_kms_key": ("", "kms:key"),
                      "aws_sqs_queue_policy": ("queue_url", "sqs:queue"), "aws_sns_topic_policy": ("arn", "sns:topic")}
    for type_name, (named_by, kind) in resource_types.items():
        for resource in by_type.get(type_name, ()):
            if type_name == "aws_kms_key":
                if resource.values.get("policy") is None and resource.unknown.get("policy") is not True:
                    continue  # the default key policy
                resource_arn = reader.derived(resource, "arn")
            else:
                named = text(resource, named_by)
                resource_arn = None if named is None else _resource_arn(type_name, named, reader.partition)
                if named is not None and resource_arn is None:
                    out.note("iac-unresolved", f"{resource.address}: `{named}` names no resource qiam knows the ARN "
                             "of", where(resource, named_by), severity=Severity.ERROR,
                             hint="its policy is left out: give the resource's ARN, or a queue's "
                                  "https://sqs.REGION.amazonaws.com/ACCOUNT/NAME URL")
            if resource_arn is None:
                continue
            document(resource, resource_arn, "resource", ("policy",), (resource_arn,))
            out.resources[resource_arn] = (kind, resource_arn, where(resource))
    return out


def _resource_arn(type_name: str, named: str, partition: str) -> str | None:
    if type_name == "aws_s3_bucket_policy":
        return named if named.startswith("arn:") else f"arn:{partition}:s3:::{named}"
    if type_name == "aws_sqs_queue_policy":
        from qiam.iac import _queue_arn

        return _queue_arn(named, partition) or None
    return named if named.startswith("arn:") else None


def _strip_index(address: str) -> str:
    """``module.a["x"].aws_iam_role.r[0]`` → ``module.a.aws_iam_role.r``: the configuration's address."""
    out = []
    depth = 0
    for ch in address:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _map(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}
