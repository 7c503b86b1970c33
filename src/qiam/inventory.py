"""Inventories: the users, roles, groups and policies of whole accounts, their organisation and resources.

``load(paths)`` reads the three kinds of file of ``docs/inventory.md``: AWS's
``get-account-authorization-details`` output (merged or raw pages, documents
as objects or URL-encoded text), qiam's organisation format and qiam's
resource format. It resolves each principal to its policies (inline, attached,
its groups', its boundary, a role's trust policy) and compiles each distinct
document once, however many principals and accounts share it.

Bad input never loses the rest: every problem is a Diagnostic with a stable
code, the file and the JSON path, and what it touches is *broken*. A broken
principal or resource is never answered as allowed (``Inventory.broken``).
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path as FsPath
from typing import TYPE_CHECKING

import orjson

from qiam._json import kept_dumps
from qiam._source import Source
from qiam.compile import CompiledPolicy, Compiler
from qiam.errors import Diagnostic, Location, Path, QiamError, Severity
from qiam.model import Policy

if TYPE_CHECKING:
    from qiam.iac import Template

__all__ = ["ORGANIZATION_FORMAT", "RESOURCES_FORMAT", "Inventory", "ManagedPolicy", "Organization", "Principal",
           "Resource", "load"]

ORGANIZATION_FORMAT = "qiam-organization/1"
RESOURCES_FORMAT = "qiam-resources/1"
SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
_DETAIL_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
# The AWS managed SCP and RCP that every organisation has, by the ids AWS gives them.
FULL_ACCESS = {
    "p-FullAWSAccess": (SCP, "FullAWSAccess"),
    "p-RCPFullAWSAccess": (RCP, "RCPFullAWSAccess"),
}
_FULL_ACCESS_DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
_RCP_FULL_ACCESS_DOCUMENT = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
_IAM_ARN = re.compile(r"arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}|aws):(?P<kind>user|role|group|policy)"
                      r"(?P<path>/(?:[^/]*/)*)(?P<name>[^/]+)")
_ACCOUNT = re.compile(r"\d{12}")
MANAGED = "iam-identity-managed"
BOUNDARY = "permissions-boundary"


# ----- what an inventory holds -----

@dataclass(frozen=True, slots=True, eq=False)
class ManagedPolicy:
    """A managed policy at its default version (``document`` None when it did not read)."""

    arn: str
    name: str
    version: str | None
    document: Mapping[str, object] | None


@dataclass(frozen=True, slots=True, eq=False)
class Principal:
    """An IAM user or role, with what its policies are (the inventory compiles them)."""

    arn: str
    kind: str  # "user" or "role"
    name: str
    account: str
    partition: str
    path: str
    tags: Mapping[str, str]
    inline: Mapping[str, Mapping[str, object]]  # inline policy name -> document
    attached: tuple[str, ...]  # managed policy ARNs
    groups: tuple[str, ...] = ()  # group names (users)
    boundary: str | None = None  # a managed policy ARN
    trust: Mapping[str, object] | None = None  # a role's trust policy

    def to_dict(self) -> dict[str, object]:
        """The JSON form of who it is."""
        return {"arn": self.arn, "kind": self.kind, "name": self.name, "account": self.account}


@dataclass(frozen=True, slots=True, eq=False)
class Resource:
    """A resource with its resource-based policy (``policy`` None when it has none)."""

    arn: str
    type: str  # service:resource-type, e.g. s3:bucket
    account: str | None
    region: str | None
    policy: Mapping[str, object] | None
    tags: Mapping[str, str]


@dataclass(frozen=True, slots=True, eq=False)
class _Group:
    arn: str
    name: str
    account: str
    inline: Mapping[str, Mapping[str, object]]
    attached: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class _OrgPolicy:
    id: str
    type: str
    name: str
    document: Mapping[str, object] | None


@dataclass(frozen=True, slots=True, eq=False)
class Organization:
    """An organisation: its id, management account, enabled policy types and, per account, the policy
    ids attached at each level from the root down to the account."""

    id: str
    management_account: str | None
    policy_types: frozenset[str]
    policies: Mapping[str, _OrgPolicy]
    levels: Mapping[str, tuple[tuple[str, ...], ...]]  # account -> policy ids per level, root first

    def has(self, account: str | None) -> bool:
        """Whether the account is in the organisation."""
        return account is not None and account in self.levels


@dataclass(slots=True)
class _Loading:
    """What load() gathers before resolving references."""

    compiler: Compiler
    diagnostics: list[Diagnostic] = field(default_factory=list)
    principals: dict[str, tuple[Principal, Location]] = field(default_factory=dict)
    twice: set[str] = field(default_factory=set)
    groups: dict[tuple[str, str], _Group] = field(default_factory=dict)
    managed: dict[str, tuple[ManagedPolicy, Location]] = field(default_factory=dict)
    resources: dict[str, tuple[Resource, Location]] = field(default_factory=dict)
    organization: tuple[Organization, Location] | None = None
    broken: dict[str, list[Diagnostic]] = field(default_factory=dict)  # ARN or account -> why
    documents: dict[str, Location] = field(default_factory=dict)  # policy key -> where its document is
    compiled: dict[tuple[str, str], CompiledPolicy | None] = field(default_factory=dict)
    by_text: dict[tuple[bytes, str], CompiledPolicy] = field(default_factory=dict)
    # Documents read from templates: their sources point into the template, and the Allow statements a
    # value unknown before deployment keeps from applying (qiam.iac).
    sources: dict[str, tuple[Source, frozenset[int]]] = field(default_factory=dict)
    parameters: Mapping[str, object] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # a template's logical id or address -> ARN

    def compile(self, key: str, profile: str, document: Mapping[str, object] | None, breaks: Iterable[str]) -> None:
        """Compile a document for a profile, once per (key, profile); a document that does not validate
        is reported where it is, and breaks what uses it."""
        slot = (key, profile)
        if slot in self.compiled:
            return
        compiled = None
        placed = self.sources.get(key)
        if document is not None and placed is not None:
            source, dropped = placed
            try:
                compiled = self.compiler.compile(Policy(document, source), profile)
            except QiamError as exc:
                self.report("inventory-bad-policy", f"policy `{key}` does not validate as {profile}: "
                            f"{exc.message} [{exc.code}]", _first_location(exc, Location(source, ())),
                            breaks=(key, *breaks), hint="fix the policy in the template")
            if compiled is not None and dropped:
                compiled = CompiledPolicy(compiled.policy, compiled.profile,
                                          tuple(st for st in compiled.statements if st.index not in dropped),
                                          compiled.diagnostics, compiled.engine)
        elif document is not None:
            data = kept_dumps(document)
            same = self.by_text.get((data, profile))
            try:
                if same is not None:  # the same document under another name: its statements, compiled once
                    compiled = CompiledPolicy(Policy(None, Source(key, data=data)), same.profile, same.statements,
                                              (), same.engine)
                else:
                    compiled = self.compiler.compile(data, profile, name=key)
                    if not compiled.diagnostics:  # (a warning points into its own document)
                        self.by_text[(data, profile)] = compiled
            except QiamError as exc:
                self.report("inventory-bad-policy", f"policy `{key}` does not validate as {profile}: "
                            f"{exc.message} [{exc.code}]", self.documents.get(key, Location(Source(key), ())),
                            breaks=(key, *breaks), hint="fix the policy, or leave it out of the inventory")
        self.compiled[slot] = compiled

    def report(self, code: str, message: str, where: Location, *, hint: str | None = None,
               severity: Severity = Severity.ERROR, breaks: Iterable[str] = ()) -> Diagnostic:
        diagnostic = Diagnostic(severity, code, message, where, hint)
        self.diagnostics.append(diagnostic)
        for name in breaks:
            self.broken.setdefault(name, []).append(diagnostic)
        return diagnostic


def _first_location(exc: QiamError, default: Location) -> Location:
    """Where an error about a policy points: its first diagnostic's place, else ``default``."""
    diagnostics = getattr(exc, "diagnostics", None)
    if diagnostics:
        return diagnostics[0].location  # type: ignore[no-any-return]
    location = getattr(exc, "location", None)
    return location if isinstance(location, Location) else default


class InventoryError(QiamError, ValueError):
    """An inventory that cannot be read at all (no file given, or none found)."""

    default_code = "inventory-unreadable"


# ----- the inventory -----

class Inventory:
    """Principals, managed policies, resources and the organisation of one or more accounts, compiled.

    ``diagnostics`` holds every problem met in loading; ``broken(arn)`` the ones
    that touch a principal, a resource or an account. Compiled policies are
    made once each (``identity``, ``boundary``, ``trust``, ``resource_policy``,
    ``scps``, ``rcps``).
    """

    def __init__(self, loading: _Loading) -> None:
        self.principals: dict[str, Principal] = {arn: p for arn, (p, _) in loading.principals.items()}
        self.managed: dict[str, ManagedPolicy] = {arn: m for arn, (m, _) in loading.managed.items()}
        self.resources: dict[str, Resource] = {arn: r for arn, (r, _) in loading.resources.items()}
        self.organization: Organization | None = loading.organization[0] if loading.organization else None
        self.diagnostics: tuple[Diagnostic, ...] = tuple(loading.diagnostics)
        self._broken = {k: tuple(v) for k, v in loading.broken.items()}
        self._aliases = loading.aliases
        self._groups = loading.groups
        self._compiler = loading.compiler
        self._compiled = loading.compiled
        self._identity: dict[str, tuple[CompiledPolicy, ...]] = {}
        self._levels: dict[tuple[str, str], tuple[tuple[CompiledPolicy, ...], ...] | None] = {}
        self.accounts: frozenset[str] = frozenset(
            {p.account for p in self.principals.values()}
            | {r.account for r in self.resources.values() if r.account is not None}
            | set(self.organization.levels if self.organization else ()))

    def __repr__(self) -> str:
        return (f"<Inventory: {len(self.principals)} principals, {len(self.managed)} managed policies, "
                f"{len(self.resources)} resources, {len(self.accounts)} accounts>")

    # ----- what is broken -----

    def broken(self, *names: str | None) -> tuple[Diagnostic, ...]:
        """The diagnostics that break any of the named principals, resources or accounts."""
        out: list[Diagnostic] = []
        for name in names:
            if name is not None:
                out.extend(self._broken.get(name, ()))
        return tuple(dict.fromkeys(out))

    # ----- compiled policies, each made once -----

    def compiled(self, key: str, profile: str) -> CompiledPolicy | None:
        """The policy of a key (a managed policy's ARN, ``ARN:inline/NAME``, ``ARN:trust``, a resource's
        ARN, an organisation policy id) compiled for a profile; None when it did not load."""
        return self._compiled.get((key, profile))

    def _managed(self, arn: str, profile: str) -> CompiledPolicy | None:
        return self._compiled.get((arn, profile))

    def identity(self, principal: Principal) -> tuple[CompiledPolicy, ...]:
        """The principal's identity policies: inline, attached, and its groups' inline and attached."""
        found = self._identity.get(principal.arn)
        if found is not None:
            return found
        inline_profile = "iam-user-inline" if principal.kind == "user" else "iam-role-inline"
        out = [self._compiled.get((f"{principal.arn}:inline/{name}", inline_profile)) for name in principal.inline]
        out.extend(self._managed(arn, MANAGED) for arn in principal.attached)
        for group_name in principal.groups:
            group = self._groups.get((principal.account, group_name))
            if group is not None:  # (else reported at load: the user is broken)
                out.extend(self._compiled.get((f"{group.arn}:inline/{name}", "iam-group-inline"))
                           for name in group.inline)
                out.extend(self._managed(arn, MANAGED) for arn in group.attached)
        found = self._identity[principal.arn] = tuple(p for p in out if p is not None)
        return found

    def boundary(self, principal: Principal) -> CompiledPolicy | None:
        """The principal's permissions boundary, compiled (None without one)."""
        if principal.boundary is None:
            return None
        return self._managed(principal.boundary, BOUNDARY)

    def trust(self, principal: Principal) -> CompiledPolicy | None:
        """A role's trust policy, compiled (None for users, or when it does not validate)."""
        if principal.trust is None:
            return None
        return self._compiled.get((f"{principal.arn}:trust", "role-trust"))

    def resource_policy(self, resource: Resource) -> CompiledPolicy | None:
        """A resource's policy, compiled (None without one, or when it does not validate)."""
        if resource.policy is None:
            return None
        return self._compiled.get((resource.arn, "resource"))

    def scps(self, account: str) -> tuple[tuple[CompiledPolicy, ...], ...] | None:
        """The SCP levels over an account's principals (None: SCPs do not apply to it)."""
        return self._org_levels(account, SCP)

    def rcps(self, account: str | None) -> tuple[tuple[CompiledPolicy, ...], ...] | None:
        """The RCP levels over an account's resources (None: RCPs do not apply to it)."""
        return self._org_levels(account, RCP) if account is not None else None

    def _org_levels(self, account: str, kind: str) -> tuple[tuple[CompiledPolicy, ...], ...] | None:
        org = self.organization
        if org is None or kind not in org.policy_types or not org.has(account) or account == org.management_account:
            return None
        slot = (account, kind)
        if slot in self._levels:
            return self._levels[slot]
        profile = "scp" if kind == SCP else "rcp"
        levels: list[tuple[CompiledPolicy, ...]] = []
        for ids in org.levels[account]:
            level: list[CompiledPolicy] = []
            for policy_id in ids:
                policy = org.policies.get(policy_id)
                if policy is None or policy.type != kind or policy.document is None:
                    continue
                compiled = self._compiled.get((policy_id, profile))
                if compiled is not None:
                    level.append(compiled)
            levels.append(tuple(level))
        found = self._levels[slot] = tuple(levels)
        return found

    # ----- looking things up -----

    def principal(self, name: str) -> Principal | None:
        """A principal by ARN, by the logical id or address of the template that makes it, or by
        ``user/NAME`` / ``role/NAME`` / a bare name when that is unique."""
        found = self.principals.get(name) or self.principals.get(self._aliases.get(name, ""))
        if found is not None:
            return found
        matches = [p for p in self.principals.values()
                   if name in (p.name, f"{p.kind}/{p.name}", f"{p.kind}{p.path}{p.name}")]
        return matches[0] if len(matches) == 1 else None

    def resource(self, arn: str) -> Resource | None:
        """The inventory's resource whose policy governs ``arn``: itself, or an S3 object's bucket."""
        found = self.resources.get(arn)
        if found is None and arn.startswith("arn:") and ":s3:::" in arn and "/" in arn:
            found = self.resources.get(arn.split("/", 1)[0])
        return found

    def groups_of(self, principal: Principal) -> Iterator[str]:
        """The ARNs of a user's groups that the inventory holds."""
        for name in principal.groups:
            group = self._groups.get((principal.account, name))
            if group is not None:
                yield group.arn


# ----- loading -----

def load(paths: Iterable[str | os.PathLike[str]], *, compiler: Compiler | None = None,
         overlays: Iterable[str | os.PathLike[str]] = (), parameters: Mapping[str, object] | None = None
         ) -> Inventory:
    """Read inventory files (or folders of ``*.json``, in name order) into an Inventory.

    CloudFormation templates (JSON or YAML) and Terraform plan JSON are read too
    (``qiam.iac``), with ``parameters`` for their parameters and pseudo-parameters
    (``AWS::AccountId``, ``AWS::Region``, ...).

    ``overlays`` are what-if files (``qiam-overlay/1``, docs/inventory.md) applied
    over what the files say, in memory. Never raises for bad content in the
    inventory: see ``Inventory.diagnostics``. Raises InventoryError when no file
    is given or found or an overlay cannot be used, and OSError when a named
    path cannot be read.
    """
    loading = _Loading(compiler or Compiler(), parameters=dict(parameters or {}))
    files: list[FsPath] = []
    for given in paths:
        path = FsPath(given)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        else:
            files.append(path)
    if not files:
        raise InventoryError("no inventory file was given or found",
                             hint="name get-account-authorization-details output, organisation or resource files")
    for path in files:
        _read_file(loading, path)
    for overlay in overlays:
        _apply_overlay(loading, FsPath(overlay))
    _compile_all(loading)
    _resolve(loading)
    return Inventory(loading)


def _read_file(loading: _Loading, path: FsPath) -> None:
    from qiam import iac

    data = path.read_bytes()
    source = Source(str(path), data=data)
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if iac.is_template(path, None):
            _read_template(loading, path, data)
            return
        if not _utf8(data):  # (no text to give a line and column in)
            source = Source(str(path))
        loading.report("inventory-unreadable", f"{path} is not JSON: {exc}", Location(source, ()),
                       hint="give the JSON that the AWS CLI or `qiam collect` wrote")
        return
    if iac.is_template(path, document):
        _read_template(loading, path, data)
    elif isinstance(document, dict) and document.get("format") == ORGANIZATION_FORMAT:
        _read_organization(loading, document, source)
    elif isinstance(document, dict) and document.get("format") == RESOURCES_FORMAT:
        _read_resources(loading, document, source)
    elif isinstance(document, dict) and any(k in document for k in _DETAIL_KEYS):
        _read_details(loading, [document], source, ())
    elif isinstance(document, list) and document and all(
            isinstance(page, dict) and any(k in page for k in _DETAIL_KEYS) for page in document):
        _read_details(loading, document, source, None)
    else:
        loading.report("inventory-unreadable", f"{path} is none of the inventory's kinds of file",
                       Location(source, ()),
                       hint=f"get-account-authorization-details output, or a `format` of {ORGANIZATION_FORMAT} "
                            f"or {RESOURCES_FORMAT}")


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_template(loading: _Loading, path: FsPath, data: bytes) -> None:
    """A CloudFormation template or Terraform plan: what it makes, with sources into the template."""
    from qiam import iac

    try:
        template = iac.read(path, loading.parameters, data=data)
    except iac.IacError as exc:
        loading.report(exc.code, exc.message, Location(Source(str(path)), ()), hint=exc.hint)
        return
    loading.diagnostics.extend(template.diagnostics)
    for name, found in template.broken.items():
        loading.broken.setdefault(name, []).extend(found)
    for key, read in template.documents.items():
        loading.sources[key] = (read.source, read.dropped)
        loading.documents[key] = Location(read.source, ())
    documents = {key: doc.document for key, doc in template.documents.items()}
    for arn, (name, key, where) in template.managed.items():
        loading.managed[arn] = (ManagedPolicy(arn, name, "v1", documents.get(key)), where)
    for group in template.groups.values():
        loading.groups[(template.account, group.name)] = _Group(
            group.arn, group.name, template.account,
            {name: doc for name, key in group.inline.items() if (doc := documents.get(key)) is not None},
            tuple(group.attached))
    for kind, table in (("user", template.users), ("role", template.roles)):
        for made in table.values():
            inline = {name: documents.get(key) for name, key in made.inline.items()}
            principal = Principal(
                made.arn, kind, made.name, template.account, made.arn.split(":")[1], made.path, dict(made.tags),
                {name: doc for name, doc in inline.items() if doc is not None}, tuple(made.attached),
                tuple(made.groups), made.boundary, documents.get(made.trust) if made.trust else None)
            loading.principals[made.arn] = (principal, made.where)
            loading.aliases.setdefault(made.owner, made.arn)
    for arn, (type_name, key, where) in template.resources.items():
        fields = arn.split(":", 5)
        loading.resources[arn] = (Resource(arn, type_name, fields[4] or template.account, fields[3] or None,
                                           documents.get(key), {}), where)
    _bundled_managed(loading, template)


def _bundled_managed(loading: _Loading, template: Template) -> None:
    """The AWS managed policies qiam carries, for the ones a template attaches by ARN."""
    from importlib.resources import files

    wanted = {arn for table in (template.users, template.roles, template.groups) for made in table.values()
              for arn in (*made.attached, *([made.boundary] if made.boundary else []))}
    folder = files("qiam") / "data" / "managed"
    for arn in sorted(wanted):
        match = _IAM_ARN.fullmatch(arn)
        if arn in loading.managed or match is None or match.group("account") != "aws":
            continue
        entry = folder / f"{match.group('name')}.json"
        if entry.is_file():
            document = orjson.loads(entry.read_bytes())
            loading.managed[arn] = (ManagedPolicy(arn, match.group("name"), "v1", document),
                                    Location(Source(f"qiam:managed/{match.group('name')}.json"), ()))


def _document(loading: _Loading, value: object, where: Location, owner: str, breaks: Iterable[str]
              ) -> Mapping[str, object] | None:
    """A policy document as an object: given so, as JSON text, or URL-encoded JSON text (the raw API's)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        text = urllib.parse.unquote(value) if value.lstrip().startswith("%") else value
        try:
            decoded = orjson.loads(text)
        except orjson.JSONDecodeError:
            decoded = None
        if isinstance(decoded, dict):
            return decoded
    loading.report("inventory-bad-policy", f"a policy document of `{owner}` does not read as a JSON object",
                   where, hint="a document is a JSON object, JSON text, or URL-encoded JSON text", breaks=breaks)
    return None


def _str(entry: Mapping[str, object], key: str) -> str | None:
    value = entry.get(key)
    return value if isinstance(value, str) and value else None


def _tags(value: object) -> dict[str, str]:
    """Tags as ``[{"Key", "Value"}]`` (AWS's) or a plain object."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    out: dict[str, str] = {}
    if isinstance(value, list):
        for tag in value:
            if isinstance(tag, dict) and isinstance(tag.get("Key"), str):
                out[tag["Key"]] = str(tag.get("Value", ""))
    return out


def _entries(page: Mapping[str, object], key: str) -> Iterator[tuple[int, Mapping[str, object]]]:
    value = page.get(key)
    if isinstance(value, list):
        for i, entry in enumerate(value):
            if isinstance(entry, dict):
                yield i, entry


def _read_details(loading: _Loading, pages: list[dict[str, object]], source: Source, base: Path | None) -> None:
    for number, page in enumerate(pages):
        at: Path = () if base is not None else (number,)
        if page.get("IsTruncated") is True and number == len(pages) - 1:
            loading.report("inventory-truncated", "the last page says more pages follow, and none does",
                           Location(source, (*at, "IsTruncated")), severity=Severity.WARNING,
                           hint="page with the Marker until IsTruncated is false, or use the AWS CLI's own paging")
        for i, entry in _entries(page, "Policies"):
            _read_managed(loading, entry, Location(source, (*at, "Policies", i)))
        for i, entry in _entries(page, "GroupDetailList"):
            _read_group(loading, entry, Location(source, (*at, "GroupDetailList", i)))
        for i, entry in _entries(page, "UserDetailList"):
            _read_principal(loading, entry, "user", Location(source, (*at, "UserDetailList", i)))
        for i, entry in _entries(page, "RoleDetailList"):
            _read_principal(loading, entry, "role", Location(source, (*at, "RoleDetailList", i)))


def _at(where: Location, *path: str | int) -> Location:
    return Location(where.source, (*where.path, *path))


def _read_managed(loading: _Loading, entry: Mapping[str, object], where: Location) -> None:
    arn = _str(entry, "Arn")
    if arn is None or not _IAM_ARN.fullmatch(arn):
        loading.report("inventory-bad-entry", "a managed policy without an `Arn` of a policy", where,
                       hint="each Policies entry has Arn, PolicyName and PolicyVersionList")
        return
    listed = entry.get("PolicyVersionList")
    versions = [v for v in listed if isinstance(v, dict)] if isinstance(listed, list) else []
    default_id = _str(entry, "DefaultVersionId")
    index = next((i for i, v in enumerate(versions) if v.get("IsDefaultVersion") is True), None)
    if index is None:
        index = next((i for i, v in enumerate(versions) if default_id and v.get("VersionId") == default_id), None)
    document = None
    if index is None:
        loading.report("inventory-no-default-version", f"managed policy `{arn}` has no default version",
                       _at(where, "PolicyVersionList"), breaks=(arn,),
                       hint="keep the version with IsDefaultVersion true in PolicyVersionList")
    else:
        version = versions[index]
        doc_where = _at(where, "PolicyVersionList", index, "Document")
        document = _document(loading, version.get("Document"), doc_where, arn, (arn,))
        loading.documents.setdefault(arn, doc_where)
        default_id = _str(version, "VersionId") or default_id
    policy = ManagedPolicy(arn, _str(entry, "PolicyName") or arn.rsplit("/", 1)[-1], default_id, document)
    earlier = loading.managed.get(arn)
    if earlier is None:
        loading.managed[arn] = (policy, where)
    elif earlier[0].document != policy.document:
        aws_managed = ":iam::aws:policy/" in arn
        loading.report("inventory-duplicate", f"managed policy `{arn}` is given twice with different documents "
                       f"(also at {earlier[1].render()})", where,
                       severity=Severity.WARNING if aws_managed else Severity.ERROR,
                       breaks=() if aws_managed else (arn,),
                       hint="AWS managed: the newer version is kept" if aws_managed else
                       "give each account's details once")
        if aws_managed and _version_number(policy.version) > _version_number(earlier[0].version):
            loading.managed[arn] = (policy, where)


def _version_number(version: str | None) -> int:
    return int(version[1:]) if version and version[:1] == "v" and version[1:].isdigit() else 0


def _inline(loading: _Loading, entry: Mapping[str, object], key: str, where: Location, owner: str
            ) -> dict[str, Mapping[str, object]]:
    out: dict[str, Mapping[str, object]] = {}
    for i, item in _entries(entry, key):
        name = _str(item, "PolicyName") or f"#{i}"
        doc_where = _at(where, key, i, "PolicyDocument")
        document = _document(loading, item.get("PolicyDocument"), doc_where, owner, (owner,))
        loading.documents.setdefault(f"{owner}:inline/{name}", doc_where)
        if document is not None:
            out[name] = document
    return out


def _attached(entry: Mapping[str, object]) -> tuple[str, ...]:
    return tuple(str(a["PolicyArn"]) for _, a in _entries(entry, "AttachedManagedPolicies")
                 if isinstance(a.get("PolicyArn"), str))


def _read_group(loading: _Loading, entry: Mapping[str, object], where: Location) -> None:
    arn = _str(entry, "Arn")
    match = _IAM_ARN.fullmatch(arn or "")
    if arn is None or match is None or match.group("kind") != "group":
        loading.report("inventory-bad-entry", "a group without an `Arn` of a group", where,
                       hint="each GroupDetailList entry has GroupName and Arn")
        return
    name = _str(entry, "GroupName") or match.group("name")
    group = _Group(arn, name, match.group("account"), _inline(loading, entry, "GroupPolicyList", where, arn),
                   _attached(entry))
    key = (group.account, name)
    earlier = loading.groups.get(key)
    if earlier is not None and (earlier.inline, earlier.attached) != (group.inline, group.attached):
        loading.report("inventory-duplicate", f"group `{arn}` is given twice with different policies", where,
                       breaks=(arn,), hint="give each account's details once")
    loading.groups.setdefault(key, group)


def _read_principal(loading: _Loading, entry: Mapping[str, object], kind: str, where: Location) -> None:
    arn = _str(entry, "Arn")
    match = _IAM_ARN.fullmatch(arn or "")
    if arn is None or match is None or match.group("kind") != kind or match.group("account") == "aws":
        loading.report("inventory-bad-entry", f"a {kind} without an `Arn` of a {kind}", where,
                       hint=f"each {'UserDetailList' if kind == 'user' else 'RoleDetailList'} entry has an Arn")
        return
    boundary = entry.get("PermissionsBoundary")
    boundary_arn = boundary.get("PermissionsBoundaryArn") if isinstance(boundary, dict) else None
    trust = None
    if kind == "role":
        loading.documents.setdefault(f"{arn}:trust", _at(where, "AssumeRolePolicyDocument"))
        trust = _document(loading, entry.get("AssumeRolePolicyDocument"), _at(where, "AssumeRolePolicyDocument"),
                          arn, (arn,))
    principal = Principal(
        arn, kind, _str(entry, "UserName" if kind == "user" else "RoleName") or match.group("name"),
        match.group("account"), match.group("partition"), match.group("path"), _tags(entry.get("Tags")),
        _inline(loading, entry, "UserPolicyList" if kind == "user" else "RolePolicyList", where, arn),
        _attached(entry),
        _names(entry.get("GroupList")) if kind == "user" else (),
        boundary_arn if isinstance(boundary_arn, str) else None, trust)
    earlier = loading.principals.get(arn)
    if earlier is None:
        loading.principals[arn] = (principal, where)
    elif _shape(earlier[0]) != _shape(principal):
        loading.report("inventory-duplicate", f"{kind} `{arn}` is given twice with different policies "
                       f"(also at {earlier[1].render()})", where, breaks=(arn,),
                       hint="give each account's details once")


def _names(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _shape(p: Principal) -> tuple[object, ...]:
    return (p.inline, p.attached, p.groups, p.boundary, p.trust, p.tags)


def _compile_all(loading: _Loading) -> None:
    """Compile every document once, for the profile each use of it needs."""
    boundaries = {p.boundary for p, _ in loading.principals.values() if p.boundary is not None}
    for arn, (policy, _) in loading.managed.items():
        loading.compile(arn, MANAGED, policy.document, ())
        if arn in boundaries:
            loading.compile(arn, BOUNDARY, policy.document, ())
    for group in loading.groups.values():
        for name, document in group.inline.items():
            loading.compile(f"{group.arn}:inline/{name}", "iam-group-inline", document, (group.arn,))
    for arn, (principal, _) in loading.principals.items():
        profile = "iam-user-inline" if principal.kind == "user" else "iam-role-inline"
        for name, document in principal.inline.items():
            loading.compile(f"{arn}:inline/{name}", profile, document, (arn,))
        if principal.trust is not None:
            loading.compile(f"{arn}:trust", "role-trust", principal.trust, (arn,))
    if loading.organization is not None:
        for policy_id, org_policy in loading.organization[0].policies.items():
            loading.compile(policy_id, "scp" if org_policy.type == SCP else "rcp", org_policy.document, ())
    for arn, (resource, _) in loading.resources.items():
        if resource.policy is not None:
            loading.compile(arn, "resource", resource.policy, (arn,))


def _resolve(loading: _Loading) -> None:
    """Report the references nothing defines, and break what they touch."""
    for arn, (principal, where) in loading.principals.items():
        for group in principal.groups:
            if (principal.account, group) not in loading.groups:
                loading.report("inventory-dangling-group", f"user `{arn}` is in group `{group}`, which the "
                               f"account's details do not hold", _at(where, "GroupList"), breaks=(arn,),
                               hint="collect the whole account (Filter with Group)")
        needed = list(principal.attached)
        if principal.boundary is not None:
            needed.append(principal.boundary)
        for group in principal.groups:
            found = loading.groups.get((principal.account, group))
            if found is not None:
                needed.extend(found.attached)
                loading.broken.setdefault(arn, []).extend(loading.broken.get(found.arn, ()))
        for policy_arn in dict.fromkeys(needed):
            if policy_arn not in loading.managed:
                loading.report("inventory-dangling-policy", f"`{arn}` uses managed policy `{policy_arn}`, which "
                               f"no Policies entry defines", where, breaks=(arn,),
                               hint="collect with the LocalManagedPolicy and AWSManagedPolicy filters")
            else:
                loading.broken.setdefault(arn, []).extend(loading.broken.get(policy_arn, ()))
    if loading.organization is not None:
        org = loading.organization[0]
        for account, levels in org.levels.items():
            if account == org.management_account:
                continue  # under no SCP or RCP
            for policy_id in {i for level in levels for i in level}:
                loading.broken.setdefault(account, []).extend(loading.broken.get(policy_id, ()))
    for arn in list(loading.broken):
        loading.broken[arn] = list(dict.fromkeys(loading.broken[arn]))
        if not loading.broken[arn]:
            del loading.broken[arn]


# ----- the organisation -----

def _read_organization(loading: _Loading, document: dict[str, object], source: Source) -> None:
    if loading.organization is not None:
        loading.report("inventory-duplicate", "a second organisation file (one organisation per inventory)",
                       Location(source, ()), hint="give the organisation once")
        return
    types = document.get("policy_types", [SCP])
    policy_types = frozenset(t for t in types if isinstance(t, str)) if isinstance(types, list) else frozenset({SCP})
    policies: dict[str, _OrgPolicy] = {}
    for policy_id, (full_kind, name) in FULL_ACCESS.items():
        policies[policy_id] = _OrgPolicy(policy_id, full_kind, name,
                                         _FULL_ACCESS_DOCUMENT if full_kind == SCP else _RCP_FULL_ACCESS_DOCUMENT)
    given = document.get("policies")
    for policy_id, entry in (given.items() if isinstance(given, dict) else ()):
        where = Location(source, ("policies", policy_id))
        kind = entry.get("type") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or kind not in (SCP, RCP):
            loading.report("inventory-bad-entry", f"organisation policy `{policy_id}` has no `type` of "
                           f"{SCP} or {RCP}", where, hint="each policy has type, name and document")
            continue
        loading.documents.setdefault(policy_id, _at(where, "document"))
        doc = _document(loading, entry.get("document"), _at(where, "document"), policy_id, (policy_id,))
        policies[policy_id] = _OrgPolicy(policy_id, str(kind), str(entry.get("name") or policy_id), doc)
    levels: dict[str, tuple[tuple[str, ...], ...]] = {}
    broken_nodes: dict[str, list[Diagnostic]] = {}  # account -> diagnostics of a level above it
    seen: set[str] = set()

    def walk(node: object, path: Path, above: tuple[tuple[str, ...], ...], faults: tuple[Diagnostic, ...]) -> None:
        where = Location(source, path)
        if not isinstance(node, dict):
            loading.report("inventory-bad-entry", "an organisation node that is not an object", where)
            return
        ids_value = node.get("policies", [])
        ids = tuple(i for i in ids_value if isinstance(i, str)) if isinstance(ids_value, list) else ()
        if RCP in policy_types and "p-RCPFullAWSAccess" not in ids:
            ids = (*ids, "p-RCPFullAWSAccess")  # attached to every node, and cannot be detached
        own = list(faults)
        for policy_id in ids:
            if policy_id not in policies:
                own.append(loading.report("inventory-dangling-policy", f"organisation policy `{policy_id}` is "
                                          f"attached but not defined", _at(where, "policies"),
                                          hint="list every SCP and RCP under `policies`, by its id"))
        account = node.get("account")
        here = (*above, ids)
        if account is not None:
            if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
                loading.report("inventory-bad-entry", f"organisation account `{account}` is not a 12-digit id",
                               _at(where, "account"))
                return
            if account in seen:
                own.append(loading.report("inventory-duplicate", f"account `{account}` is in the organisation "
                                          f"twice", where, hint="an account has one place in the tree"))
            seen.add(account)
            levels[account] = here
            if own:
                broken_nodes.setdefault(account, []).extend(own)
            return
        children = node.get("children", [])
        for i, child in enumerate(children if isinstance(children, list) else ()):
            walk(child, (*path, "children", i), here, tuple(own))

    root = document.get("root")
    if not isinstance(root, dict):
        loading.report("inventory-bad-entry", "the organisation has no `root` object", Location(source, ()),
                       hint="root: {id, policies, children}")
    else:
        walk(root, ("root",), (), ())
    management = document.get("management_account")
    for account, faults in broken_nodes.items():
        if account != management:  # (under no SCP or RCP)
            loading.broken.setdefault(account, []).extend(faults)
    org = Organization(str(document.get("id") or ""), management if isinstance(management, str) else None,
                       policy_types, policies, levels)
    loading.organization = (org, Location(source, ()))


# ----- resources -----

def _read_resources(loading: _Loading, document: dict[str, object], source: Source) -> None:
    from qiam.resource_types import type_of_arn

    entries = document.get("resources")
    if not isinstance(entries, list):
        loading.report("inventory-bad-entry", "a resources file without a `resources` list", Location(source, ()))
        return
    for i, entry in enumerate(entries):
        where = Location(source, ("resources", i))
        arn = entry.get("arn") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(arn, str) or arn.count(":") < 5:
            loading.report("inventory-bad-entry", "a resource without an `arn`", where,
                           hint="each resource has arn, and policy when it has one")
            continue
        fields = arn.split(":", 5)
        account = _str(entry, "account") or fields[4] or None
        region = _str(entry, "region") or fields[3] or None
        kind = _str(entry, "type") or type_of_arn(arn) or f"{fields[2]}:unknown"
        policy_value = entry.get("policy")
        breaks = (arn,)
        loading.documents.setdefault(arn, _at(where, "policy"))
        policy = None if policy_value is None else _document(loading, policy_value, _at(where, "policy"), arn, breaks)
        if account is None:
            loading.report("inventory-bad-entry", f"resource `{arn}` has no account (its ARN carries none)",
                           _at(where, "account"), breaks=breaks,
                           hint="give `account`, the 12-digit id of the account that owns it")
        resource = Resource(arn, kind, account, region, policy, _tags(entry.get("tags")))
        earlier = loading.resources.get(arn)
        if earlier is None:
            loading.resources[arn] = (resource, where)
        elif (earlier[0].policy, earlier[0].account) != (resource.policy, resource.account):
            loading.report("inventory-duplicate", f"resource `{arn}` is given twice with different policies "
                           f"(also at {earlier[1].render()})", where, breaks=breaks,
                           hint="give each resource once")


# ----- what-if overlays -----

OVERLAY_FORMAT = "qiam-overlay/1"


def _overlay_error(path: FsPath, message: str) -> InventoryError:
    return InventoryError(f"{path}: {message}", code="invalid-overlay",
                          hint=f"an overlay is a JSON object with \"format\": \"{OVERLAY_FORMAT}\" (docs/inventory.md)")


def _apply_overlay(loading: _Loading, path: FsPath) -> None:
    """Change what the loaded files say, as the overlay asks: a principal's policies, a managed policy's
    document, an organisation policy's document, a resource's policy."""
    try:
        overlay = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise _overlay_error(path, f"not JSON: {exc}") from None
    if not isinstance(overlay, dict) or overlay.get("format") != OVERLAY_FORMAT:
        raise _overlay_error(path, "not an overlay")
    unknown = set(overlay) - {"format", "principals", "managed_policies", "organization_policies", "resources"}
    if unknown:
        raise _overlay_error(path, f"unknown member `{sorted(unknown)[0]}`")
    source = Source(str(path), data=path.read_bytes())

    def document(value: object, where: Path) -> Mapping[str, object] | None:
        if value is None:
            return None
        found = _document(loading, value, Location(source, where), str(path), ())
        if found is None:
            raise _overlay_error(path, f"the document at {Location(source, where).dotted} does not read")
        return found

    for arn, change in _members(overlay, "principals", path):
        entry = loading.principals.get(arn)
        if entry is None:
            raise _overlay_error(path, f"`{arn}` is not a principal of the inventory")
        principal = entry[0]
        inline = dict(principal.inline)
        for name, doc in _object(change.get("inline", {}), path, "inline").items():
            if doc is None:
                inline.pop(name, None)
            else:
                inline[name] = document(doc, ("principals", arn, "inline", name)) or {}
                loading.documents[f"{arn}:inline/{name}"] = Location(source, ("principals", arn, "inline", name))
        attached = [a for a in principal.attached if a not in set(_strings(change.get("detach", []), path))]
        attached += [a for a in _strings(change.get("attach", []), path) if a not in attached]
        boundary = change.get("boundary", principal.boundary)
        if boundary is not None and not isinstance(boundary, str):
            raise _overlay_error(path, f"the boundary of `{arn}` is not an ARN or null")
        trust = principal.trust
        if "trust" in change:
            trust = document(change["trust"], ("principals", arn, "trust"))
        changed = replace(principal, inline=inline, attached=tuple(attached), boundary=boundary, trust=trust)
        loading.principals[arn] = (changed, entry[1])
    for arn, doc in _members(overlay, "managed_policies", path):
        earlier = loading.managed.get(arn)
        policy = ManagedPolicy(arn, earlier[0].name if earlier else arn.rsplit("/", 1)[-1], "overlay",
                               document(doc, ("managed_policies", arn)))
        loading.managed[arn] = (policy, Location(source, ("managed_policies", arn)))
        loading.documents[arn] = Location(source, ("managed_policies", arn))
        loading.broken.pop(arn, None)
    if loading.organization is not None:
        org = loading.organization[0]
        policies = dict(org.policies)
        for policy_id, doc in _members(overlay, "organization_policies", path):
            if policy_id not in policies:
                raise _overlay_error(path, f"`{policy_id}` is not a policy of the organisation")
            policies[policy_id] = replace(policies[policy_id],
                                          document=document(doc, ("organization_policies", policy_id)))
            loading.documents[policy_id] = Location(source, ("organization_policies", policy_id))
        loading.organization = (replace(org, policies=policies), loading.organization[1])
    elif overlay.get("organization_policies"):
        raise _overlay_error(path, "the inventory has no organisation whose policies to change")
    for arn, doc in _members(overlay, "resources", path):
        known = loading.resources.get(arn)
        from qiam.resource_types import type_of_arn

        fields = arn.split(":", 5)
        base = known[0] if known else Resource(arn, type_of_arn(arn) or "", fields[4] or None,
                                                   fields[3] or None, None, {})
        loading.resources[arn] = (replace(base, policy=document(doc, ("resources", arn))),
                                  Location(source, ("resources", arn)))
        loading.documents[arn] = Location(source, ("resources", arn))


def _members(overlay: Mapping[str, object], key: str, path: FsPath) -> Iterator[tuple[str, Mapping[str, object]]]:
    value = overlay.get(key, {})
    if not isinstance(value, dict):
        raise _overlay_error(path, f"`{key}` is not an object")
    yield from value.items()


def _object(value: object, path: FsPath, key: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise _overlay_error(path, f"`{key}` is not an object")
    return value


def _strings(value: object, path: FsPath) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _overlay_error(path, "`attach` and `detach` are lists of managed policy ARNs")
    return value
