"""model.Policy → ValidationReport under a profile (semantics.md §1). Never raises.

A profile names the kind of policy (identity, resource, trust, SCP, ...) and
the rules that go with it. By default quotas are storage limits that only warn
(the decision is still given); ``storage=True`` checks a policy for storing,
where they are errors (semantics.md §1.8).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qiam import variables
from qiam._impl import current
from qiam._source import Source
from qiam import shapes
from qiam.errors import Diagnostic, Location, Path, Severity
from qiam.keys import KeyType, global_key
from qiam.model import ABSENT, POLICY_ELEMENTS, STATEMENT_ELEMENTS, VERSION_2008, VERSION_2012, Policy
from qiam.operators import (
    FAMILY_RULES,
    NULL,
    Family,
    Operator,
    condition_value_text,
    parse_bool,
    parse_operator,
)

if TYPE_CHECKING:  # the catalog is imported only when a check asks for it
    from qiam.catalog import ActionInfo, Catalog


@dataclass(frozen=True, slots=True)
class Profile:
    """The rules for one kind of policy."""

    name: str
    kind: str  # identity, boundary, session, resource, role-trust, scp, rcp, vpce
    principal: bool  # True: Principal or NotPrincipal required; False: forbidden
    resource: str  # "required" or "forbidden"
    version_required: bool  # Version must be 2012-10-17 (else only a warning when missing)
    iam_document: bool  # IAM's Sid and character-set rules
    quota: int | None = None
    quota_counts_whitespace: bool = False

    @property
    def identity_like(self) -> bool:
        """Whether this is an identity-based kind (identity, boundary, session)."""
        return self.kind in ("identity", "boundary", "session")


def _profiles() -> dict[str, Profile]:
    managed = Profile("identity", "identity", False, "required", True, True, 6_144)
    table = {
        "identity": managed,
        "iam-identity-managed": Profile("iam-identity-managed", "identity", False, "required", True, True, 6_144),
        "iam-user-inline": Profile("iam-user-inline", "identity", False, "required", False, True, 2_048),
        "iam-group-inline": Profile("iam-group-inline", "identity", False, "required", False, True, 5_120),
        "iam-role-inline": Profile("iam-role-inline", "identity", False, "required", False, True, 10_240),
        "permissions-boundary": Profile("permissions-boundary", "boundary", False, "required", True, True, 6_144),
        "session": Profile("session", "session", False, "required", False, True, 2_048),
        "resource": Profile("resource", "resource", True, "required", False, False),
        "role-trust": Profile("role-trust", "role-trust", True, "forbidden", False, True, 2_048),
        "scp": Profile("scp", "scp", False, "required", False, False, 5_120, True),
        "rcp": Profile("rcp", "rcp", True, "required", True, False, 5_120, True),
        "vpce": Profile("vpce", "vpce", True, "required", False, False, 20_480),
    }
    table["iam-identity-inline"] = table["iam-role-inline"]
    return table


PROFILES: dict[str, Profile] = _profiles()


def get_profile(profile: str | Profile) -> Profile:
    """The profile of that name; ValueError listing the names if there is none."""
    if isinstance(profile, Profile):
        return profile
    found = PROFILES.get(profile)
    if found is None:
        raise ValueError(f"unknown profile `{profile}`; profiles: {', '.join(sorted(PROFILES))}")
    return found


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Every finding of a validation, in document order."""

    diagnostics: tuple[Diagnostic, ...]
    profile: str

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Findings that make the policy unusable."""
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """Findings that inform; evaluation proceeds."""
        return tuple(d for d in self.diagnostics if d.severity is Severity.WARNING)

    @property
    def suggestions(self) -> tuple[Diagnostic, ...]:
        """Findings about style."""
        return tuple(d for d in self.diagnostics if d.severity is Severity.SUGGESTION)

    @property
    def valid(self) -> bool:
        """Whether there is no error."""
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by ``qiam validate --json``."""
        return {
            "profile": self.profile,
            "valid": self.valid,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }


def validate_policy(policy: Policy, profile: str | Profile = "identity", *, storage: bool = False,
                    catalog: Catalog | bool = False) -> ValidationReport:
    """Check a policy against the grammar and the rules of a profile.

    Parameters
    ----------
    policy : Policy
        From ``parse_policy``.
    profile : str or Profile
        One of ``PROFILES``: ``identity`` (an IAM managed or inline identity
        policy), ``iam-identity-managed``, ``iam-user-inline``,
        ``iam-group-inline``, ``iam-role-inline``, ``permissions-boundary``,
        ``session``, ``resource``, ``role-trust``, ``scp``, ``rcp``, ``vpce``.
    storage : bool
        Check for storing: size quotas and ``Allow`` with ``NotPrincipal``
        become errors instead of warnings.
    catalog : Catalog or bool
        Also check actions, condition keys and resources against AWS's action
        catalog (True: the installed one). Its findings are warnings only.

    Returns
    -------
    ValidationReport
        Never raises for any policy.

    Examples
    --------
    >>> from qiam import parse_policy
    >>> report = validate_policy(parse_policy(
    ...     '{"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Action": "s3:*", "Resource": "*"}]}'))
    >>> [(d.code, d.location.pointer) for d in report.errors]
    [('invalid-effect', '/Statement/0/Effect')]
    """
    checker = _Checker(policy, get_profile(profile), storage)
    checker.run(statements=True)
    if catalog is not False:
        from qiam.catalog import load_catalog

        checker.check_with_catalog(load_catalog() if catalog is True else catalog)
    return ValidationReport(tuple(checker.found), checker.profile.name)


def validate_outline(policy: Policy, profile: str | Profile = "identity", *, storage: bool = False
                     ) -> ValidationReport:
    """``validate_policy`` without looking inside the statements.

    For a policy whose statements a compiler has vouched for (``qiam._front``):
    ``Statement`` a non-empty list of objects or one object, their Sids unique,
    and nothing in any statement that validation would report. This checks the
    rest (the policy's elements, Version and Id, its characters and its size),
    and for such a policy gives the same report as ``validate_policy``.
    """
    prof = get_profile(profile)
    if _plain_outline(policy, prof):
        return ValidationReport((), prof.name)
    checker = _Checker(policy, prof, storage)
    checker.run(statements=False)
    return ValidationReport(tuple(checker.found), checker.profile.name)


def _plain_outline(policy: Policy, profile: Profile) -> bool:
    """Whether the outline's checks have nothing to say, seen at a glance: only Version 2012-10-17 and
    Statement, text in ASCII without \\u escapes (so no character IAM refuses), within the quota."""
    raw = policy.raw
    source = policy.source
    if len(raw) != 2 or "Statement" not in raw or raw.get("Version") != VERSION_2012 or source.rendered:
        return False
    text = source.text
    return (text is not None and text.isascii() and ("\\" not in text or "\\u" not in text)
            and (profile.quota is None or len(text) <= profile.quota))


def size_finding(source: Source, profile: Profile, length: int, whitespace: int, *, storage: bool = False
                 ) -> Diagnostic | None:
    """What the profile's size quota says of a policy text of ``length`` characters, ``whitespace`` of
    them JSON whitespace between tokens (which the quota may leave out; whitespace inside strings
    counts): None, or a warning (an error when checking for storing)."""
    if profile.quota is None:
        return None
    size = length if profile.quota_counts_whitespace else length - whitespace
    if size <= profile.quota:
        return None
    counted = "characters" if profile.quota_counts_whitespace else "characters, not counting whitespace"
    return Diagnostic(Severity.ERROR if storage else Severity.WARNING, "policy-too-large",
                      f"the policy has {size:,} {counted}; {_a(profile.name)} policy may have {profile.quota:,}",
                      Location(source, ()), "a storage quota: AWS would refuse to store it, but it is evaluated as "
                      "written")


def plain_condition_key(operator: Operator, key: str, values: str | tuple[str, ...]) -> bool:
    """Whether one key of a String, Arn, Bool or Null operator is clean, by a shortcut through the checks.

    A key with a service prefix and at least one value, none with ``${``; no
    ``*`` or ``?`` where the operator reads them literally, ``true`` or
    ``false`` (one value for Bool) where it wants a boolean; and a set prefix
    exactly when a global key is multivalued (or, for Null, never on a
    single-valued one): ``check_condition_key`` has nothing to say about it.
    False says only that the checks must look.
    """
    family = operator.spec.family
    rules = FAMILY_RULES[family]
    # The families the compiled loop serves: those without a reader, and the boolean ones.
    if not rules.front_kind or (rules.read is not None and rules.read is not parse_bool):
        return False
    if ":" not in key or not values:
        return False
    texts = (values,) if isinstance(values, str) else values
    joined = "".join(texts)
    if "${" in joined:
        return False
    if rules.literal and ("*" in joined or "?" in joined):
        return False
    if rules.read is not None and ((rules.one_value and len(texts) > 1)
                                   or any(rules.read(t) is None for t in texts)):
        return False
    key_type = global_key(key)
    if key_type is None:
        return True
    if operator.set_prefix:
        return key_type.multivalued
    return family is NULL or not key_type.multivalued


class ElementVerdicts:
    """Whether validation would report anything about one element of a statement, judged alone.

    The compiler's statement loop (``qiam._front``) vouches for a statement
    from its outline and these verdicts on its Action (or NotAction), Resource
    (or NotResource) and Condition values. Not for RCPs, whose Action rules
    look at the whole statement.
    """

    __slots__ = ("_checker",)

    def __init__(self, profile: Profile, reads_variables: bool) -> None:
        version = VERSION_2012 if reads_variables else VERSION_2008
        self._checker = _Checker(Policy({"Version": version}, Source(None)), profile, False)

    def _reset(self) -> _Checker:
        self._checker.found.clear()
        return self._checker

    def actions(self, value: Any) -> bool:
        """Whether an Action (or NotAction) value is clean."""
        checker = self._reset()
        checker.check_actions({"Action": value}, (), None)
        return not checker.found

    def resources(self, value: Any) -> bool:
        """Whether a Resource (or NotResource) value is clean."""
        checker = self._reset()
        checker.check_resources({"Resource": value}, ())
        return not checker.found

    def condition(self, value: Any) -> bool:
        """Whether a Condition block is clean."""
        checker = self._reset()
        checker.check_condition(value, ("Condition",))
        return not checker.found


_VENDOR = shapes.VENDOR
_SID = re.compile(r"[0-9A-Za-z]*")
_BAD_CHAR = re.compile(r"[^\t\n\r\x20-\xff]")
_WILDCARD = re.compile(r"[*?]")
_VARIABLE = re.compile(r"\$\{[^}]*\}")

PARTITIONS = shapes.PARTITIONS
IAM_RESOURCE_TYPES = shapes.IAM_RESOURCE_TYPES
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
EXAMPLE_ACCOUNTS = shapes.EXAMPLE_ACCOUNTS
PLACEHOLDER_REGIONS = shapes.PLACEHOLDER_REGIONS


class _Checker:
    """One validation run: walks the policy and collects diagnostics."""

    def __init__(self, policy: Policy, profile: Profile, storage: bool) -> None:
        self.policy = policy
        self.profile = profile
        self.storage = storage
        self.source = policy.source
        self.found: list[Diagnostic] = []
        self.reads_variables = policy.reads_variables

    def add(self, severity: Severity, code: str, message: str, path: Path,
            *, key: bool = False, hint: str | None = None) -> None:
        self.found.append(Diagnostic(severity, code, message, Location(self.source, path, key), hint))

    def error(self, code: str, message: str, path: Path, **kw: Any) -> None:
        self.add(Severity.ERROR, code, message, path, **kw)

    def warn(self, code: str, message: str, path: Path, **kw: Any) -> None:
        self.add(Severity.WARNING, code, message, path, **kw)

    # ----- the document -----

    def run(self, *, statements: bool) -> None:
        raw = self.policy.raw
        for key in raw:
            if key not in POLICY_ELEMENTS:
                self.error("unknown-element", f"unknown policy element `{key}`", (key,), key=True,
                           hint=_close_element(key, POLICY_ELEMENTS))
        self.check_version(raw.get("Version", ABSENT))
        policy_id = raw.get("Id", ABSENT)
        if policy_id is not ABSENT:
            if not isinstance(policy_id, str):
                self.error("wrong-type", "`Id` must be a string", ("Id",))
            elif self.profile.identity_like:
                self.warn("id-in-identity-policy", "`Id` has no place in an identity-based policy",
                          ("Id",), key=True, hint="IAM accepts it, but the grammar says not to use it")
        if statements:
            self.check_statements(raw.get("Statement", ABSENT))
        self.check_text()

    def check_version(self, version: Any) -> None:
        profile = self.profile
        if version is ABSENT:
            if profile.version_required:
                self.error("version-required", f"{_a(profile.name)} policy must have `Version` 2012-10-17",
                           (), hint='add "Version": "2012-10-17"')
            else:
                self.warn("missing-version", "no `Version`: the policy is read as 2008-10-17, without "
                          "policy variables", (), hint='add "Version": "2012-10-17"')
            return
        if not isinstance(version, str) or version not in (VERSION_2012, VERSION_2008):
            self.error("invalid-version", f"`Version` must be \"2012-10-17\" or \"2008-10-17\", not "
                       f"`{version}`", ("Version",), hint='use "2012-10-17"')
        elif version == VERSION_2008 and profile.version_required:
            self.error("version-required", f"{_a(profile.name)} policy must have `Version` 2012-10-17",
                       ("Version",), hint='use "2012-10-17"')

    def check_statements(self, statements: Any) -> None:
        if statements is ABSENT:
            self.error("missing-statement", "the policy has no `Statement`", (),
                       hint='add "Statement": [...]')
            return
        if isinstance(statements, list):
            if not statements:
                self.error("empty-statement", "`Statement` is an empty list", ("Statement",))
            for i, item in enumerate(statements):
                if not isinstance(item, Mapping):
                    self.error("wrong-type", "a statement must be a JSON object", ("Statement", i))
        elif not isinstance(statements, Mapping):
            self.error("wrong-type", "`Statement` must be an object or a list of objects", ("Statement",))
        sids: dict[str, Path] = {}
        for statement in self.policy.statements:
            self.check_statement(statement.raw, statement.path)
            sid = statement.raw.get("Sid")
            if isinstance(sid, str) and sid:
                if sid in sids:
                    message = f"Sid `{sid}` is used by two statements"
                    if self.profile.iam_document:
                        self.error("duplicate-sid", message, statement.path + ("Sid",),
                                   hint="Sids must be unique in an IAM policy")
                    else:
                        self.warn("duplicate-sid", message, statement.path + ("Sid",))
                else:
                    sids[sid] = statement.path

    # ----- one statement -----

    def check_statement(self, st: Mapping[str, Any], path: Path) -> None:
        for key in st:
            if key not in STATEMENT_ELEMENTS:
                self.error("unknown-element", f"unknown statement element `{key}`", path + (key,),
                           key=True, hint=_close_element(key, STATEMENT_ELEMENTS))
        sid = st.get("Sid", ABSENT)
        if sid is not ABSENT:
            if not isinstance(sid, str):
                self.error("wrong-type", "`Sid` must be a string", path + ("Sid",))
            elif self.profile.iam_document and not _SID.fullmatch(sid):
                self.error("invalid-sid", f"Sid `{sid}` may hold only ASCII letters and digits",
                           path + ("Sid",), hint="IAM checks Sids against [0-9A-Za-z]*")
        effect = self.check_effect(st.get("Effect", ABSENT), path)
        self.check_actions(st, path, effect)
        self.check_resources(st, path)
        self.check_principals(st, path, effect)
        condition = st.get("Condition", ABSENT)
        if condition is not ABSENT:
            self.check_condition(condition, path + ("Condition",))

    def check_effect(self, effect: Any, path: Path) -> str | None:
        if effect is ABSENT:
            self.error("missing-effect", "the statement has no `Effect`", path, hint='add "Effect": "Allow"')
            return None
        if effect in ("Allow", "Deny"):
            return str(effect)
        hint = None
        if isinstance(effect, str) and effect.lower() in ("allow", "deny"):
            hint = f"did you mean `{effect.capitalize()}`? Effect is case-sensitive"
        self.error("invalid-effect", f"`Effect` must be \"Allow\" or \"Deny\", not `{effect}`",
                   path + ("Effect",), hint=hint)
        return None

    def pair(self, st: Mapping[str, Any], path: Path, name: str, code: str) -> tuple[str, Any] | None:
        """The one of ``name`` / ``Not{name}`` present; reports when both are."""
        plain, negated = st.get(name, ABSENT), st.get("Not" + name, ABSENT)
        if plain is not ABSENT and negated is not ABSENT:
            self.error(code, f"a statement cannot have both `{name}` and `Not{name}`",
                       path + ("Not" + name,), key=True, hint=f"keep one of `{name}` and `Not{name}`")
        if plain is not ABSENT:
            return name, plain
        if negated is not ABSENT:
            return "Not" + name, negated
        return None

    def strings(self, value: Any, path: Path, element: str, *, allow_null: bool = False
                ) -> Iterator[tuple[int | None, str]]:
        """The strings of a string-or-list element, reporting items of other types."""
        if isinstance(value, str):
            yield None, value
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    yield i, item
                elif item is None and allow_null:
                    continue
                else:
                    self.error("wrong-type", f"`{element}` entries must be strings", path + (i,))
        else:
            self.error("wrong-type", f"`{element}` must be a string or a list of strings", path)

    def check_actions(self, st: Mapping[str, Any], path: Path, effect: str | None) -> None:
        found = self.pair(st, path, "Action", "action-and-notaction")
        if found is None:
            self.error("missing-action", "the statement has no `Action` or `NotAction`", path,
                       hint='add "Action": [...]')
            return
        element, value = found
        epath = path + (element,)
        if value == []:
            self.error("empty-action", f"`{element}` is an empty list", epath)
        if self.profile.kind == "rcp" and element == "NotAction":
            self.error("rcp-notaction", "resource control policies do not support `NotAction`", epath, key=True)
        if self.profile.kind != "rcp" and _all_plain(value, _PLAIN_ACTIONS):
            return  # every entry is `*` or vendor:name: nothing to report
        for i, action in self.strings(value, epath, element):
            apath = epath if i is None else epath + (i,)
            if action == "*":
                if self.profile.kind == "rcp" and not _is_rcp_full_access(st):
                    self.error("rcp-action-star", "a resource control policy cannot use `*` alone as an action",
                               apath, hint='name the actions, e.g. "s3:*"')
                continue
            if self.reads_variables and "${" in action:
                self.error("variable-not-allowed", "policy variables cannot be used in actions", apath)
            colons = action.count(":")
            if colons == 0:
                self.error("action-missing-vendor", f"action `{action}` has no service prefix", apath,
                           hint="write actions as `service:Action`, e.g. `s3:GetObject`")
            elif colons > 1:
                self.error("action-too-many-colons", f"action `{action}` has more than one colon", apath)
            else:
                vendor = action.split(":", 1)[0]
                if not _VENDOR.fullmatch(vendor):
                    self.error("invalid-vendor", f"service prefix `{vendor}` is not valid", apath,
                               hint="a service prefix holds only letters, digits, `-` and `.`, no wildcards")

    def check_resources(self, st: Mapping[str, Any], path: Path) -> None:
        found = self.pair(st, path, "Resource", "resource-and-notresource")
        if self.profile.resource == "forbidden":
            if found is not None:
                self.error("resource-not-allowed", f"{_a(self.profile.name)} policy cannot have `{found[0]}`",
                           path + (found[0],), key=True, hint="the resource of a trust policy is the role itself")
            return
        if found is None:
            self.error("missing-resource", "the statement has no `Resource` or `NotResource`", path,
                       hint='add "Resource": "*" or the ARNs it applies to')
            return
        element, value = found
        epath = path + (element,)
        # Null members are ignored (semantics.md §1.1), so they are dropped before the emptiness
        # test: a list of only nulls is empty, and an empty Resource would match nothing (so a
        # NotResource would match everything).
        if isinstance(value, list) and not [v for v in value if v is not None]:
            nulls = " (its null members are ignored)" if value else ""
            self.error("empty-resource", f"`{element}` is an empty list{nulls}", epath)
        if _all_plain(value, _PLAIN_ARNS):
            return  # every entry is `*` or an ARN none of the checks below would remark on
        for i, resource in self.strings(value, epath, element, allow_null=True):
            self.check_arn(resource, epath if i is None else epath + (i,))

    def check_arn(self, resource: str, path: Path) -> None:
        if resource == "*":
            return
        if ":" not in resource:
            self.error("invalid-arn", f"resource `{resource}` must be an ARN or `*`", path,
                       hint="ARNs look like arn:aws:service:region:account:resource")
            return
        fields = resource.split(":", 5)
        if fields[0] != "arn" and not _WILDCARD.search(fields[0]):
            self.error("invalid-arn", f"resource `{resource}` must be an ARN or `*`", path,
                       hint="ARNs start with `arn:`")
            return
        partition = fields[1]
        if partition not in PARTITIONS and not _WILDCARD.search(partition):
            self.error("invalid-partition", f"partition `{partition}` is not valid in resource `{resource}`",
                       path, hint="partitions are aws, aws-cn, aws-us-gov and the ISO partitions")
        if len(fields) == 2 or not fields[2]:
            self.error("arn-missing-service", f"resource `{resource}` has no service", path)
            return
        if len(fields) < 6:
            if "::" in resource:
                self.error("invalid-arn", f"resource `{resource}` has too few fields for an ARN", path,
                           hint="an ARN has six fields: arn:partition:service:region:account:resource")
            else:
                self.warn("short-arn", f"resource `{resource}` has fewer than the six fields of an ARN", path,
                          hint="AWS stores it; qiam reads the missing fields as `*` in identity policies "
                               "(semantics.md §2.2, DISPUTED)")
            return
        _, _, service, region, account, rest = fields
        if self.reads_variables and "${" in ":".join(fields[:5]):
            self.error("variable-not-allowed", "policy variables can only stand in the resource part of an ARN",
                       path)
        self.check_placeholders(resource, region, account, path)
        if service != service.lower():
            self.error("arn-service-case", f"the service `{service}` of an ARN must be lower case", path,
                       hint=f"write `{service.lower()}`")
        if _WILDCARD.search(service):
            self.add(Severity.SUGGESTION, "wildcard-in-arn-service",
                     f"wildcard in the service of resource `{resource}`", path)
        if service == "iam":
            if region:
                self.error("arn-region-not-allowed", f"IAM resource `{resource}` cannot have a region", path)
            if rest != "*" and not rest.startswith(IAM_RESOURCE_TYPES):
                kind = re.split(r"[/:]", rest, maxsplit=1)[0]
                if _WILDCARD.search(kind):
                    self.warn("wildcard-in-resource-type",
                              f"wildcard in the resource type of `{resource}`", path,
                              hint="AWS documents wildcards in the resource type as not allowed")
                else:
                    self.error("invalid-iam-resource", f"IAM resource `{resource}` is not of a known IAM "
                               "resource type", path, hint="IAM resources start with user/, role/, group/, "
                               "policy/, instance-profile/ and the like")
        elif service == "s3" and region and not account and not _WILDCARD.search(region):
            self.error("arn-region-not-allowed", f"S3 resource `{resource}` cannot have a region", path)
        if self.reads_variables and "${" in rest:
            self.check_variable_syntax(rest, path)
        elif not self.reads_variables and _VARIABLE.search(rest):
            self.variable_in_old_version(path)

    def variable_in_old_version(self, path: Path) -> None:
        # An error for storing ([AA] "Variable unsupported in version"); when evaluating, a
        # warning: AWS stores such policies and reads the text literally (semantics.md E37).
        self.add(Severity.ERROR if self.storage else Severity.WARNING, "variable-unsupported-version",
                 "`${...}` is read as literal text: policy variables need Version 2012-10-17", path,
                 hint='set "Version": "2012-10-17" to use policy variables')

    def check_placeholders(self, resource: str, region: str, account: str, path: Path) -> None:
        """Words a document example put where a real region or account belongs."""
        written = region.lower() in PLACEHOLDER_REGIONS or (
            region and not _WILDCARD.search(region) and "${" not in region and not _REGION.fullmatch(region))
        if written:
            self.warn("placeholder-in-arn", f"`{region}` in `{resource}` is not a region", path,
                      hint="a placeholder to fill in: qiam tasks --region fills it")
        example = account in EXAMPLE_ACCOUNTS
        if example or (account and not _WILDCARD.search(account) and "${" not in account
                       and not _ACCOUNT.fullmatch(account)):
            what = "AWS's documentation example account" if example else "not an account ID"
            self.warn("placeholder-in-arn", f"`{account}` in `{resource}` is {what}", path,
                      hint="a placeholder to fill in: qiam tasks --account fills it")

    def check_principals(self, st: Mapping[str, Any], path: Path, effect: str | None) -> None:
        found = self.pair(st, path, "Principal", "principal-and-notprincipal")
        profile = self.profile
        if not profile.principal:
            if found is not None:
                self.error("principal-not-allowed", f"{_a(profile.name)} policy cannot have `{found[0]}`",
                           path + (found[0],), key=True,
                           hint="principals belong in resource-based and trust policies")
            return
        if found is None:
            self.error("missing-principal", f"{_a(profile.name)} policy statement needs `Principal`", path,
                       hint='add "Principal": {"AWS": "..."}')
            return
        element, value = found
        epath = path + (element,)
        if element == "NotPrincipal":
            if profile.kind in ("role-trust", "rcp"):
                self.error("principal-not-allowed", f"{_a(profile.name)} policy cannot have `NotPrincipal`",
                           epath, key=True)
            elif effect == "Allow":
                self.add(Severity.ERROR if self.storage else Severity.WARNING, "allow-with-notprincipal",
                         "`Allow` with `NotPrincipal` grants to everyone not listed, anonymous callers "
                         "included", epath, key=True, hint="AWS no longer supports this; use Principal")
        if profile.kind == "rcp":
            if value != "*" and value != {"AWS": "*"}:
                self.error("rcp-principal", "a resource control policy statement's `Principal` must be `*`",
                           epath, hint='write "Principal": "*" and narrow with conditions')
            if effect == "Allow" and not _is_rcp_full_access(st):
                self.error("rcp-allow", "a customer resource control policy can only deny", path + ("Effect",),
                           hint="RCPs never grant; only the AWS managed RCPFullAWSAccess allows")
            return
        if value == "*":
            return
        if not isinstance(value, Mapping):
            self.error("wrong-type", f"`{element}` must be `*` or an object", epath)
            return
        if not value:
            self.warn("empty-principal", f"`{element}` is an empty object: it names no one", epath)
        for kind, names in value.items():
            kpath = epath + (kind,)
            if kind not in PRINCIPAL_TYPES:
                self.error("unknown-principal-type", f"unknown principal type `{kind}`", kpath, key=True,
                           hint=_close_element(kind, PRINCIPAL_TYPES))
                continue
            if names == []:
                self.warn("empty-principal", f"`{kind}` is an empty list: it names no one", kpath)
            for i, name in self.strings(names, kpath, kind):
                if "${" in name and _VARIABLE.search(name):
                    self.error("variable-not-allowed", "policy variables cannot be used in principals",
                               kpath if i is None else kpath + (i,))
                    continue
                if name != "*" and _WILDCARD.search(name):
                    self.error("partial-wildcard-principal", f"principal `{name}` uses a wildcard for part "
                               "of a name", kpath if i is None else kpath + (i,),
                               hint='only the whole value "*" is a wildcard; narrow it with aws:PrincipalArn')

    # ----- conditions -----

    def check_condition(self, condition: Any, path: Path) -> None:
        if not isinstance(condition, Mapping):
            self.error("wrong-type", "`Condition` must be an object", path)
            return
        if not condition:
            self.warn("empty-condition", "empty `Condition` block: the statement is read as unconditional",
                      path, hint="remove it, or add the conditions meant (semantics.md §3.1, DISPUTED)")
        for op_text, body in condition.items():
            opath = path + (op_text,)
            operator = parse_operator(op_text)
            if not isinstance(operator, Operator):
                empty = isinstance(body, Mapping) and not body
                # IAM accepts an unknown operator over an empty body (semantics.md §1.9 item 15).
                severity = Severity.WARNING if empty and operator.code == "unknown-operator" else Severity.ERROR
                self.add(severity, operator.code, operator.message, opath, key=True, hint=operator.hint)
                continue
            if not isinstance(body, Mapping):
                self.error("wrong-type", f"the body of `{op_text}` must be an object of keys and values", opath)
                continue
            if not body:
                self.warn("empty-condition", f"`{op_text}` has no keys", opath)
            seen: dict[str, str] = {}
            for key, value in body.items():
                folded = key.lower()
                if folded in seen:
                    self.error("duplicate-condition-key", f"condition key `{key}` repeats `{seen[folded]}`; "
                               "keys are case-insensitive", opath + (key,), key=True)
                seen.setdefault(folded, key)
                self.check_condition_key(operator, key, value, opath + (key,))

    def check_condition_key(self, operator: Operator, key: str, value: Any, path: Path) -> None:
        spec = operator.spec
        if ":" not in key:
            self.error("invalid-condition-key", f"condition key `{key}` has no service prefix", path, key=True,
                       hint="condition keys look like aws:SourceIp or s3:prefix")
        if isinstance(value, list):
            items = value
            if not items:
                self.warn("empty-condition-values", f"`{key}` has an empty value list under `{operator.text}`",
                          path, hint="a positive operator with no value never matches (semantics.md §3.1, "
                          "DISPUTED)")
        else:
            items = [value]
        texts: list[tuple[Path, str]] = []
        for i, item in enumerate(items):
            ipath = path + (i,) if isinstance(value, list) else path
            text = condition_value_text(item)
            if text is None:
                self.error("wrong-type", f"condition values must be strings, numbers or booleans, not "
                           f"{_type_name(item)}", ipath)
                continue
            texts.append((ipath, text))
        if FAMILY_RULES[spec.family].one_value and len(texts) > 1:
            self.error("bool-multiple-values", f"`{key}` has several values under `{spec.name}`", path,
                       hint="a boolean key has one value; write it once")
        for ipath, text in texts:
            if not self.reads_variables and spec.variables and _VARIABLE.search(text):
                self.variable_in_old_version(ipath)
            if self.reads_variables and "${" in text:
                parts = self.check_variable_syntax(text, ipath)
                if parts and any(isinstance(p, variables.Variable) for p in parts) and not spec.variables:
                    self.error("variable-not-allowed", f"`{spec.name}` does not read policy variables", ipath,
                               hint="variables work with String and Arn operators only")
                    continue
            self.check_condition_value(operator, key, text, ipath)
        self.check_key_type(operator, key, path)

    def check_condition_value(self, operator: Operator, key: str, text: str, path: Path) -> None:
        rules = FAMILY_RULES[operator.spec.family]
        if rules.unreadable is not None and rules.read is not None and rules.read(text) is None:
            severity, code, message, hint = rules.unreadable
            self.add(Severity.ERROR if severity == "error" else Severity.WARNING, code,
                     message.format(text=text, operator=operator.spec.name), path, hint=hint)
        elif rules.literal and _WILDCARD.search(text.replace("${*}", "").replace("${?}", "")):
            self.warn("wildcard-without-like", f"`{operator.spec.name}` reads `*` and `?` in `{text}` literally",
                      path, hint="use StringLike for wildcards")

    def check_key_type(self, operator: Operator, key: str, path: Path, key_type: KeyType | None = None) -> None:
        key_type = key_type or global_key(key)
        if key_type is None:
            return
        if operator.set_prefix and not key_type.multivalued:
            self.warn("set-operator-single-valued-key",
                      f"`{operator.set_prefix}:` used with the single-valued key `{key}`", path, key=True,
                      hint="ForAllValues is true when the key is missing; use the operator without the prefix"
                      if operator.set_prefix == "ForAllValues" else "use the operator without the prefix")
        elif not operator.set_prefix and key_type.multivalued and operator.spec.family is not NULL:
            self.warn("plain-operator-multivalued-key",
                      f"`{operator.spec.name}` without a set prefix on the multivalued key `{key}`", path,
                      key=True, hint="use ForAnyValue: or ForAllValues:; qiam reads the plain operator as "
                      "false for several values (semantics.md §3.5, DISPUTED)")

    def check_variable_syntax(self, text: str, path: Path) -> list[variables.Part] | None:
        parts = variables.tokenize(text)
        if isinstance(parts, variables.VariableSyntaxError):
            self.error("variable-syntax", parts.message, path, hint=parts.hint)
            return None
        return parts

    # ----- the action catalog -----

    def check_with_catalog(self, catalog: Catalog) -> None:
        """Warnings from AWS's action catalog: unknown actions and keys, and what does not fit."""
        for statement in self.policy.statements:
            checks = _CatalogChecks(self, catalog, statement.raw, statement.path)
            checks.run()

    # ----- the text as a whole -----

    def check_text(self) -> None:
        profile = self.profile
        text = self.source.text or ""
        if profile.iam_document:
            bad = _first_bad_char(text if not self.source.rendered else None, self.policy.raw)
            if bad is not None:
                char, where = bad
                location = (Location(self.source, offset=where) if isinstance(where, int)
                            else Location(self.source, where))
                self.found.append(Diagnostic(
                    Severity.ERROR, "invalid-character",
                    f"character `{char}` (U+{ord(char):04X}) is not allowed in an IAM policy", location,
                    "IAM policies hold only tab, line breaks and U+0020 to U+00FF"))
        if profile.quota is None or len(text) <= profile.quota:
            return
        finding = size_finding(self.source, profile, len(text), current().match.json_whitespace_count(text), storage=self.storage)
        if finding is not None:
            self.found.append(finding)


# Prefixes shared by two API versions whose actions the catalog merges, keeping one
# version's resource types (elasticloadbalancing v1 and v2, ses v1 and v2): their
# resources cannot be judged.
_MERGED_SERVICES = frozenset({"elasticloadbalancing", "ses"})

_REGION = shapes.REGION
_ACCOUNT = re.compile(r"[0-9]{12}|aws", re.ASCII)

# Which operator families suit a condition key's type (the catalog's type names), from the families' rules.
_FAMILIES_FOR_TYPE: dict[str, frozenset[Family]] = {
    key_type: frozenset(f for f, rules in FAMILY_RULES.items() if key_type in rules.suits)
    for key_type in sorted({t for rules in FAMILY_RULES.values() for t in rules.suits})
}


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

    def check_action(self, action: str, path: Path) -> None:
        catalog, warn = self.catalog, self.checker.warn
        if action == "*":
            self.any_action = True
            return
        vendor, colon, name = action.partition(":")
        if not colon or ":" in name or not _VENDOR.fullmatch(vendor):
            self.any_action = True
            return  # the grammar checks reported it
        if vendor.lower() not in catalog.prefixes:
            self.any_action = True
            close = catalog.suggest_service(vendor)
            warn("unknown-service", f"`{vendor}` is not a service prefix of the action catalog", path,
                 hint=f"did you mean `{close}`?" if close else "the action matches no real request")
            return
        found = catalog.expand(action)
        if found:
            self.covered.extend(found)
            return
        self.any_action = True
        if "*" in name or "?" in name:
            warn("no-matching-action", f"`{action}` matches no action of `{vendor}`", path)
        else:
            close = catalog.suggest_action(action)
            warn("unknown-action", f"`{action}` is not an action of the catalog", path,
                 hint=f"did you mean `{close}`?" if close else "the action matches no real request")

    def check_key(self, operator: Operator, key: str, path: Path) -> None:
        catalog, warn = self.catalog, self.checker.warn
        key_type = catalog.key_type(key)
        prefix = key.partition(":")[0].lower()
        if key_type is None:
            if prefix != "aws" and prefix in catalog.prefixes:
                warn("unknown-condition-key", f"`{key}` is not a condition key of `{prefix}`", path, key=True)
            return
        if prefix != "aws":
            self.checker.check_key_type(operator, key, path, key_type)
        family = operator.spec.family
        suited = _FAMILIES_FOR_TYPE.get(key_type.type.removeprefix("ArrayOf"))
        if family is not Family.NULL and suited is not None and family not in suited:
            warn("operator-key-mismatch", f"`{operator.spec.name}` does not suit `{key}`, a "
                 f"{key_type.type} key", path, key=True)
        # A key of another service than the actions' is context the caller brings
        # (lambda:SourceFunctionArn, ec2:SourceInstanceARN): any action may see it.
        if prefix in {a.service for a in self.covered} and not self.any_action:
            supported = {k.lower() for k in catalog.supported_keys(self.covered)}
            if not any(_key_fits(key, k) for k in supported):
                actions = ", ".join(sorted({a.action for a in self.covered})[:3])
                more = "" if len({a.action for a in self.covered}) <= 3 else ", ..."
                warn("unsupported-condition-key", f"`{key}` is not a condition key of {actions}{more}", path,
                     key=True, hint="the action never carries it: the condition acts as if the key were absent")

    def check_resource(self, resource: str, path: Path) -> None:
        if resource == "*" or resource.count(":") < 5:
            return
        warn = self.checker.warn
        if all(a.star_only for a in self.covered):
            names = ", ".join(sorted({a.action for a in self.covered})[:3])
            warn("resource-star-only", f"{names} supports only `Resource: \"*\"`, not `{resource}`", path,
                 hint='such actions are allowed only by "Resource": "*"')
            return
        for info in self.covered:
            service = self.catalog.service(info.service)
            for requirement in info.resource_types:
                known = service.resource_types.get(requirement.name) if service else None
                if known is None or _arn_fits(resource, known.arn):
                    return
        if any(a.star_only for a in self.covered):
            return
        warn("resource-type-mismatch", f"`{resource}` is no resource type of the statement's actions", path,
             hint="the statement cannot apply to it")


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
    """Whether a policy's resource pattern can name a resource of the template's type."""
    fields = resource.split(":", 5)
    want = template.split(":", 5)
    if len(want) != 6:
        return True
    if not _WILDCARD.search(fields[2]) and "${" not in want[2] and fields[2] != want[2]:
        return False
    have, need = _literal_head(fields[5]), re.split(r"\$\{", want[5], maxsplit=1)[0]
    return have.startswith(need) or need.startswith(have)


# What the per-entry checks have nothing to say about: proved for a whole list with one
# match over its entries joined by newlines (the checks below remain the reference).
_PLAIN_ACTIONS = shapes.PLAIN_ACTIONS
_PLAIN_ARNS = shapes.PLAIN_ARNS


def _all_plain(value: Any, plain: re.Pattern[str]) -> bool:
    """Whether a string-or-list element holds only strings, all plain (and no ``${``)."""
    if isinstance(value, str):
        return "${" not in value and plain.fullmatch(value) is not None
    if not isinstance(value, list) or not value:
        return False
    try:
        joined = "\n".join(value)
    except TypeError:  # an entry that is not a string
        return False
    return (joined.count("\n") == len(value) - 1 and "${" not in joined
            and plain.fullmatch(joined) is not None)


def _is_rcp_full_access(st: Mapping[str, Any]) -> bool:
    """The AWS managed RCPFullAWSAccess statement, recognised by its content."""
    return (
        st.get("Effect") == "Allow"
        and st.get("Principal") == "*"
        and st.get("Action") == "*"
        and st.get("Resource") == "*"
        and "Condition" not in st
    )


def _first_bad_char(text: str | None, raw: Mapping[str, Any]) -> tuple[str, int | Path] | None:
    """The first character IAM does not store, with its offset in the text or its path."""
    if text is not None:
        if not text.isascii():
            found = _BAD_CHAR.search(text)
            if found:
                return found.group(), found.start()
        if "\\" not in text or "\\u" not in text:  # one character is found much faster than two
            return None
    # Escapes (or a document given as an object): look at the decoded strings.
    stack: list[tuple[Path, Any]] = [((), raw)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            found = _BAD_CHAR.search(item)
            if found:
                return found.group(), path
        elif isinstance(item, Mapping):
            for key, value in item.items():
                found = _BAD_CHAR.search(key)
                if found:
                    return found.group(), path + (key,)
                stack.append((path + (key,), value))
        elif isinstance(item, list):
            stack.extend((path + (i,), v) for i, v in enumerate(item))
    return None


def _a(name: str) -> str:
    """``a scp`` reads badly: the article for a profile name, with the name."""
    return f"an {name}" if name[:1] in "aeiou" or name in ("scp", "rcp") else f"a {name}"


def _close_element(name: str, known: tuple[str, ...]) -> str | None:
    for candidate in known:
        if candidate.lower() == name.lower():
            return f"did you mean `{candidate}`? element names are case-sensitive"
    close = difflib.get_close_matches(name, known, n=1)
    return f"did you mean `{close[0]}`?" if close else None


def _type_name(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return type(value).__name__
