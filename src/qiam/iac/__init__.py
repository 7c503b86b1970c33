"""Policies from infrastructure as code: CloudFormation templates and Terraform plan JSON.

``read(path)`` turns a template or a plan into what an inventory holds (users,
roles, groups, managed policies, resources with their policies), each policy
document with a source that points into the template: file, line, column, and
the logical id or Terraform address. ``qiam.inventory.load`` reads templates
and plans through it, beside the AWS formats, so ``validate``, ``check``,
``who-can``, ``can``, ``tasks``, ``test`` and the pytest plugin share this one
loader. What the template cannot settle fails closed (``qiam.iac._values``).
"""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import TYPE_CHECKING

import orjson

from qiam._source import Source
from qiam.errors import Diagnostic, Location, Path, QiamError, Severity
from qiam.iac._values import Unresolved, placeholders, settle

if TYPE_CHECKING:
    from qiam.iac.cloudformation import Stack

__all__ = ["Document", "IacError", "Template", "is_template", "read"]

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".template")


class IacError(QiamError, ValueError):
    """A template or plan that cannot be read at all."""

    default_code = "iac-unreadable"


@dataclass(frozen=True, slots=True)
class Document:
    """One policy document of a template, settled (``document`` None: it is not known before deployment)."""

    key: str  # the inventory's key: ARN:inline/NAME, ARN:trust, a managed policy's or a resource's ARN
    profile: str
    document: dict[str, object] | None
    source: Source  # positions in the template
    dropped: frozenset[int]  # Allow statements that never apply: a value in them is not known
    owner: str  # the logical id or Terraform address


@dataclass(slots=True)
class Template:
    """What a template or plan makes, in the inventory's terms."""

    path: str
    kind: str  # "cloudformation" or "terraform"
    account: str
    region: str
    users: dict[str, _Made] = field(default_factory=dict)  # by name
    roles: dict[str, _Made] = field(default_factory=dict)
    groups: dict[str, _Made] = field(default_factory=dict)
    managed: dict[str, tuple[str, str, Location]] = field(default_factory=dict)  # ARN -> (name, key, where)
    resources: dict[str, tuple[str, str, Location]] = field(default_factory=dict)  # ARN -> (type, key, where)
    documents: dict[str, Document] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    broken: dict[str, list[Diagnostic]] = field(default_factory=dict)

    def note(self, code: str, message: str, where: Location, *, hint: str | None = None,
             severity: Severity = Severity.WARNING, breaks: Iterable[str] = ()) -> Diagnostic:
        diagnostic = Diagnostic(severity, code, message, where, hint)
        self.diagnostics.append(diagnostic)
        for name in breaks:
            self.broken.setdefault(name, []).append(diagnostic)
        return diagnostic


@dataclass(slots=True)
class _Made:
    """A user, role or group the template makes, gathered before the policies that attach to it."""

    arn: str
    name: str
    path: str
    owner: str
    where: Location
    inline: dict[str, str] = field(default_factory=dict)  # policy name -> document key
    attached: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    boundary: str | None = None
    trust: str | None = None  # the document key
    tags: dict[str, str] = field(default_factory=dict)


def is_template(path: FsPath, document: object) -> bool:
    """Whether a file read as JSON (or a YAML-named file) is a template or a plan."""
    if path.suffix.lower() in TEMPLATE_SUFFIXES:
        return True
    if not isinstance(document, dict):
        return False
    if "planned_values" in document or ("format_version" in document and "terraform_version" in document):
        return True
    resources = document.get("Resources")
    return "AWSTemplateFormatVersion" in document or (
        isinstance(resources, dict) and any(isinstance(r, dict) and str(r.get("Type", "")).startswith("AWS::")
                                            for r in resources.values()))


def read(path: str | FsPath, parameters: Mapping[str, object] | None = None, *, data: bytes | None = None
         ) -> Template:
    """Read a CloudFormation template (JSON or YAML) or a Terraform plan (``terraform show -json``).

    ``parameters``: template parameters and pseudo-parameters (``AWS::AccountId``,
    ``AWS::Region``, ``AWS::Partition``, ``AWS::StackName``); for a plan,
    ``AWS::AccountId`` and ``AWS::Region`` are the account and region it deploys to.
    Raises IacError when the file is neither, or is not JSON or YAML.
    """
    path = FsPath(path)
    raw = path.read_bytes() if data is None else data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IacError(f"{path} is not UTF-8 text (byte {exc.start})", hint="save the template as UTF-8") from None
    params = dict(parameters or {})
    document: object
    try:
        document = orjson.loads(raw)
        source = Source(str(path), text)
    except orjson.JSONDecodeError as exc:
        if path.suffix.lower() == ".json":
            raise IacError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}",
                           hint="give the template, or `terraform show -json PLAN` output") from None
        from qiam.iac._yaml import YamlError, read_yaml

        try:
            positioned = read_yaml(text)
        except YamlError as err:
            raise IacError(f"{path}:{err.line}:{err.column}: {err}", hint="a CloudFormation template in YAML"
                           ) from None
        document = positioned.value
        source = Source.positioned(str(path), text, positioned.values, positioned.keys)
    if isinstance(document, dict) and ("planned_values" in document or "terraform_version" in document):
        from qiam.iac.terraform import read_plan

        return read_plan(document, source, params)
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise IacError(f"{path} is neither a CloudFormation template nor a Terraform plan",
                       hint="a template has `Resources`; a plan is `terraform show -json PLAN` output")
    return _read_cloudformation(document, source, params)


# ----- CloudFormation -----

_IDENTITY_TYPES = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")


def _read_cloudformation(template: dict[str, object], source: Source, parameters: dict[str, object]) -> Template:
    from qiam.iac.cloudformation import Stack

    stack = Stack(template, parameters)
    out = Template(source.name or "<template>", "cloudformation", stack.account, stack.region)
    resources = stack.resources
    present: dict[str, bool] = {}
    for logical_id, entry in resources.items():
        where = Location(source, ("Resources", logical_id))
        if not isinstance(entry, Mapping) or not isinstance(entry.get("Type"), str):
            out.note("iac-bad-resource", f"resource `{logical_id}` has no Type", where, severity=Severity.ERROR)
            continue
        condition = entry.get("Condition")
        if isinstance(condition, str):
            truth = stack.condition(condition, ("Resources", logical_id, "Condition"))
            if isinstance(truth, Unresolved):
                out.note("iac-unresolved", f"whether `{logical_id}` is made is not known here: {truth.what}",
                         Location(source, truth.path), breaks=(f"cfn:{logical_id}",),
                         hint="give the parameters its condition reads (--parameter NAME=VALUE)")
            elif not truth:
                continue
        present[logical_id] = True

    def name(logical_id: str) -> str | None:
        value = stack.name_of(logical_id)
        if isinstance(value, str):
            return value
        found = next(placeholders(value), None)
        out.note("iac-unresolved", f"the name of `{logical_id}` is not known here: "
                 f"{found.what if found else value}", Location(source, found.path if found else
                                                                ("Resources", logical_id)),
                 severity=Severity.ERROR, hint="give it a name property, or the parameters that make it")
        return None

    # Users, roles and groups first: policies attach to them by name.
    for logical_id in present:
        kind = stack.type_of(logical_id)
        if kind not in _IDENTITY_TYPES:
            continue
        made_name = name(logical_id)
        if made_name is None:
            continue
        noun = kind.rsplit("::", 1)[1].lower()
        iam_path = stack.iam_path(logical_id)
        arn = f"arn:{stack.partition}:iam::{stack.account}:{noun}{iam_path}{made_name}"
        made = _Made(arn, made_name, iam_path, logical_id, Location(source, ("Resources", logical_id)))
        props = stack.properties(logical_id)
        base: Path = ("Resources", logical_id, "Properties")
        table = {"role": out.roles, "user": out.users, "group": out.groups}[noun]
        table[made_name] = made
        policies = stack.resolve(props.get("Policies", []), (*base, "Policies"))
        for i, entry in enumerate(policies if isinstance(policies, list) else []):
            if not isinstance(entry, Mapping) or not isinstance(entry.get("PolicyName"), str):
                out.note("iac-bad-resource", f"an inline policy of `{logical_id}` without a PolicyName",
                         Location(source, (*base, "Policies", i)), severity=Severity.ERROR, breaks=(arn,))
                continue
            key = f"{arn}:inline/{entry['PolicyName']}"
            _add_document(out, key, f"iam-{noun}-inline", entry.get("PolicyDocument"), source,
                          (*base, "Policies", i, "PolicyDocument"), logical_id, (arn,))
            made.inline[str(entry["PolicyName"])] = key
        made.attached.extend(_arns(stack.resolve(props.get("ManagedPolicyArns", []), (*base, "ManagedPolicyArns")),
                                   out, source, (*base, "ManagedPolicyArns"), arn))
        if noun != "group" and "PermissionsBoundary" in props:
            boundary = stack.resolve(props["PermissionsBoundary"], (*base, "PermissionsBoundary"))
            found = _arns([boundary], out, source, (*base, "PermissionsBoundary"), arn)
            made.boundary = found[0] if found else None
        if noun == "user":
            groups = stack.resolve(props.get("Groups", []), (*base, "Groups"))
            made.groups.extend(g for g in groups if isinstance(g, str)) if isinstance(groups, list) else None
        if noun == "role":
            key = f"{arn}:trust"
            _add_document(out, key, "role-trust", props.get("AssumeRolePolicyDocument"), source,
                          (*base, "AssumeRolePolicyDocument"), logical_id, (arn,), stack=stack)
            made.trust = key
        tags = stack.resolve(props.get("Tags", []), (*base, "Tags"))
        if isinstance(tags, list):
            made.tags.update({str(t["Key"]): str(t.get("Value", "")) for t in tags
                              if isinstance(t, Mapping) and isinstance(t.get("Key"), str)
                              and isinstance(t.get("Value", ""), str)})
        if f"cfn:{logical_id}" in out.broken:
            out.broken.setdefault(arn, []).extend(out.broken[f"cfn:{logical_id}"])

    for logical_id in present:
        kind = stack.type_of(logical_id)
        props = stack.properties(logical_id)
        base = ("Resources", logical_id, "Properties")
        breaks = out.broken.get(f"cfn:{logical_id}", [])
        if kind == "AWS::IAM::ManagedPolicy":
            made_name = name(logical_id)
            if made_name is None:
                continue
            arn = f"arn:{stack.partition}:iam::{stack.account}:policy{stack.iam_path(logical_id)}{made_name}"
            _add_document(out, arn, "iam-identity-managed", props.get("PolicyDocument"), source,
                          (*base, "PolicyDocument"), logical_id, (), stack=stack)
            out.managed[arn] = (made_name, arn, Location(source, ("Resources", logical_id)))
            _attach(out, stack, source, logical_id, props, base, functools.partial(_attach_managed, arn), breaks)
        elif kind == "AWS::IAM::Policy":
            policy_name = stack.resolve(props.get("PolicyName"), (*base, "PolicyName"))
            if not isinstance(policy_name, str):
                out.note("iac-unresolved", f"the PolicyName of `{logical_id}` is not known here",
                         Location(source, (*base, "PolicyName")), severity=Severity.ERROR)
                continue

            def inline(made: _Made, policy_name: str = policy_name, logical_id: str = logical_id,
                       props: Mapping[str, object] = props, base: Path = base) -> None:
                key = f"{made.arn}:inline/{policy_name}"
                profile = "iam-" + made.arn.split(":", 5)[5].split("/", 1)[0] + "-inline"
                _add_document(out, key, profile, props.get("PolicyDocument"), source, (*base, "PolicyDocument"),
                              logical_id, (made.arn,), stack=stack)
                made.inline[policy_name] = key

            _attach(out, stack, source, logical_id, props, base, inline, breaks)
        elif kind in _RESOURCE_POLICY_TYPES:
            _resource_policy(out, stack, source, logical_id, kind, props, base, breaks)
    return out


def _attach_managed(arn: str, made: _Made) -> None:
    made.attached.append(arn)


def _attach(out: Template, stack: Stack, source: Source, logical_id: str, props: Mapping[str, object],
            base: Path, action: Callable[[_Made], object], breaks: list[Diagnostic]) -> None:
    """Apply ``action`` to each role, user and group a policy resource names (by name)."""
    for prop, table in (("Roles", out.roles), ("Users", out.users), ("Groups", out.groups)):
        names = stack.resolve(props.get(prop, []), (*base, prop))
        for i, value in enumerate(names if isinstance(names, list) else []):
            where = Location(source, (*base, prop, i))
            if not isinstance(value, str):
                found = next(placeholders(value), None)
                out.note("iac-unresolved", f"`{logical_id}` attaches to a {prop[:-1].lower()} not known here"
                         + (f": {found.what}" if found else ""), where, severity=Severity.ERROR)
                continue
            made = table.get(value)
            if made is None:
                out.note("iac-outside", f"`{logical_id}` attaches to {prop[:-1].lower()} `{value}`, which the "
                         "template does not make", where, hint="give the template that makes it too, or an "
                         "inventory of the account")
                continue
            action(made)
            if breaks:
                out.broken.setdefault(made.arn, []).extend(breaks)


_RESOURCE_POLICY_TYPES = {
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
}


def _resource_policy(out: Template, stack: Stack, source: Source, logical_id: str, kind: str,
                     props: Mapping[str, object], base: Path, breaks: list[Diagnostic]) -> None:
    arns: list[tuple[str, str, Path]] = []  # (ARN, type, template path of what names it)
    if kind == "AWS::S3::BucketPolicy":
        bucket = stack.resolve(props.get("Bucket"), (*base, "Bucket"))
        arns.append((f"arn:{stack.partition}:s3:::{bucket}", "s3:bucket", (*base, "Bucket")) if isinstance(
            bucket, str) else ("", "", (*base, "Bucket")))
    elif kind == "AWS::KMS::Key":
        if "KeyPolicy" not in props:
            return  # AWS gives it the default key policy, which qiam's inventory reads as none
        arn = stack.resolve({"Fn::GetAtt": [logical_id, "Arn"]}, ("Resources", logical_id))
        arns.append((str(arn), "kms:key", ("Resources", logical_id)))
    else:
        prop = "Queues" if kind == "AWS::SQS::QueuePolicy" else "Topics"
        values = stack.resolve(props.get(prop, []), (*base, prop))
        for i, value in enumerate(values if isinstance(values, list) else []):
            if isinstance(value, str) and prop == "Queues":
                arns.append((_queue_arn(value, stack.partition), "sqs:queue", (*base, prop, i)))
            elif isinstance(value, str):
                arns.append((value, "sns:topic", (*base, prop, i)))
            else:
                arns.append(("", "", (*base, prop, i)))
    document = props.get(_RESOURCE_POLICY_TYPES[kind])
    document_path = (*base, _RESOURCE_POLICY_TYPES[kind])
    for arn, type_name, named_at in arns:
        if not arn or arn.count(":") < 5:
            out.note("iac-unresolved", f"the resource `{logical_id}`'s policy governs is not known here",
                     Location(source, named_at), hint="give the parameters that name it (--parameter NAME=VALUE)")
            continue
        _add_document(out, arn, "resource", document, source, document_path, logical_id, (arn,), stack=stack)
        out.resources[arn] = (type_name, arn, Location(source, ("Resources", logical_id)))
        if breaks:
            out.broken.setdefault(arn, []).extend(breaks)


def _queue_arn(url: str, partition: str) -> str:
    """A queue's ARN from its URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)."""
    try:
        parsed = urllib.parse.urlparse(url)
    except ValueError:  # (a `[` that opens no IPv6 host: no queue's URL)
        return url if url.startswith("arn:") else ""
    host = parsed.netloc.split(".")
    segments = [s for s in parsed.path.split("/") if s]
    if parsed.scheme == "https" and len(host) > 2 and host[0] == "sqs" and len(segments) == 2:
        return f"arn:{partition}:sqs:{host[1]}:{segments[0]}:{segments[1]}"
    return url if url.startswith("arn:") else ""


def _arns(value: object, out: Template, source: Source, path: Path, owner: str) -> list[str]:
    """The managed policy ARNs of a list; an unknown one breaks the owner (its policies are not all known)."""
    found: list[str] = []
    for i, entry in enumerate(value if isinstance(value, list) else [value]):
        if isinstance(entry, str):
            found.append(entry)
            continue
        unknown = next(placeholders(entry), None)
        out.note("iac-unresolved", f"a managed policy of `{owner}` is not known here"
                 + (f": {unknown.what}" if unknown else ""), Location(source, unknown.path if unknown else (*path, i)),
                 severity=Severity.ERROR, breaks=(owner,), hint="give the parameters that name it")
    return found


def _add_document(out: Template, key: str, profile: str, value: object, source: Source, path: Path, owner: str,
                  breaks: tuple[str, ...], *, stack: Stack | None = None) -> None:
    """Resolve, settle and keep a policy document; what cannot be known is reported where it is."""
    resolved = stack.resolve(value, path) if stack is not None else value
    if isinstance(resolved, str):  # a document given as JSON text (Fn::Sub of a JSON string, say)
        try:
            resolved = orjson.loads(resolved)
        except orjson.JSONDecodeError:
            pass
    settled = settle(resolved)
    for unknown, what in settled.notes:
        out.note("iac-unresolved", f"{owner}: {unknown.what}: {what}", Location(source, unknown.path),
                 hint="give the parameters it reads (--parameter NAME=VALUE), or accept the fail-closed reading")
    if settled.document is None:
        first = settled.notes[0][0] if settled.notes else Unresolved("not a JSON object", path)
        out.note("iac-unresolved", f"the policy of `{owner}` is not known here: {first.what}",
                 Location(source, first.path), severity=Severity.ERROR, breaks=(*breaks, key),
                 hint="nothing it could allow is allowed, and what it touches is not answered")
    out.documents[key] = Document(key, profile, settled.document, source.child(path), settled.dropped, owner)

