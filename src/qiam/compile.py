"""model.Policy → CompiledPolicy, and policies → PolicySet; raises PolicyInvalidError.

Compiling validates the policy under its profile, then builds what the
evaluator runs: ``NotAction`` / ``NotResource`` / ``NotPrincipal`` folded into
``negated`` flags, patterns built once with the core, condition values coerced
once, and statements indexed by the service prefixes their actions can match.

The usual policy text (the common statement shapes, in a profile without
principals) is read straight into statements by the compiled document reader
(``qiam._front.compile_document``); other statements take the statement loop
over the decoded JSON, and anything those do not vouch for takes the full
path, validate then compile, which is the reference the tests hold the others
to.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from qiam._immutable import Immutable
from qiam._impl import Engine, current
from qiam._source import Source
from qiam.decision import CompiledCondition, CompiledStatement, StatementRef
from qiam.errors import Diagnostic, Location, Path, PolicyInvalidError
from qiam.keys import global_key
from qiam.kinds import PolicyKind, Shape
from qiam.model import Policy
from qiam.operators import (
    FAMILY_RULES,
    NULL,
    BoolValues,
    IgnoreCaseValues,
    Operator,
    OperatorNameError,
    PatternValues,
    StringValues,
    compile_values,
    condition_value_text,
    parse_operator,
)
from qiam.parse import PolicyInput, parse_policy
from qiam.policyset import PolicySet
from qiam.principals import PrincipalMatcher
from qiam.validate import (
    ElementVerdicts,
    Profile,
    get_profile,
    plain_condition_key,
    size_finding,
    validate_outline,
    validate_policy,
)
from qiam.variables import Template, Variable, compile_value, pattern_text

__all__ = ["CompiledCondition", "CompiledPolicy", "CompiledStatement", "Compiler", "ResourceMatcher",
           "compile_policies",
           "compile_policy"]

if TYPE_CHECKING:
    from qiam.operators import Context


@functools.lru_cache(maxsize=4096)
def _resolved_set(arns: Any, pattern: str) -> Any:
    """The pattern set of one resolved Resource template, made once: a workload's requests give its
    variables few distinct values, and making a set costs more than matching with it many times."""
    return arns((pattern,))


class ResourceMatcher(Immutable):
    """The entries of ``Resource`` / ``NotResource``: static ARN patterns and templates."""

    __slots__ = ("_arns", "entries", "static", "static_positions", "templates")

    def __init__(self, entries: tuple[str, ...], patterns: list[tuple[int, str]],
                 templates: list[tuple[int, Template]], engine: Engine | None = None) -> None:
        self._arns = (engine or current()).match.ArnPatternSet
        self.entries = entries  # as written, for explanations
        self.static = self._arns([p for _, p in patterns])
        self.static_positions = tuple(i for i, _ in patterns)
        self.templates = tuple(templates)

    @classmethod
    def of_patterns(cls, entries: tuple[str, ...], engine: Engine | None = None) -> ResourceMatcher:
        """Entries that are core patterns as written: no variable, no escape, no ARN to pad."""
        matcher = cls.__new__(cls)
        matcher._arns = (engine or current()).match.ArnPatternSet
        matcher.entries = entries
        matcher.static = matcher._arns(entries)
        matcher.static_positions = tuple(range(len(entries)))
        matcher.templates = ()
        return matcher

    def matches(self, resource: str, context: Context) -> bool:
        """Whether any entry matches; an entry whose variable has no value matches nothing."""
        if self.static.matches_any(resource):
            return True
        for _, template in self.templates:
            resolved = template.resolve(context)
            if resolved is not None and _resolved_set(self._arns, resolved).matches_any(resource):
                return True
        return False

    def first_match(self, resource: str, context: Context) -> int:
        """The position (in the element as written) of the first entry that matches, or -1."""
        found = [self.static_positions[i] for i in (self.static.first_match(resource),) if i >= 0]
        for position, template in self.templates:
            resolved = template.resolve(context)
            if resolved is not None and _resolved_set(self._arns, resolved).matches_any(resource):
                found.append(position)
        return min(found, default=-1)


class CompiledPolicy(Immutable):
    """One compiled policy: its statements and its warnings, built by one engine.

    Immutable once built, so it can be shared between policy sets and threads.
    """

    __slots__ = ("_refs", "diagnostics", "engine", "policy", "profile", "statements")

    def __init__(self, policy: Policy, profile: Profile, statements: tuple[CompiledStatement, ...],
                 diagnostics: tuple[Diagnostic, ...], engine: Engine | None = None) -> None:
        self.policy = policy
        self.profile = profile
        self.statements = statements
        self.diagnostics = diagnostics
        self.engine = engine or current()
        self._refs: dict[str, tuple[StatementRef, ...]] = {}

    def refs(self, label: str) -> tuple[StatementRef, ...]:
        """Its statements' references when it stands at ``label`` of a policy set (``identity[0]``).

        Made once per place and kept: thousands of policy sets share a policy,
        and a set is made from these rather than anew (two threads may both
        make them; either result serves).
        """
        found = self._refs.get(label)
        if found is None:
            source = self.policy.source
            found = tuple(StatementRef(label, self.name, st.index, st.sid, st.effect, Location(source, st.path))
                          for st in self.statements)
            if len(self._refs) < 64:  # (a policy stands at a few places; past that, made for each set)
                self._refs[label] = found
        return found

    @property
    def name(self) -> str | None:
        """The policy's name (file or library name), if it has one."""
        return self.policy.name

    def __repr__(self) -> str:
        return f"CompiledPolicy({self.name!r}, {len(self.statements)} statements, {self.profile.name})"


class Compiler:
    """Compiles policies, building each distinct Action list and Resource list once.

    Real policy sets repeat themselves (half of the AWS managed policies'
    statements say ``"Resource": "*"``): a Compiler shares the matchers of equal
    element lists between statements and policies. Compiled matchers are
    immutable, so sharing them is safe. Use one Compiler for a bulk job; its
    tables live as long as it does.

    Parameters
    ----------
    short_arns : bool
        Read a resource ARN with fewer than six fields as iam-simulate does
        (semantics.md §2.2, DISPUTED): its missing fields are ``*`` in identity,
        boundary and session policies, in other policies only when it holds a
        wildcard. False: such an ARN matches nothing.
    """

    __slots__ = ("_actions", "_readers", "_resources", "_tables", "engine", "short_arns")

    # Whether the statement loop (qiam._front) may vouch for statements; the tests turn it
    # off to compare it with the full path.
    _front_end = True

    def __init__(self, *, short_arns: bool = True, engine: Engine | None = None) -> None:
        self.engine = engine or current()
        self.short_arns = short_arns
        self._actions: dict[tuple[str, ...], tuple[Any, frozenset[str] | None]] = {}
        self._resources: dict[tuple[Any, ...], ResourceMatcher] = {}
        self._tables: dict[tuple[Profile, bool], _Tables] = {}
        self._readers: dict[str, tuple[Profile, _Tables | None]] = {}  # by profile name, as given

    def compile(self, policy: PolicyInput | CompiledPolicy, profile: str | Profile = "identity", *,
                name: str | None = None, origin: tuple[int, int] = (0, 0)) -> CompiledPolicy:
        """Validate and compile one policy (see ``compile_policy``; ``origin`` as for ``parse_policy``)."""
        # The usual text is read straight into statements (qiam._front.compile_document).
        data = policy if type(policy) is bytes else None
        if type(policy) is str and policy.isascii():
            data = policy.encode("ascii")
        if data is not None:
            reader = self._readers.get(profile) if type(profile) is str else None
            if reader is None:
                reader = self._reader(get_profile(profile))
                if type(profile) is str:
                    self._readers[profile] = reader
            prof, tables = reader
            read = self.engine.front.compile_document(data, tables) if tables is not None else None
            if read is not None:
                statements, whitespace = read
                source = Source(name, data=data, origin=origin)
                finding = None
                if prof.quota is not None and len(data) > prof.quota:
                    finding = size_finding(source, prof, len(data), whitespace)
                return CompiledPolicy(Policy(None, source), prof, statements, () if finding is None else (finding,),
                                      self.engine)
        prof = get_profile(profile)
        if isinstance(policy, CompiledPolicy) and policy.profile == prof and policy.engine is self.engine:
            return policy
        model = parse_policy(policy.policy if isinstance(policy, CompiledPolicy) else policy, name=name,
                             origin=origin)
        statements = None
        if self._serves(prof):
            statements = self.engine.front.compile_statements(model.raw.get("Statement"),
                                                              self._tables_of(prof, model.reads_variables))
        if statements is not None:
            # The loop vouched for every statement: the rest of the policy is all to check.
            report = validate_outline(model, prof)
        else:
            report = validate_policy(model, prof)
        if not report.valid:
            raise PolicyInvalidError(report.diagnostics)
        if statements is None:
            statements = tuple(self._statement(st.raw, st.index, st.path, prof, model.reads_variables)
                               for st in model.statements)
        return CompiledPolicy(model, prof, statements, report.diagnostics, self.engine)

    def _serves(self, profile: Profile) -> bool:
        """Whether the statement loop and the document reader serve a profile: those without principals
        whose statements all need a resource, not RCPs, whose action rules look at whole statements."""
        return self._front_end and not profile.principal and profile.resource == "required" and profile.kind != "rcp"

    def _reader(self, profile: Profile) -> tuple[Profile, _Tables | None]:
        """The profile and the document reader's tables (Version 2012-10-17), None if it does not serve it."""
        return profile, self._tables_of(profile, True) if self._serves(profile) else None

    def _tables_of(self, profile: Profile, reads_variables: bool) -> _Tables:
        tables = self._tables.get((profile, reads_variables))
        if tables is None:
            tables = self._tables[profile, reads_variables] = _Tables(self, profile, reads_variables)
        return tables

    def _resource_matcher(self, entries: tuple[str, ...], profile: Profile, reads_variables: bool
                          ) -> ResourceMatcher:
        key = (entries, profile.kind, reads_variables)
        resources = self._resources.get(key)
        if resources is None:
            resources = self._resources[key] = _compile_resources(entries, profile, reads_variables,
                                                                  self.short_arns, self.engine)
        return resources

    def _statement(self, st: Mapping[str, Any], index: int, path: Path, profile: Profile,
                   reads_variables: bool) -> CompiledStatement:
        not_action = "NotAction" in st
        actions, services = self._action_set(_strings(st["NotAction"] if not_action else st["Action"]), not_action)
        not_resource = "NotResource" in st
        resources = None
        if "Resource" in st or not_resource:
            entries = _strings(st["NotResource"] if not_resource else st["Resource"])
            resources = self._resource_matcher(entries, profile, reads_variables)
        condition = st.get("Condition")
        conditions = _compile_conditions(condition, reads_variables, self.engine) if condition else ()
        not_principal = "NotPrincipal" in st
        principal = None
        if not_principal or "Principal" in st:
            principal = PrincipalMatcher(st["NotPrincipal"] if not_principal else st["Principal"])
        sid = st.get("Sid")
        statement: CompiledStatement = self.engine.decide.Statement(
            index,
            sid if isinstance(sid, str) else None,
            st["Effect"] == "Allow",
            actions,
            not_action,
            resources,
            not_resource,
            principal,
            not_principal,
            conditions,
            path,
            services,
            _variables(resources, conditions) if reads_variables else (),
        )
        return statement

    def _action_set(self, actions: tuple[str, ...], negated: bool) -> tuple[Any, frozenset[str] | None]:
        found = self._actions.get(actions)
        if found is None:
            # A backslash is the one character a pattern reads otherwise than the policy does.
            patterns = [pattern_text(a) for a in actions] if "\\" in "".join(actions) else actions
            # The service prefixes an Action list can match, for the index; None: any.
            found = self._actions[actions] = (self.engine.match.GlobSet(patterns, fold_case=True),
                                              self.engine.front.action_services(actions))
        return found[0], None if negated else found[1]


class _Tables:
    """What the statement loop and the document reader (``qiam._front``) read for one profile and Version.

    The entries of the Action lists, Resource lists and condition keys met so
    far, each judged by the validator (alone, as ``ElementVerdicts`` does) and,
    when clean, compiled; see ``qiam._front_py.compile_statements``. The
    document reader keeps its own tables by element text (``*_texts``), and
    the compiled loop's shortcuts read ``operator_facts``, ``key_kinds`` and
    ``condition_makers``, and make Resource matchers of ``resource_matcher``.
    """

    __slots__ = ("_compiler", "_operators", "_profile", "_verdicts", "action_texts", "actions", "condition",
                 "condition_keys",
                 "condition_makers", "condition_texts", "globs", "key_kinds", "operator_facts", "pattern_matcher",
                 "plain_sids", "reads_variables", "resource_matcher", "resource_texts", "resources", "service_sets",
                 "statement", "statement_variables")

    def __init__(self, compiler: Compiler, profile: Profile, reads_variables: bool) -> None:
        engine = compiler.engine
        self._compiler = compiler
        self._profile = profile
        self._verdicts = ElementVerdicts(profile, reads_variables)
        self._operators: dict[str, Operator | OperatorNameError] = {}
        self.actions: dict[str | tuple[str, ...], tuple[Any, frozenset[str] | None, bool]] = {}
        self.resources: dict[str | tuple[str, ...], tuple[ResourceMatcher | None, bool, bool]] = {}
        self.condition_keys: dict[tuple[str, str, str | tuple[str, ...]],
                                  tuple[CompiledCondition, bool] | Literal[False]] = {}
        # The same entries by the element's JSON text, kept as the document reader sees fit
        # (qiam._front.compile_document); for a Condition block, the block's entry.
        self.action_texts: Any = None
        self.resource_texts: Any = None
        self.condition_texts: Any = None
        # What the compiled loop's condition shortcut reads (see condition_facts).
        self.operator_facts: dict[str, tuple[int, bool, bool, str | None, str] | Literal[False]] = {}
        self.key_kinds: dict[str, int] = {}
        self.condition_makers = (StringValues, IgnoreCaseValues, functools.partial(PatternValues, engine=engine),
                                 BoolValues)
        self.service_sets: dict[str, frozenset[str]] = {}  # the document reader's sets of one service
        self.plain_sids = profile.iam_document
        self.reads_variables = reads_variables
        self.statement = engine.decide.Statement
        self.condition = engine.decide.Condition
        self.globs = engine.match.GlobSet
        self.pattern_matcher = functools.partial(ResourceMatcher.of_patterns, engine=engine)
        self.resource_matcher = ResourceMatcher  # for the compiled loop, which makes of_patterns' matchers itself
        # The variables of a statement by its Resource matcher and conditions (see variables).
        self.statement_variables: dict[tuple[ResourceMatcher | None, tuple[CompiledCondition, ...]],
                                       tuple[Variable, ...]] = {}

    def action_entry(self, key: str | tuple[str, ...]) -> tuple[Any, frozenset[str] | None, bool]:
        """Judge, compile and keep an Action (or NotAction) element not met before."""
        entries = (key,) if isinstance(key, str) else key
        entry: tuple[Any, frozenset[str] | None, bool] = (None, None, False)
        # A plain list is clean without asking (the validator's own shortcut); others are judged.
        plain = self._compiler.engine.front.plain_actions(entries)
        if plain or self._verdicts.actions(key if isinstance(key, str) else list(key)):
            globs, services = self._compiler._action_set(entries, False)
            entry = (globs, services, True)
        self.actions[key] = entry
        return entry

    def resource_entry(self, key: str | tuple[str, ...]) -> tuple[ResourceMatcher | None, bool, bool]:
        """Judge, compile and keep a Resource (or NotResource) element not met before."""
        entries = (key,) if isinstance(key, str) else key
        entry: tuple[ResourceMatcher | None, bool, bool] = (None, False, False)
        plain = self._compiler.engine.front.plain_resources(entries)
        if plain or self._verdicts.resources(key if isinstance(key, str) else list(key)):
            matcher = self._compiler._resource_matcher(entries, self._profile, self.reads_variables)
            entry = (matcher, bool(matcher.templates), True)
        self.resources[key] = entry
        return entry

    def condition_key(self, key: tuple[str, str, str | tuple[str, ...]]
                      ) -> tuple[CompiledCondition, bool] | Literal[False]:
        """Judge, compile and keep one key of one operator not met before (False: not clean)."""
        op_text, name, values = key
        value = values if isinstance(values, str) else list(values)
        found: tuple[CompiledCondition, bool] | Literal[False] = False
        operator = self._operators.get(op_text)
        if operator is None:
            operator = self._operators[op_text] = parse_operator(op_text)
        if isinstance(operator, Operator) and (plain_condition_key(operator, name, values)
                                               or self._verdicts.condition({op_text: {name: value}})):
            condition = _compile_condition(operator, name, value, self.reads_variables, self._compiler.engine)
            found = (condition, bool(getattr(condition.values, "templates", ())))
        self.condition_keys[key] = found
        return found

    def condition_facts(self, op_text: str) -> tuple[int, bool, bool, str | None, str] | Literal[False]:
        """What the compiled loop needs to judge and compile a key of an operator itself (qiam._front's
        ``_plain_condition``, the shortcut of ``plain_condition_key`` and ``_compile_condition``): its
        kind (1 String, 2 StringIgnoreCase, 3 StringLike, 4 Arn, 5 Bool, 6 Null), whether it is negated,
        IfExists, its set prefix and its text; False for the operators left to ``condition_key``."""
        operator = self._operators.get(op_text)
        if operator is None:
            operator = self._operators[op_text] = parse_operator(op_text)
        facts: tuple[int, bool, bool, str | None, str] | Literal[False] = False
        if isinstance(operator, Operator):
            kind = FAMILY_RULES[operator.spec.family].front_kind
            if kind:
                facts = (kind, operator.spec.negated, operator.if_exists, operator.set_prefix, operator.text)
        self.operator_facts[op_text] = facts
        return facts

    def key_kind(self, name: str) -> int:
        """For the shortcut: -1 a key without a service prefix or with a variable, 0 not a global key, 1 a single-valued
        global key, 2 a multivalued one."""
        key_type = global_key(name)
        kind = -1 if ":" not in name or "${" in name else 0 if key_type is None else 2 if key_type.multivalued else 1
        self.key_kinds[name] = kind
        return kind

    def variables(self, resources: ResourceMatcher | None, conditions: tuple[CompiledCondition, ...]
                  ) -> tuple[Variable, ...]:
        """The variables a statement reads (see ``_variables``), found once per pair of elements."""
        key = (resources, conditions)
        found = self.statement_variables.get(key)
        if found is None:
            found = self.statement_variables[key] = _variables(resources, conditions)
        return found


def compile_policy(
    policy: PolicyInput | CompiledPolicy,
    profile: str | Profile = "identity",
    *,
    name: str | None = None,
    short_arns: bool = True,
    engine: Engine | None = None,
) -> CompiledPolicy:
    """Validate and compile one policy.

    Parameters
    ----------
    policy : str, bytes, Mapping, Policy or CompiledPolicy
        The policy; text is parsed first. A CompiledPolicy of the same profile
        is returned as is.
    profile : str or Profile
        The profile it is validated under (see ``validate_policy``).
    name : str, optional
        What to call it in messages, when it is text or a mapping.
    short_arns : bool
        Read a resource ARN with fewer than six fields as iam-simulate does
        (semantics.md §2.2, DISPUTED): its missing fields are ``*`` in identity,
        boundary and session policies, in other policies only when it holds a
        wildcard. False: such an ARN matches nothing.
    engine : Engine, optional
        The cores to compile with (default: the current engine).

    Raises
    ------
    PolicySyntaxError
        The text does not read as a JSON object.
    PolicyInvalidError
        Validation found errors; ``.diagnostics`` holds every finding.
    """
    return Compiler(short_arns=short_arns, engine=engine).compile(policy, profile, name=name)


def compile_policies(
    identity: Iterable[PolicyInput | CompiledPolicy] = (),
    *,
    resource: PolicyInput | CompiledPolicy | None = None,
    boundary: PolicyInput | CompiledPolicy | None = None,
    session: Iterable[PolicyInput | CompiledPolicy] | None = None,
    scps: Sequence[Iterable[PolicyInput | CompiledPolicy]] | None = None,
    rcps: Sequence[Iterable[PolicyInput | CompiledPolicy]] | None = None,
    resource_profile: str = "resource",
    engine: Engine | None = None,
) -> PolicySet:
    """Compile the policies that bear on a request into a ``PolicySet``.

    Parameters
    ----------
    identity : iterable of policies
        The principal's identity-based policies (managed and inline).
    resource : policy, optional
        The resource-based policy of the resource (a role's trust policy for
        ``sts:AssumeRole``: pass ``resource_profile="role-trust"``, or see
        ``qiam.kinds.resource_kind``).
    boundary : policy, optional
        The principal's permissions boundary.
    session : iterable of policies, optional
        Session policies; None means the session has none.
    scps, rcps : sequence of iterables of policies, optional
        One list of policies per organization level, from the root down to the
        account; None means the account is not in an organization.
    engine : Engine, optional
        The cores to compile with (default: the current engine).

    Returns
    -------
    PolicySet

    Examples
    --------
    >>> from qiam import Request
    >>> pset = compile_policies([{"Version": "2012-10-17", "Statement": [
    ...     {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}]}])
    >>> pset.evaluate(Request("s3:GetObject", "arn:aws:s3:::b/k")).decision.value
    'allowed'
    """
    compiler = Compiler(engine=engine)
    given = {"identity": identity, "resource": resource, "boundary": boundary, "session": session, "scps": scps,
             "rcps": rcps}
    kinds = {kind.field: kind for kind in PolicyKind.of_set()}
    kinds["resource"] = PolicyKind.TRUST if resource_profile == PolicyKind.TRUST.profile else PolicyKind.RESOURCE

    def one(policy: PolicyInput | CompiledPolicy, kind: PolicyKind, label: str) -> CompiledPolicy:
        return compiler.compile(policy, kind.profile, name=_name(policy, label))

    def many(items: Iterable[PolicyInput | CompiledPolicy], kind: PolicyKind, label: str
             ) -> tuple[CompiledPolicy, ...]:
        return tuple(one(p, kind, f"{label}[{i}]") for i, p in enumerate(items))

    fields: dict[str, Any] = {}
    for name, kind in kinds.items():
        value: Any = given[name]
        if value is None:
            fields[name] = () if kind is PolicyKind.IDENTITY else None
        elif kind.shape is Shape.ONE:
            fields[name] = one(value, kind, kind.slot)
        elif kind.shape is Shape.MANY:
            fields[name] = many(value, kind, kind.slot)
        else:
            fields[name] = tuple(many(level, kind, f"{kind.slot}[{n}]") for n, level in enumerate(value))
    return PolicySet(**fields)


def _name(policy: Any, default: str) -> str | None:
    if isinstance(policy, (Policy, CompiledPolicy)):
        return policy.name
    return default


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    items = tuple(value)
    try:
        "".join(items)  # all strings, checked in one call (the usual case)
    except TypeError:
        return tuple(v for v in items if isinstance(v, str))
    return items


def _variables(resources: ResourceMatcher | None, conditions: tuple[CompiledCondition, ...]
               ) -> tuple[Variable, ...]:
    found: dict[str, Variable] = {}
    templates = [t for _, t in resources.templates] if resources is not None else []
    for condition in conditions:
        templates.extend(getattr(condition.values, "templates", ()))
    for template in templates:
        for variable in template.variables:
            found.setdefault(variable.key, variable)
    return tuple(found.values())


def _compile_resources(entries: tuple[str, ...], profile: Profile, reads_variables: bool,
                       short_arns: bool, engine: Engine) -> ResourceMatcher:
    joined = "".join(entries)
    if "\\" not in joined and "${" not in joined and all(e == "*" or e.count(":") >= 5 for e in entries):
        return ResourceMatcher.of_patterns(entries, engine)  # what _compile_each_resource makes, made directly
    return _compile_each_resource(entries, profile, reads_variables, short_arns, engine)


def _compile_each_resource(entries: tuple[str, ...], profile: Profile, reads_variables: bool,
                           short_arns: bool, engine: Engine) -> ResourceMatcher:
    patterns: list[tuple[int, str]] = []
    templates: list[tuple[int, Template]] = []
    for position, entry in enumerate(entries):
        entry = _pad_short_arn(entry, profile, short_arns)
        value = compile_value(entry, pattern=True, reads_variables=reads_variables, engine=engine)
        if isinstance(value, Template):
            templates.append((position, value))
        else:
            patterns.append((position, value))
    return ResourceMatcher(entries, patterns, templates, engine)


def _pad_short_arn(entry: str, profile: Profile, short_arns: bool) -> str:
    """iam-simulate's reading of an ARN with fewer than six fields (semantics.md §2.2)."""
    colons = entry.count(":")
    if not short_arns or colons >= 5 or entry.strip("*") == "":
        return entry
    if profile.identity_like:
        pad = True
    elif profile.kind in ("scp", "rcp"):
        pad = entry.endswith("*")
    else:
        pad = "*" in entry or "?" in entry
    return entry + ":*" * (5 - colons) if pad else entry


def _compile_conditions(condition: Mapping[str, Any], reads_variables: bool, engine: Engine
                        ) -> tuple[CompiledCondition, ...]:
    compiled = []
    for op_text, body in condition.items():
        operator = parse_operator(op_text)
        if not isinstance(operator, Operator):
            continue  # an unknown operator over an empty body: validation warned, it has no keys
        for key, value in body.items():
            compiled.append(_compile_condition(operator, key, value, reads_variables, engine))
    return tuple(compiled)


def _compile_condition(operator: Operator, key: str, value: Any, reads_variables: bool, engine: Engine
                       ) -> CompiledCondition:
    if type(value) is str:
        texts: tuple[str, ...] = (value,)
    else:
        items = value if isinstance(value, list) else [value]
        texts = tuple(t for t in map(condition_value_text, items) if t is not None)
    null = operator.spec.family is NULL
    if null:
        values: Any = tuple(t.lower() == "true" for t in texts)
    else:
        values = compile_values(operator.spec, texts, reads_variables=reads_variables, engine=engine)
    exact = None
    if type(values) is StringValues and not values.templates:
        exact = values.static  # exact equality: set membership decides
    condition: CompiledCondition = engine.decide.Condition(
        key.lower(), key, null=null, negated=operator.spec.negated, if_exists=operator.if_exists,
        set_prefix=operator.set_prefix, values=values, exact=exact, operator=operator.text, texts=texts)
    return condition
