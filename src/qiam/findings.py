"""One constructor per diagnostic code: what each finding says, and the table of codes it fills.

As Cedar gives each kind of error a type of its own, each kind of finding
here has a function of its own. It takes the facts the finding is about
(names, values, what the profile or the context says) and returns a
``Finding``: code, message, hint and severity. The caller knows where the
finding is and adds the place: ``finding.at(location)`` is the
``Diagnostic``.

``@finding(code, meaning)`` registers each constructor, and the
registrations fill ``qiam.errors.CODES`` (code → one-line meaning). Codes
that other modules raise as exceptions, or build in words of their own, are
registered here too (``_elsewhere``), so the table is whole.

Pure Python and importing only ``qiam.errors``: the validator and both
decision kernels (``qiam._decide_py`` and the compiled ``qiam._decide``) build
their diagnostics through these functions, so each message is written once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple, ParamSpec

from qiam.errors import CODES, Diagnostic, Location, Severity

P = ParamSpec("P")


@dataclass(frozen=True, slots=True)
class Finding:
    """A diagnostic without its place: code, message, hint and severity."""

    code: str
    message: str
    hint: str | None = None
    severity: Severity = Severity.ERROR

    def at(self, location: Location) -> Diagnostic:
        """The diagnostic this finding makes at ``location``."""
        return Diagnostic(self.severity, self.code, self.message, location, self.hint)


class Words(NamedTuple):
    """What a constructor says; ``severity`` only when the context decides it (None: the code's own)."""

    message: str
    hint: str | None = None
    severity: Severity | None = None


# Code → constructor, for each code registered with @finding (the tests read it).
CONSTRUCTORS: dict[str, Callable[..., Finding]] = {}


def _register(code: str, meaning: str) -> None:
    if code in CODES:
        raise ValueError(f"diagnostic code `{code}` is registered twice")
    CODES[code] = meaning


def finding(code: str, meaning: str, severity: Severity = Severity.ERROR
            ) -> Callable[[Callable[P, Words]], Callable[P, Finding]]:
    """Register the constructor of ``code``: it says the Words, this adds the code and the severity.

    The code is written once, here, so a constructor cannot make a finding
    of another code than the one it is registered for.
    """
    def register(words: Callable[P, Words]) -> Callable[P, Finding]:
        @functools.wraps(words)
        def make(*args: P.args, **kwargs: P.kwargs) -> Finding:
            said = words(*args, **kwargs)
            return Finding(code, said.message, said.hint, said.severity or severity)

        if make.__doc__ is None:
            make.__doc__ = f"``{code}``: {meaning}."
        _register(code, meaning)
        CONSTRUCTORS[code] = make
        return make

    return register


def _elsewhere(code: str, meaning: str) -> None:
    """Register a code that another module raises or builds, in words of its own."""
    _register(code, meaning)


def _storing(storage: bool) -> Severity:
    """A storage rule: an error when checking a policy for storing, else a warning."""
    return Severity.ERROR if storage else Severity.WARNING


def _a(name: str) -> str:
    """``a scp`` reads badly: the article for a profile name, with the name."""
    return f"an {name}" if name[:1] in "aeiou" or name in ("scp", "rcp") else f"a {name}"


def _did_you_mean(name: str, known: tuple[str, ...]) -> str | None:
    """A hint naming the known name closest to ``name`` (the same but for case first), if any is close."""
    for candidate in known:
        if candidate.lower() == name.lower():
            return f"did you mean `{candidate}`? element names are case-sensitive"
    import difflib  # (only for a mistake: start-up does not pay for it)

    close = difflib.get_close_matches(name, known, n=1)
    return f"did you mean `{close[0]}`?" if close else None


def json_type_name(value: object) -> str:
    """What a JSON value is, in JSON's words: ``an object``, ``an array``, ``a string``, ..."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"


_ADD_VERSION = 'add "Version": "2012-10-17"'
_USE_VERSION = 'use "2012-10-17"'
_UNSHOWN = object()  # wrong_type: no value to name


# ----- reading a document (parse.py raises these as PolicySyntaxError) -----

_elsewhere("json-syntax", "the text is not valid JSON")
_elsewhere("invalid-utf8", "the bytes are not valid UTF-8")
_elsewhere("nesting-too-deep", "JSON nested deeper than any policy can be")
_elsewhere("duplicate-key", "a JSON object repeats a key")
_elsewhere("not-an-object", "the document is not a JSON object")
_elsewhere("not-json", "an object given as a policy holds something JSON cannot")


# ----- document and statement shape (validate) -----

@finding("unknown-element", "an element that the policy grammar does not define")
def unknown_element(name: str, known: tuple[str, ...], *, level: Literal["policy", "statement"]) -> Words:
    return Words(f"unknown {level} element `{name}`", _did_you_mean(name, known))


@finding("wrong-type", "an element whose JSON type the grammar does not allow")
def wrong_type(what: str, wanted: str, *, value: object = _UNSHOWN) -> Words:
    """``{what} must be {wanted}``, naming the type of ``value`` when it is given."""
    return Words(f"{what} must be {wanted}" + ("" if value is _UNSHOWN else f", not {json_type_name(value)}"))


@finding("missing-statement", "no Statement element")
def missing_statement() -> Words:
    return Words("the policy has no `Statement`", 'add "Statement": [...]')


@finding("empty-statement", "an empty Statement list")
def empty_statement() -> Words:
    return Words("`Statement` is an empty list")


@finding("invalid-version", "a Version other than 2012-10-17 or 2008-10-17")
def invalid_version(version: object) -> Words:
    return Words(f"`Version` must be \"2012-10-17\" or \"2008-10-17\", not `{version}`", _USE_VERSION)


@finding("version-required", "the profile requires Version 2012-10-17")
def version_required(profile: str, *, present: bool) -> Words:
    """``present``: the policy has a Version (2008-10-17), else none."""
    return Words(f"{_a(profile)} policy must have `Version` 2012-10-17", _USE_VERSION if present else _ADD_VERSION)


@finding("missing-version", "no Version: the policy is read as 2008-10-17", Severity.WARNING)
def missing_version() -> Words:
    return Words("no `Version`: the policy is read as 2008-10-17, without policy variables", _ADD_VERSION)


@finding("id-in-identity-policy", "an Id element in an identity-based policy", Severity.WARNING)
def id_in_identity_policy() -> Words:
    return Words("`Id` has no place in an identity-based policy",
                 "IAM accepts it, but the grammar says not to use it")


@finding("invalid-sid", "a Sid with characters the profile does not allow")
def invalid_sid(sid: str) -> Words:
    return Words(f"Sid `{sid}` may hold only ASCII letters and digits", "IAM checks Sids against [0-9A-Za-z]*")


@finding("duplicate-sid", "two statements with the same Sid")
def duplicate_sid(sid: str, *, iam: bool) -> Words:
    """An error in a document IAM stores (``iam``), where Sids must be unique; else a warning."""
    message = f"Sid `{sid}` is used by two statements"
    if iam:
        return Words(message, "Sids must be unique in an IAM policy")
    return Words(message, severity=Severity.WARNING)


@finding("missing-effect", "a statement without Effect")
def missing_effect() -> Words:
    return Words("the statement has no `Effect`", 'add "Effect": "Allow"')


@finding("invalid-effect", "an Effect other than Allow or Deny")
def invalid_effect(effect: object) -> Words:
    hint = None
    if isinstance(effect, str) and effect.lower() in ("allow", "deny"):
        hint = f"did you mean `{effect.capitalize()}`? Effect is case-sensitive"
    return Words(f"`Effect` must be \"Allow\" or \"Deny\", not `{effect}`", hint)


@finding("missing-action", "a statement without Action or NotAction")
def missing_action() -> Words:
    return Words("the statement has no `Action` or `NotAction`", 'add "Action": [...]')


def _both(name: str) -> Words:
    return Words(f"a statement cannot have both `{name}` and `Not{name}`", f"keep one of `{name}` and `Not{name}`")


@finding("action-and-notaction", "a statement with both Action and NotAction")
def action_and_notaction() -> Words:
    return _both("Action")


@finding("empty-action", "an empty Action or NotAction list")
def empty_action(element: str) -> Words:
    return Words(f"`{element}` is an empty list")


@finding("action-missing-vendor", "an action without a service prefix")
def action_missing_vendor(action: str) -> Words:
    return Words(f"action `{action}` has no service prefix", "write actions as `service:Action`, e.g. `s3:GetObject`")


@finding("action-too-many-colons", "an action with more than one colon")
def action_too_many_colons(action: str) -> Words:
    return Words(f"action `{action}` has more than one colon")


@finding("invalid-vendor", "a service prefix with characters other than letters, digits, - and .")
def invalid_vendor(vendor: str) -> Words:
    return Words(f"service prefix `{vendor}` is not valid",
                 "a service prefix holds only letters, digits, `-` and `.`, no wildcards")


@finding("missing-resource", "a statement without Resource or NotResource")
def missing_resource() -> Words:
    return Words("the statement has no `Resource` or `NotResource`", 'add "Resource": "*" or the ARNs it applies to')


@finding("resource-and-notresource", "a statement with both Resource and NotResource")
def resource_and_notresource() -> Words:
    return _both("Resource")


@finding("empty-resource", "an empty Resource or NotResource list")
def empty_resource(element: str, *, nulls: bool) -> Words:
    """``nulls``: the list is not empty, but all its members are null (and ignored)."""
    return Words(f"`{element}` is an empty list" + (" (its null members are ignored)" if nulls else ""))


@finding("resource-not-allowed", "Resource or NotResource where the profile forbids it")
def resource_not_allowed(profile: str, element: str) -> Words:
    return Words(f"{_a(profile)} policy cannot have `{element}`", "the resource of a trust policy is the role itself")


_ARN_HINTS = {
    "no-colon": "ARNs look like arn:aws:service:region:account:resource",
    "no-arn-prefix": "ARNs start with `arn:`",
    "too-few-fields": "an ARN has six fields: arn:partition:service:region:account:resource",
}


@finding("invalid-arn", "a resource that is neither `*` nor an ARN")
def invalid_arn(resource: str, problem: Literal["no-colon", "no-arn-prefix", "too-few-fields"]) -> Words:
    if problem == "too-few-fields":
        return Words(f"resource `{resource}` has too few fields for an ARN", _ARN_HINTS[problem])
    return Words(f"resource `{resource}` must be an ARN or `*`", _ARN_HINTS[problem])


@finding("invalid-partition", "an ARN partition AWS does not have")
def invalid_partition(partition: str, resource: str) -> Words:
    return Words(f"partition `{partition}` is not valid in resource `{resource}`",
                 "partitions are aws, aws-cn, aws-us-gov and the ISO partitions")


@finding("arn-missing-service", "an ARN without a service")
def arn_missing_service(resource: str) -> Words:
    return Words(f"resource `{resource}` has no service")


@finding("arn-service-case", "an ARN service written with upper-case letters")
def arn_service_case(service: str) -> Words:
    return Words(f"the service `{service}` of an ARN must be lower case", f"write `{service.lower()}`")


@finding("arn-region-not-allowed", "a region in an ARN of a global resource")
def arn_region_not_allowed(service: Literal["IAM", "S3"], resource: str) -> Words:
    return Words(f"{service} resource `{resource}` cannot have a region")


@finding("invalid-iam-resource", "an IAM ARN whose resource is not of a known IAM type")
def invalid_iam_resource(resource: str) -> Words:
    return Words(f"IAM resource `{resource}` is not of a known IAM resource type",
                 "IAM resources start with user/, role/, group/, policy/, instance-profile/ and the like")


@finding("short-arn", "an ARN with fewer than six fields", Severity.WARNING)
def short_arn(resource: str) -> Words:
    return Words(f"resource `{resource}` has fewer than the six fields of an ARN",
                 "AWS stores it; qiam reads the missing fields as `*` in identity policies "
                 "(semantics.md §2.2, DISPUTED)")


@finding("wildcard-in-arn-service", "a wildcard in the service field of an ARN", Severity.SUGGESTION)
def wildcard_in_arn_service(resource: str) -> Words:
    return Words(f"wildcard in the service of resource `{resource}`")


@finding("wildcard-in-resource-type", "a wildcard in the resource-type part of an ARN", Severity.WARNING)
def wildcard_in_resource_type(resource: str) -> Words:
    return Words(f"wildcard in the resource type of `{resource}`",
                 "AWS documents wildcards in the resource type as not allowed")


@finding("principal-and-notprincipal", "a statement with both Principal and NotPrincipal")
def principal_and_notprincipal() -> Words:
    return _both("Principal")


@finding("missing-principal", "a statement without Principal where the profile needs one")
def missing_principal(profile: str) -> Words:
    return Words(f"{_a(profile)} policy statement needs `Principal`", 'add "Principal": {"AWS": "..."}')


@finding("principal-not-allowed", "Principal or NotPrincipal where the profile forbids it")
def principal_not_allowed(profile: str, element: str, *, only_negated: bool = False) -> Words:
    """``only_negated``: the profile takes Principal, but not NotPrincipal."""
    message = f"{_a(profile)} policy cannot have `{element}`"
    return Words(message, None if only_negated else "principals belong in resource-based and trust policies")


@finding("allow-with-notprincipal", "Allow together with NotPrincipal")
def allow_with_notprincipal(*, storage: bool) -> Words:
    return Words("`Allow` with `NotPrincipal` grants to everyone not listed, anonymous callers included",
                 "AWS no longer supports this; use Principal", _storing(storage))


@finding("unknown-principal-type", "a principal type other than AWS, Service, Federated, CanonicalUser")
def unknown_principal_type(kind: str, known: tuple[str, ...]) -> Words:
    return Words(f"unknown principal type `{kind}`", _did_you_mean(kind, known))


@finding("partial-wildcard-principal", "a wildcard that stands for part of a principal")
def partial_wildcard_principal(name: str) -> Words:
    return Words(f"principal `{name}` uses a wildcard for part of a name",
                 'only the whole value "*" is a wildcard; narrow it with aws:PrincipalArn')


@finding("empty-principal", "an empty principal list", Severity.WARNING)
def empty_principal(name: str, *, is_list: bool) -> Words:
    """``name``: the element (an empty object) or the principal type (an empty list)."""
    return Words(f"`{name}` is an empty {'list' if is_list else 'object'}: it names no one")


@finding("rcp-principal", "an RCP statement whose Principal is not `*`")
def rcp_principal() -> Words:
    return Words("a resource control policy statement's `Principal` must be `*`",
                 'write "Principal": "*" and narrow with conditions')


@finding("rcp-allow", "an Allow statement in a customer RCP")
def rcp_allow() -> Words:
    return Words("a customer resource control policy can only deny",
                 "RCPs never grant; only the AWS managed RCPFullAWSAccess allows")


@finding("rcp-notaction", "NotAction in an RCP")
def rcp_notaction() -> Words:
    return Words("resource control policies do not support `NotAction`")


@finding("rcp-action-star", "Action `*` in a customer RCP")
def rcp_action_star() -> Words:
    return Words("a resource control policy cannot use `*` alone as an action", 'name the actions, e.g. "s3:*"')


@finding("empty-condition", "an empty Condition block", Severity.WARNING)
def empty_condition(operator: str | None = None) -> Words:
    """The whole Condition block is empty, or (``operator``) one operator's body."""
    if operator is not None:
        return Words(f"`{operator}` has no keys")
    return Words("empty `Condition` block: the statement is read as unconditional",
                 "remove it, or add the conditions meant (semantics.md §3.1, DISPUTED)")


# The operator-name findings say what qiam.operators.parse_operator says (OperatorNameError).

@finding("unknown-operator", "a condition operator AWS does not define")
def unknown_operator(message: str, hint: str | None, *, empty_body: bool) -> Words:
    # IAM accepts an unknown operator over an empty body (semantics.md §1.9 item 15).
    return Words(message, hint, Severity.WARNING if empty_body else None)


@finding("invalid-set-prefix", "a malformed ForAllValues: / ForAnyValue: prefix")
def invalid_set_prefix(message: str, hint: str | None) -> Words:
    return Words(message, hint)


@finding("null-with-ifexists", "the Null operator with IfExists")
def null_with_ifexists(message: str, hint: str | None) -> Words:
    return Words(message, hint)


@finding("empty-condition-values", "a condition key with an empty value list", Severity.WARNING)
def empty_condition_values(key: str, operator: str) -> Words:
    return Words(f"`{key}` has an empty value list under `{operator}`",
                 "a positive operator with no value never matches (semantics.md §3.1, DISPUTED)")


@finding("duplicate-condition-key", "the same condition key twice in one operator, differing in case")
def duplicate_condition_key(key: str, first: str) -> Words:
    return Words(f"condition key `{key}` repeats `{first}`; keys are case-insensitive")


@finding("invalid-condition-key", "a condition key without a service prefix")
def invalid_condition_key(key: str) -> Words:
    return Words(f"condition key `{key}` has no service prefix", "condition keys look like aws:SourceIp or s3:prefix")


# A value the operator cannot read: the words are the operator family's (qiam.operators.FAMILY_RULES),
# whose table also gives each code's severity; the tests hold the two equal.

@finding("invalid-condition-value", "a condition value its operator cannot read")
def invalid_condition_value(message: str, hint: str | None) -> Words:
    return Words(message, hint)


@finding("type-mismatch", "a condition value that does not suit its operator's type", Severity.WARNING)
def type_mismatch(message: str, hint: str | None) -> Words:
    return Words(message, hint)


@finding("bool-multiple-values", "several values for one key under Bool")
def bool_multiple_values(key: str, operator: str) -> Words:
    return Words(f"`{key}` has several values under `{operator}`", "a boolean key has one value; write it once")


@finding("wildcard-without-like", "`*` or `?` in a value of an operator without wildcards", Severity.WARNING)
def wildcard_without_like(operator: str, text: str) -> Words:
    return Words(f"`{operator}` reads `*` and `?` in `{text}` literally", "use StringLike for wildcards")


@finding("set-operator-single-valued-key", "ForAllValues: or ForAnyValue: on a single-valued key", Severity.WARNING)
def set_operator_single_valued_key(prefix: str, key: str) -> Words:
    hint = "use the operator without the prefix"
    if prefix == "ForAllValues":
        hint = "ForAllValues is true when the key is missing; " + hint
    return Words(f"`{prefix}:` used with the single-valued key `{key}`", hint)


@finding("plain-operator-multivalued-key", "an operator without a set prefix on a multivalued key", Severity.WARNING)
def plain_operator_multivalued_key(operator: str, key: str) -> Words:
    return Words(f"`{operator}` without a set prefix on the multivalued key `{key}`",
                 "use ForAnyValue: or ForAllValues:; qiam reads the plain operator as false for several values "
                 "(semantics.md §3.5, DISPUTED)")


@finding("variable-syntax", "a malformed ${...} policy variable")
def variable_syntax(message: str, hint: str | None) -> Words:
    """The words are qiam.variables.tokenize's (VariableSyntaxError)."""
    return Words(message, hint)


_NO_VARIABLES = {
    "Action": "policy variables cannot be used in actions",
    "Resource": "policy variables can only stand in the resource part of an ARN",
    "Principal": "policy variables cannot be used in principals",
    "ConditionKey": "policy variables cannot stand in a condition key's name (semantics.md §3.6)",
}


@finding("variable-not-allowed", "a policy variable where AWS does not read variables")
def variable_not_allowed(element: Literal["Action", "Resource", "Principal", "Condition", "ConditionKey"],
                         operator: str = "") -> Words:
    """A variable in an Action, in an ARN's fields before the resource, in a Principal, in a condition
    key's name, or in a value of the condition ``operator``, which does not read variables."""
    if element == "Condition":
        return Words(f"`{operator}` does not read policy variables",
                     "variables work with String and Arn operators only")
    return Words(_NO_VARIABLES[element])


@finding("variable-unsupported-version", "a policy variable in a policy whose Version is not 2012-10-17")
def variable_unsupported_version(*, storage: bool) -> Words:
    # An error for storing ([AA] "Variable unsupported in version"); when evaluating, a
    # warning: AWS stores such policies and reads the text literally (semantics.md E37).
    return Words("`${...}` is read as literal text: policy variables need Version 2012-10-17",
                 'set "Version": "2012-10-17" to use policy variables', _storing(storage))


@finding("policy-too-large", "a policy over its storage quota")
def policy_too_large(size: int, profile: str, quota: int, *, counts_whitespace: bool, storage: bool) -> Words:
    counted = "characters" if counts_whitespace else "characters, not counting whitespace"
    return Words(f"the policy has {size:,} {counted}; {_a(profile)} policy may have {quota:,}",
                 "a storage quota: AWS would refuse to store it, but it is evaluated as written", _storing(storage))


@finding("placeholder-in-arn", "a word or an example account where an ARN wants a real region or account",
         Severity.WARNING)
def placeholder_in_arn(field: Literal["region", "account"], value: str, resource: str, *, example: bool = False
                       ) -> Words:
    """``example``: the account is one that AWS's documentation uses in its examples."""
    hint = f"a placeholder to fill in: qiam tasks --{field} fills it"
    if field == "region":
        return Words(f"`{value}` in `{resource}` is not a region", hint)
    what = "AWS's documentation example account" if example else "not an account ID"
    return Words(f"`{value}` in `{resource}` is {what}", hint)


# ----- the action catalog (all warnings) -----

def _did_you_mean_or(close: str | None) -> str:
    return f"did you mean `{close}`?" if close else "the action matches no real request"


def _first_three(actions: list[str], *, more: bool) -> str:
    """Up to three of the (sorted) actions, and ``, ...`` when ``more`` and there are others."""
    return ", ".join(actions[:3]) + (", ..." if more and len(actions) > 3 else "")


@finding("unknown-service", "a service prefix the action catalog does not know", Severity.WARNING)
def unknown_service(vendor: str, close: str | None) -> Words:
    """``close``: the catalog's service prefix nearest to ``vendor``, if any."""
    return Words(f"`{vendor}` is not a service prefix of the action catalog", _did_you_mean_or(close))


@finding("unknown-action", "an action the action catalog does not know", Severity.WARNING)
def unknown_action(action: str, close: str | None) -> Words:
    """``close``: the catalog's action nearest to ``action``, if any."""
    return Words(f"`{action}` is not an action of the catalog", _did_you_mean_or(close))


@finding("no-matching-action", "an action pattern that matches no action of the catalog", Severity.WARNING)
def no_matching_action(action: str, vendor: str) -> Words:
    return Words(f"`{action}` matches no action of `{vendor}`")


@finding("unknown-condition-key", "a condition key its service does not define", Severity.WARNING)
def unknown_condition_key(key: str, service: str) -> Words:
    return Words(f"`{key}` is not a condition key of `{service}`")


@finding("unsupported-condition-key", "a condition key none of the statement's actions carries", Severity.WARNING)
def unsupported_condition_key(key: str, actions: list[str]) -> Words:
    """``actions``: the statement's actions, sorted; up to three are named."""
    return Words(f"`{key}` is not a condition key of {_first_three(actions, more=True)}",
                 "the action never carries it: the condition acts as if the key were absent")


@finding("operator-key-mismatch", "an operator that does not suit the condition key's type", Severity.WARNING)
def operator_key_mismatch(operator: str, key: str, key_type: str) -> Words:
    return Words(f"`{operator}` does not suit `{key}`, a {key_type} key")


@finding("resource-type-mismatch", "a resource that is none of the resource types of the statement's actions",
         Severity.WARNING)
def resource_type_mismatch(resource: str) -> Words:
    return Words(f"`{resource}` is no resource type of the statement's actions", "the statement cannot apply to it")


@finding("resource-star-only", "a specific resource on actions that support only `*`", Severity.WARNING)
def resource_star_only(actions: list[str], resource: str) -> Words:
    """``actions``: the statement's actions, sorted; up to three are named."""
    return Words(f"{_first_three(actions, more=False)} supports only `Resource: \"*\"`, not `{resource}`",
                 'such actions are allowed only by "Resource": "*"')


@finding("invalid-character", "a character outside those IAM stores")
def invalid_character(char: str) -> Words:
    return Words(f"character `{char}` (U+{ord(char):04X}) is not allowed in an IAM policy",
                 "IAM policies hold only tab, line breaks and U+0020 to U+00FF")


# ----- evaluation (diagnostics of a Result, noted by both decision kernels) -----

@finding("multivalued-key-without-set-operator", "a request gives several values where the operator wants one",
         Severity.WARNING)
def multivalued_key_without_set_operator(key: str, operator: str) -> Words:
    return Words(f"`{key}` has several values; `{operator}` needs ForAnyValue: or ForAllValues:, and is read as false")


@finding("unresolved-variable", "a policy variable whose key the request does not carry", Severity.WARNING)
def unresolved_variable(variable: str) -> Words:
    return Words(f"`{variable}` has no value in this request: a Resource or positive condition value with it "
                 "matches nothing, a negated one matches")


@finding("multivalued-variable", "a policy variable naming a multivalued key", Severity.WARNING)
def multivalued_variable(variable: str) -> Words:
    return Words(f"`{variable}` names a multivalued key and has no value")


@finding("session-policy-not-applicable", "session policies given for a caller that has no session",
         Severity.WARNING)
def session_policy_not_applicable(who: str | None) -> Words:
    return Words(f"session policies do not apply to {f'`{who}`' if who else 'a request without a principal'}: "
                 "only a role session or a federated user has them", "name the session as the principal, "
                 "e.g. arn:aws:sts::111122223333:assumed-role/Role/session")


@finding("undecidable-condition", "a condition that could not be evaluated; a Deny is applied, an Allow is not",
         Severity.WARNING)
def undecidable_condition(statement: int) -> Words:
    return Words(f"a condition of statement {statement} could not be read")


@finding("invalid-request-value", "a request context value the operator cannot read", Severity.WARNING)
def invalid_request_value(key: str, value: object, operator: str) -> Words:
    """``operator`` as the policy spells it; the message names its base operator."""
    base = operator.rpartition(":")[2].removesuffix("IfExists")
    return Words(f"`{key}` = `{value}` is not a value `{base}` can read")


_elsewhere("scope-too-large", "a resource pattern split into too many classes to decide; read as allowed on none")

# ----- the engine (qiam._impl) -----

_elsewhere("unknown-engine", "a QIAM_IMPLEMENTATION or engine name qiam does not have")
_elsewhere("engine-not-built", "the compiled cores are not built")

# ----- requests and batch input (request, batch, reqlang, tasks and the command line) -----

_elsewhere("invalid-request", "a request that cannot be evaluated")
_elsewhere("invalid-line", "a batch line that is not a usable JSON object")
_elsewhere("unknown-policy-ref", "a $ref to a name the library does not hold")
_elsewhere("invalid-library", "a policy library that cannot be read")
_elsewhere("invalid-expression", "a request expression that does not parse")
_elsewhere("invalid-task-catalog", "a task catalog that cannot be read or used")
_elsewhere("unknown-task", "a task name the task catalog does not hold")
_elsewhere("unreadable-file", "a file that cannot be read")
_elsewhere("internal-error", "a fault in qiam itself: the line gets no answer rather than a wrong one")
_elsewhere("input-too-large", "input over one of qiam's limits (qiam.limits)")
_elsewhere("bad-setting", "a limit setting that is not a positive number of bytes")
_elsewhere("unwritable-output", "output that cannot be written (a path, a full disk, a closed descriptor)")
_elsewhere("worker-lost", "a worker process of `qiam batch --jobs` stopped before it answered its batch")
_elsewhere("line-too-long", "a batch line over the size limit")
_elsewhere("input-not-lines", "batch input with a line that runs on without end (not JSON Lines)")
_elsewhere("invalid-usage", "a command line that cannot be carried out")
_elsewhere("out-of-memory", "input that needs more memory than there is")


# ----- inventories and their questions (inventory, queries, collect; docs/inventory.md) -----

_elsewhere("inventory-unreadable", "an inventory file that is not JSON, or not one of the inventory's kinds")
_elsewhere("inventory-bad-entry", "an inventory entry without the fields it needs")
_elsewhere("inventory-bad-policy", "a policy document of an inventory that does not read or validate")
_elsewhere("inventory-no-default-version", "a managed policy without a default version")
_elsewhere("inventory-dangling-group", "a user in a group the account's details do not hold")
_elsewhere("inventory-dangling-policy", "a managed policy, boundary or organisation policy that nothing defines")
_elsewhere("inventory-duplicate", "an ARN or organisation node given twice with different content")
_elsewhere("inventory-truncated", "a raw API page that says more pages follow, with none following")
_elsewhere("inventory-broken", "a question about a principal or resource the inventory could not load whole")
_elsewhere("invalid-query", "a question that names what the inventory or the action catalog does not hold")
_elsewhere("invalid-overlay", "a what-if overlay that cannot be applied to the inventory")
_elsewhere("collect-unavailable", "qiam collect without boto3 (pip install 'qiam[collect]')")
_elsewhere("collect-no-credentials", "qiam collect without AWS credentials that work")
_elsewhere("iac-unreadable", "a CloudFormation template or Terraform plan that does not read")
_elsewhere("iac-unresolved", "a template value not known before deployment, read fail-closed")
_elsewhere("iac-bad-resource", "a template resource without the properties it needs")
_elsewhere("iac-outside", "a template policy that attaches to a principal the template does not make")
_elsewhere("expectation-invalid", "an expectation file with a mistake (unknown key, bad request, missing file)")
_elsewhere("distributed-unavailable", "--scheduler without Dask installed, or a scheduler that cannot be reached")
_elsewhere("distributed-failed", "a Dask cluster that stopped before the work was done")
