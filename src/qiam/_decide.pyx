# cython: language_level=3, binding=True, boundscheck=False, wraparound=False
# cython: initializedcheck=False, cdivision=True, freethreading_compatible=True
# (The directives are set in setup.py; they are repeated here for the reader.)
"""Compiled decision kernel: the decision procedure over compiled statements.

Twin of ``qiam._decide_py``, which is the readable specification: every public
name here has the same signature, docstring and results there. The matching of
actions and resources calls the compiled matchers at C level.
"""

cimport cython
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_Resize
from cpython.unicode cimport (PyUnicode_DATA, PyUnicode_FindChar, PyUnicode_GET_LENGTH, PyUnicode_READ_CHAR,
                              PyUnicode_Tailmatch)
from libc.string cimport memchr, memcmp


cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object text)

from qiam._match cimport ArnPatternSet, GlobSet

import inspect

import qiam.decision as _public
from qiam import findings, limits, special
from qiam.decision import DECISION_CODES, Decision, StatementRef
from qiam.kinds import TRUST_ACTIONS
from qiam.operators import SHORTCUT_ARN, SHORTCUT_EXACT, SHORTCUT_FOLDED, SHORTCUT_GLOB, is_arn
from qiam.errors import Location
from qiam.principals import ALLOW_PATHS, CallerKind, MatchKind

__all__ = ["Condition", "Evaluator", "Result", "Statement", "decide_pairs", "evaluate_pairs", "has_shape"]

cdef object _ALLOW = Decision.ALLOW
cdef object _EXPLICIT_DENY = Decision.EXPLICIT_DENY
cdef object _IMPLICIT_DENY = Decision.IMPLICIT_DENY
cdef object _ROOT = CallerKind.ROOT
cdef object _FEDERATED_USER = CallerKind.FEDERATED_USER
cdef object _ROLE_SESSION = CallerKind.ROLE_SESSION
cdef object _ACCOUNT = MatchKind.ACCOUNT
cdef object _ROLE_OF_SESSION = MatchKind.ROLE_OF_SESSION
cdef object _NOT_PRINCIPAL = MatchKind.NOT_PRINCIPAL
cdef tuple _EMPTY = ()

# The special rules (semantics.md §4.4, §4.7) are qiam.special's tables; the ARN shapes are
# matched by _arn_like, by the first five colons (the twin reads them as regexes).
cdef dict _NO_PERMISSION_NEEDED = dict(special.NO_PERMISSION_NEEDED)


cdef tuple _shape(object shape):
    return (shape.service, shape.empty_region, shape.account, shape.prefix)


cdef tuple _AWS_OWNED = tuple([(rule.reason, _shape(rule.shape), rule.actions) for rule in special.AWS_OWNED])
cdef frozenset _TRUST_ACTIONS = TRUST_ACTIONS
cdef tuple _KMS_KEY = _shape(special.KMS_KEY)
cdef tuple _ROLE = _shape(special.ROLE)

# How many plans a set keeps, per service and per action (qiam.limits says why).
cdef Py_ssize_t MAX_SERVICE_PLANS = limits.SERVICE_PLANS
cdef Py_ssize_t MAX_ACTION_PLANS = limits.ACTION_PLANS
cdef Py_ssize_t REPEAT_SAMPLE = limits.REPEAT_SAMPLE
cdef Py_ssize_t REPEAT_SHARE = limits.REPEAT_SHARE

cdef dict _SET_PREFIXES = {None: 0, "ForAllValues": 1, "ForAnyValue": 2}
cdef dict _ORDER = {"identity": 0, "boundary": 1, "session": 2, "scp": 3, "rcp": 4, "resource": 5}


cdef enum:
    ACCOUNT_ANY = 0     # [^:]*, as special.ACCOUNT_ANY
    ACCOUNT_ID = 1      # [0-9]{12}, as special.ACCOUNT_ID
    ACCOUNT_AWS = 2     # aws, as special.ACCOUNT_AWS
    MAX_GROUPS = 64     # a group is a bit of a 64-bit word (the twin refuses more too)


cdef bint _ascii_arn_like(const char* arn, Py_ssize_t n, str service, bint empty_region, int account,
                          str prefix) noexcept:
    """``_arn_like`` of ASCII texts, read in place (the same tests, in the same order)."""
    cdef Py_ssize_t colon[5]
    cdef Py_ssize_t pos = 0, i, length
    cdef const char* found
    for i in range(5):
        found = <const char*> memchr(arn + pos, 58, n - pos)
        if found == NULL:
            return False
        colon[i] = found - arn
        pos = colon[i] + 1
    if colon[0] != 3 or memcmp(arn, b"arn", 3) != 0 or colon[1] == 4:
        return False
    length = PyUnicode_GET_LENGTH(service)
    if colon[2] - colon[1] - 1 != length or memcmp(arn + colon[1] + 1, PyUnicode_DATA(service), length) != 0:
        return False
    if empty_region and colon[3] != colon[2] + 1:
        return False
    if account == ACCOUNT_ID:
        if colon[4] - colon[3] - 1 != 12:
            return False
        for i in range(colon[3] + 1, colon[4]):
            if arn[i] < 48 or arn[i] > 57:
                return False
    elif account == ACCOUNT_AWS:
        if colon[4] - colon[3] - 1 != 3 or memcmp(arn + colon[3] + 1, b"aws", 3) != 0:
            return False
    length = PyUnicode_GET_LENGTH(prefix)
    return n - colon[4] - 1 >= length and memcmp(arn + colon[4] + 1, PyUnicode_DATA(prefix), length) == 0


cdef bint _arn_like(str arn, tuple shape) except -1:
    """Whether ``arn`` starts ``arn:<partition>:<service>:<region>:<account>:<prefix>``.

    ``shape`` is (service, region must be empty, ACCOUNT_*, prefix); the partition
    is any non-empty text. What the twin's regexes say, by the first five colons.
    """
    cdef str service = <str> shape[0], prefix = <str> shape[3]
    cdef bint empty_region = shape[1]
    cdef int account = shape[2]
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(arn), pos = 0, i
    cdef Py_ssize_t colon[5]
    cdef Py_UCS4 c
    if PyUnicode_IS_ASCII(arn) and PyUnicode_IS_ASCII(service) and PyUnicode_IS_ASCII(prefix):
        return _ascii_arn_like(<const char*> PyUnicode_DATA(arn), n, service, empty_region, account, prefix)
    for i in range(5):
        colon[i] = PyUnicode_FindChar(arn, u":", pos, n, 1)
        if colon[i] < 0:
            return False
        pos = colon[i] + 1
    if colon[0] != 3 or not PyUnicode_Tailmatch(arn, "arn", 0, 3, -1) or colon[1] == 4:
        return False
    if (colon[2] - colon[1] - 1 != PyUnicode_GET_LENGTH(service)
            or not PyUnicode_Tailmatch(arn, service, colon[1] + 1, colon[2], -1)):
        return False
    if empty_region and colon[3] != colon[2] + 1:
        return False
    if account == ACCOUNT_ID:
        if colon[4] - colon[3] - 1 != 12:
            return False
        for i in range(colon[3] + 1, colon[4]):
            c = PyUnicode_READ_CHAR(arn, i)
            if c < u"0" or c > u"9":
                return False
    elif account == ACCOUNT_AWS:
        if colon[4] - colon[3] - 1 != 3 or not PyUnicode_Tailmatch(arn, "aws", colon[3] + 1, colon[4], -1):
            return False
    return PyUnicode_Tailmatch(arn, prefix, colon[4] + 1, n, -1) == 1


def has_shape(arn, shape):
    """Whether ``arn`` has the ``qiam.special.ArnShape`` ``shape``, as the kernel reads it."""
    return _arn_like(<str?> arn, _shape(shape))


cdef bint _requires_resource_policy(_Plan plan, str resource) except -1:
    """Role trust policies and KMS key policies must themselves allow (semantics.md §4.4)."""
    if plan.trust:
        return _arn_like(resource, _ROLE)
    return plan.kms and _arn_like(resource, _KMS_KEY)


cdef inline void _made_once(object made, object field) except *:
    """Refuse a second ``__init__``: compiled statements and results are shared, so they never change once
    made (``field`` is one that ``__init__`` sets)."""
    if field is not None:
        raise TypeError(f"a {type(made).__name__} is made once: it cannot be initialised again")


@cython.final
@cython.no_gc  # entries and rules made before it, none of which can refer back to it
cdef class _Plan:
    """The index's answer for one action: the statements that can apply to it, in
    order, and what the decision needs to know of the action itself."""

    cdef tuple entries
    cdef tuple pairs    # (statement, ref) of each entry, made when first asked (statements_for)
    cdef tuple elements  # resource_elements' answer, made when first asked
    cdef bint trust     # a role trust action (semantics.md §4.4)
    cdef bint kms       # a KMS action: a key policy may have to allow
    cdef object owned   # the _AWS_OWNED rule that guards the action, or None (semantics.md §4.7)


cdef _Plan _new_plan(str action, tuple entries):
    cdef _Plan plan = _Plan.__new__(_Plan)
    plan.entries = entries
    plan.pairs = None
    plan.elements = None
    plan.trust = action in _TRUST_ACTIONS
    plan.kms = action.startswith("kms:")
    plan.owned = None
    for rule in _AWS_OWNED:
        if action in rule[2]:
            plan.owned = rule
    return plan


@cython.no_gc  # holds compiled values made before it, none of which can refer back to it
cdef class Condition:
    """One condition key under one operator, compiled.

    Parameters
    ----------
    key : str
        The key, case-folded; ``key_text`` as written.
    null : bool
        The operator is ``Null``: ``values`` is then a tuple of booleans (true:
        the key must be absent).
    negated, if_exists : bool
        The operator is negated; it ends in ``IfExists``.
    set_prefix : str or None
        ``ForAllValues``, ``ForAnyValue`` or None.
    values : object
        The compiled policy values: ``test(value, context, negated)`` compares one
        request value (True, False, or None when it cannot be read) and
        ``reads(value)`` says whether a request value can be read at all.
    exact : frozenset or None
        For ``StringEquals`` / ``StringNotEquals`` without variables, the values
        themselves: membership decides.
    operator, texts
        The operator and values as written, for explanations. A condition has no
        path of its own (it is its statement's path, then ``Condition``, the
        operator and the key), so equal conditions can be shared between statements.
    """

    __signature__ = inspect.signature(
        lambda key, key_text, *, null, negated, if_exists, set_prefix, values, exact, operator, texts: None)

    # Attributes are declared in _decide.pxd.

    def __init__(self, key, key_text, *, null, negated, if_exists, set_prefix, values, exact, operator, texts):
        _made_once(self, self.key)
        if set_prefix not in _SET_PREFIXES:
            raise ValueError("set_prefix must be None, `ForAllValues` or `ForAnyValue`")
        self._fill(key, key_text, bool(null), bool(negated), bool(if_exists), set_prefix, values, exact, operator,
                   texts)

    @staticmethod
    cdef Condition of_parts(str key, str key_text, bint null, bint negated, bint if_exists, object set_prefix,
                            object values, object exact, str operator, tuple texts):
        """A condition from compiled code (the compiler's loop, whose set prefixes are the operators'):
        as ``Condition(...)`` makes it, without the call through the type and its keywords."""
        cdef Condition made = Condition.__new__(Condition)
        made._fill(key, key_text, null, negated, if_exists, set_prefix, values, exact, operator, texts)
        return made

    cdef int _fill(self, str key, str key_text, bint null, bint negated, bint if_exists, object set_prefix,
                   object values, object exact, str operator, tuple texts) except -1:
        self.key = key
        self.key_text = key_text
        self.null = null
        self.negated = negated
        self.if_exists = if_exists
        self.set_prefix = set_prefix
        self.prefix = _SET_PREFIXES[set_prefix]
        self.values = values
        self.exact = exact
        self.operator = operator
        self.texts = texts
        self.fast = 0
        shortcut = None if null else getattr(values, "shortcut", None)
        if shortcut is not None:
            # The values' own shortcut (qiam.operators.SHORTCUT_*), checked against the types this
            # kernel tests at C level; anything else is tested through values.test.
            kind, data = shortcut()
            if kind == SHORTCUT_EXACT and type(data) is frozenset:
                self.fast, self._strings = 1, data
            elif kind == SHORTCUT_FOLDED and type(data) is frozenset:
                self.fast, self._strings = 2, data
            elif kind == SHORTCUT_GLOB and isinstance(data, GlobSet) and not (<GlobSet> data)._fold_case:
                self.fast, self._globs = 3, data
            elif kind == SHORTCUT_ARN and isinstance(data, ArnPatternSet):
                self.fast, self._arns = 4, data
        return 0

    def __repr__(self):
        return f"Condition({self.operator!r}, {self.key_text!r})"


@cython.no_gc  # holds compiled elements made before it, none of which can refer back to it
cdef class Statement:
    """A compiled statement.

    Parameters
    ----------
    index : int
        Its position in the policy; ``sid`` its Sid, ``path`` its JSON path.
    allow : bool
        Allow (True) or Deny.
    actions : GlobSet
        The Action (or NotAction, when ``not_action``) patterns, case-folded.
    resources : object or None
        The Resource (or NotResource) entries: ``matches(resource, context)``,
        with ``static`` (an ArnPatternSet) and ``templates``; None when the
        statement has neither (a trust policy).
    principal : object or None
        The Principal (or NotPrincipal) matcher: ``match(caller)`` and
        ``excludes(caller)``; None outside resource-based policies.
    conditions : tuple of Condition
    services : frozenset of str or None
        The service prefixes its actions can match; None: any service.
    variables : tuple
        The policy variables its Resource and Condition read (``key``,
        ``name``, ``text``, ``default``).
    """

    __signature__ = inspect.signature(
        lambda index, sid, allow, actions, not_action, resources, not_resource, principal, not_principal,
        conditions, path, services, variables: None)

    # Attributes are declared in _decide.pxd.

    def __init__(self, index, sid, allow, actions, not_action, resources, not_resource, principal, not_principal,
                 conditions, path, services, variables):
        _made_once(self, self.path)
        self._fill(index, sid, bool(allow), actions, bool(not_action), resources, bool(not_resource), principal,
                   bool(not_principal), tuple(conditions), path, services, tuple(variables))

    @staticmethod
    cdef Statement of_parts(Py_ssize_t index, object sid, bint allow, object actions, bint not_action,
                            object resources, bint not_resource, tuple conditions, tuple path, object services,
                            tuple variables):
        """A statement without a principal, from compiled code (the compiler's loop): as
        ``Statement(...)`` makes it, without the call through the type."""
        cdef Statement made = Statement.__new__(Statement)
        made._fill(index, sid, allow, actions, not_action, resources, not_resource, None, False, conditions, path,
                   services, variables)
        return made

    cdef int _fill(self, Py_ssize_t index, object sid, bint allow, object actions, bint not_action, object resources,
                   bint not_resource, object principal, bint not_principal, tuple conditions, object path,
                   object services, tuple variables) except -1:
        self.index = index
        self.sid = sid
        self.allow = allow
        self.effect = "Allow" if allow else "Deny"
        self.actions = actions
        self._actions = actions if isinstance(actions, GlobSet) else None
        self.not_action = not_action
        self.resources = resources
        self.not_resource = not_resource
        self._simple_resources = False
        self._static = None
        if resources is not None and not resources.templates and isinstance(resources.static, ArnPatternSet):
            self._static = resources.static
            self._simple_resources = True
        self.principal = principal
        self.not_principal = not_principal
        self.conditions = conditions
        self.path = path
        self.services = services
        self.variables = variables
        return 0

    def __repr__(self):
        return f"Statement({self.index}, {self.effect})"


@cython.freelist(16)
@cython.no_gc  # holds only immutable values, never itself: no cycle to collect
cdef class Result:
    """The decision, the statements that decided it, and why.

    ``matched``: for an explicit deny every Deny statement that applies; for an
    allow the Allow statements of the path that granted (identity policies and
    the boundary and session policies that let them through, or the resource
    policy); for an implicit deny nothing. ``decided_by`` names the policy
    types (and organization levels) that decided. ``reasons`` gives the grant
    path of an allow (``identity``, ``resource_policy:direct``, ...) or what
    blocked an implicit deny (``no_allow``, ``boundary``, ``session_policy``,
    ``scp[1]``, ``rcp[0]``, ``resource_policy_required``,
    ``cross_account_resource_side``, ``cross_account_principal_side``,
    ``federated_user_without_session_policy``, ``cross_partition``,
    ``aws-owned-resource:...``), or ``no-permission-needed``.
    ``missing_context_keys`` are keys that conditions of otherwise applicable
    statements asked for and the request did not carry (the simulator's
    MissingContextValues). ``warnings`` are the validation findings of the
    policies; ``diagnostics`` what evaluating this request noticed.
    """

    __signature__ = inspect.signature(
        lambda decision, matched=(), diagnostics=(), warnings=(), decided_by=(), reasons=(),
        missing_context_keys=(), same_account=True: None)

    cdef readonly object decision
    cdef readonly tuple matched
    cdef readonly tuple diagnostics
    cdef readonly tuple warnings
    cdef readonly tuple decided_by
    cdef readonly tuple reasons
    cdef readonly tuple missing_context_keys
    cdef readonly bint same_account

    def __init__(self, decision, matched=(), diagnostics=(), warnings=(), decided_by=(), reasons=(),
                 missing_context_keys=(), same_account=True):
        _made_once(self, self.decision)
        self.decision = decision
        self.matched = tuple(matched)
        self.diagnostics = tuple(diagnostics)
        self.warnings = tuple(warnings)
        self.decided_by = tuple(decided_by)
        self.reasons = tuple(reasons)
        self.missing_context_keys = tuple(missing_context_keys)
        self.same_account = bool(same_account)

    @property
    def allowed(self):
        """Whether the decision is ALLOW."""
        return self.decision is _ALLOW

    def __repr__(self):
        return f"Result({self.decision.value}, matched={len(self.matched)}, reasons={self.reasons!r})"

    def to_dict(self):
        """The batch format's output fields."""
        return {
            "decision": self.decision.value,
            "matched": [m.to_dict() for m in self.matched],
            "decided_by": list(self.decided_by),
            "reasons": list(self.reasons),
            "missing_context_keys": list(self.missing_context_keys),
            "same_account": self.same_account,
            "warnings": [d.to_dict() for d in self.warnings + self.diagnostics],
        }


cdef Result _new_result(object decision, tuple matched, tuple diagnostics, tuple warnings, tuple decided_by,
                        tuple reasons, tuple missing, bint same_account):
    cdef Result result = Result.__new__(Result)
    result.decision = decision
    result.matched = matched
    result.diagnostics = diagnostics
    result.warnings = warnings
    result.decided_by = decided_by
    result.reasons = reasons
    result.missing_context_keys = missing
    result.same_account = same_account
    return result


@cython.no_gc  # a compiled statement, its reference and source: none refers back to it
cdef class _Entry:
    """A statement of the plan: its group, the statement, its reference, its policy's source."""

    cdef int group
    cdef Statement statement
    cdef object ref
    cdef object source


@cython.no_gc  # the entries of one policy type or level: none refers back to it
cdef class _Group:
    cdef str kind
    cdef int level
    cdef str label
    cdef list entries


# Positions in Request.facts (qiam.request.FACTS).
cdef enum:
    F_ACTION = 0
    F_SERVICE = 1
    F_RESOURCE = 2
    F_CONTEXT = 3
    F_CALLER = 4
    F_KIND = 5
    F_HAS_IDENTITY = 6
    F_AUTHENTICATED = 7
    F_SERVICE_LINKED = 8
    F_MANAGEMENT = 9
    F_RESOURCE_MANAGEMENT = 10
    F_ACCOUNT = 11
    F_OWNER_ACCOUNT = 12
    F_PARTITION = 13
    F_OWNER_PARTITION = 14
    F_ACTION_AS_GIVEN = 15
    F_SAME_ACCOUNT = 16
    F_SAME_PARTITION = 17

# The rule that decided a request (Evaluator._branch), and the decision of each.
cdef enum:
    B_EXPLICIT_DENY = 0
    B_AWS_OWNED
    B_GUARDRAIL
    B_ANONYMOUS_GRANT
    B_ANONYMOUS_NO_ALLOW
    B_CROSS_PARTITION
    B_CROSS_ACCOUNT_GRANT
    B_CROSS_ACCOUNT_NO_ALLOW
    B_REQUIRED_GRANT
    B_DELEGATED
    B_REQUIRED_NO_ALLOW
    B_IDENTITY
    B_RESOURCE
    B_NO_ALLOW
    N_BRANCHES

# A decision as a byte (qiam.decision.DECISION_CODES: its index there).
cdef enum:
    CODE_ALLOW = 0
    CODE_EXPLICIT_DENY = 1
    CODE_IMPLICIT_DENY = 2

if DECISION_CODES != (Decision.ALLOW, Decision.EXPLICIT_DENY, Decision.IMPLICIT_DENY):
    raise ImportError("qiam._decide was built for another order of qiam.decision.DECISION_CODES")

cdef int[N_BRANCHES] _BRANCH_CODES
_BRANCH_CODES[:] = [CODE_EXPLICIT_DENY, CODE_IMPLICIT_DENY, CODE_IMPLICIT_DENY, CODE_ALLOW, CODE_IMPLICIT_DENY,
                    CODE_IMPLICIT_DENY, CODE_ALLOW, CODE_IMPLICIT_DENY, CODE_ALLOW, CODE_ALLOW, CODE_IMPLICIT_DENY,
                    CODE_ALLOW, CODE_ALLOW, CODE_IMPLICIT_DENY]

cdef tuple _ALLOWED_BY_IDENTITY = ("identity",)
cdef tuple _BY_RESOURCE = ("resource",)
cdef tuple _BY_BOTH = ("identity", "resource")
cdef tuple _NO_ALLOW = ("no_allow",)
cdef tuple _EXPLICIT = ("explicitDeny",)  # the decision, spelled as on the wire
cdef tuple _CROSS_ACCOUNT = ("cross_account",)
cdef tuple _CROSS_PARTITION = ("cross_partition",)
cdef tuple _DELEGATED = ("identity", "resource_policy:account")


@cython.freelist(8)
@cython.no_gc  # lives for one evaluation and holds no reference back to itself
cdef class _Run:
    """The state of one evaluation."""

    cdef tuple facts
    cdef object request
    cdef object caller
    cdef dict context
    cdef object tracer
    cdef bint bounded
    cdef str action
    cdef _Plan plan
    cdef unsigned long long allowed  # bit g: some Allow of group g applies
    cdef list allow_entries          # the _Entry of each Allow that applies, in plan order
    cdef list denies                 # the _Entry of each Deny that applies, in plan order
    cdef list kinds
    cdef set missing
    cdef list notes
    cdef bint detail                 # record the statements that apply, notes and missing keys (for a Result)
    cdef dict principals             # (verdicts only) a Principal matcher -> (the last caller, how it names it)
    cdef bint denied                 # some Deny applies
    cdef bint rp_always              # some resource-policy Allow grants by itself, blocked or not
    cdef bint rp_unblocked           # ... grants by itself when no boundary or session policy blocks
    # What the branch found, for the Result made from it:
    cdef bint any_rp
    cdef bint identity_ok
    cdef bint boundary_blocks
    cdef bint session_blocks
    cdef int guardrail

    cdef void note(self, object finding, object location) except *:
        if self.notes is None:
            self.notes = []
        for n in self.notes:
            if n.code == finding.code and n.message == finding.message:
                return
        self.notes.append(finding.at(location))

    cdef void miss(self, str key) except *:
        if self.missing is None:
            self.missing = set()
        self.missing.add(key)


@cython.no_gc  # (thousands of sets: tracked, each collection would walk all their plans)
cdef class Evaluator:
    """The decision procedure over the compiled statements of a policy set (semantics.md §4.3).

    Parameters
    ----------
    groups : iterable of (kind, level, source, statements, refs)
        Each policy of the set: ``kind`` is ``identity``, ``boundary``,
        ``session``, ``scp``, ``rcp`` or ``resource``; ``level`` the
        organization level (0 is the root) for ``scp`` and ``rcp``; ``source``
        its Source; ``statements`` its compiled statements; ``refs`` their
        StatementRefs, which name the policy and its place in the set
        (``CompiledPolicy.refs``, made once per policy and place, so that a set
        costs little to make).
    warnings : tuple of Diagnostic
        The validation warnings of the policies, carried by every result.
    session_given : bool
        The caller's session has session policies (even if none is given here).
    scp_levels, rcp_levels : int
        How many organization levels there are: a level without policies has
        no allow, so it denies (semantics.md §4.3). 0: not in an organization.
    rcp_services : frozenset of str
        The service prefixes whose resources RCPs cover (the action catalog's list).

    A boundary or session policies apply when the set has some. There are at
    most 64 policy types and organization levels (ValueError).
    """

    __signature__ = inspect.signature(
        lambda groups, warnings=(), *, session_given=False, scp_levels=0, rcp_levels=0, rcp_services=frozenset(): None)

    cdef tuple _groups
    cdef int _identity
    cdef int _boundary
    cdef int _session
    cdef bint _session_given
    cdef int _resource
    cdef tuple _scps
    cdef tuple _rcps
    cdef unsigned long long _scp_bits
    cdef unsigned long long _rcp_bits
    cdef tuple _warnings
    cdef dict _service_plans        # service -> the statements whose Action can name it
    cdef dict _action_plans         # action -> the statements whose Action or NotAction admits it
    cdef tuple _all
    cdef object _rcp_covered        # the services RCPs cover, read from the catalog when there are RCPs

    def __init__(self, groups, warnings=(), *, session_given=False, scp_levels=0, rcp_levels=0,
                 rcp_services=frozenset()):
        cdef dict by_label = {}
        _made_once(self, self._groups)
        cdef _Group group
        cdef _Entry entry
        items = sorted(groups, key=lambda g: (_ORDER[g[0]], g[1]))
        for kind, levels in (("scp", scp_levels), ("rcp", rcp_levels)):
            for level in range(levels):
                by_label[f"{kind}[{level}]"] = _new_group(kind, level, f"{kind}[{level}]")
        for kind, level, source, statements, refs in items:
            group_label = f"{kind}[{level}]" if kind in ("scp", "rcp") else kind
            group = by_label.get(group_label)
            if group is None:
                group = by_label[group_label] = _new_group(kind, level, group_label)
            for statement, ref in zip(statements, refs, strict=True):
                entry = _Entry.__new__(_Entry)  # (its group's index is known once the groups are in order)
                entry.statement = statement
                entry.ref = ref
                entry.source = source
                group.entries.append(entry)
        self._groups = tuple(sorted(by_label.values(), key=lambda g: (_ORDER[(<_Group> g).kind],
                                                                     (<_Group> g).level)))
        if len(self._groups) > MAX_GROUPS:
            raise ValueError("a policy set has at most 64 policy types and organization levels")
        index = {(<_Group> g).label: i for i, g in enumerate(self._groups)}
        self._identity = index.get("identity", -1)
        self._boundary = index.get("boundary", -1)
        self._session = index.get("session", -1)
        self._session_given = bool(session_given) or self._session >= 0
        self._resource = index.get("resource", -1)
        self._scps = tuple([i for i, g in enumerate(self._groups) if (<_Group> g).kind == "scp"])
        self._rcps = tuple([i for i, g in enumerate(self._groups) if (<_Group> g).kind == "rcp"])
        self._scp_bits = 0
        self._rcp_bits = 0
        for g in self._scps:
            self._scp_bits |= 1ULL << <int> g
        for g in self._rcps:
            self._rcp_bits |= 1ULL << <int> g
        self._warnings = tuple(warnings)
        self._service_plans = {}
        self._action_plans = {}
        self._all = self._build()
        self._rcp_covered = rcp_services if type(rcp_services) is frozenset else frozenset(rcp_services)

    cdef tuple _build(self):
        """Every entry of the set, in the order of its groups, each told its group's index."""
        cdef list plan = []
        cdef _Group group
        cdef _Entry entry
        cdef int g
        for g in range(len(self._groups)):
            group = self._groups[g]
            for entry in group.entries:
                entry.group = g
                plan.append(entry)
        return tuple(plan)

    cdef tuple _service_plan(self, object service):
        """The entries whose statement's Action can name ``service`` (the set's own, shared by its plans)."""
        cdef _Entry entry
        plan = self._service_plans.get(service)
        if plan is None:
            plan = tuple([entry for entry in self._all
                          if entry.statement.services is None or service in entry.statement.services])
            if len(self._service_plans) < MAX_SERVICE_PLANS:
                self._service_plans[service] = plan
        return <tuple> plan

    cdef _Plan _plan(self, str action, object service):
        """The index: the statements whose action element admits ``action`` (folded), in order.

        Whether a statement's Action or NotAction admits an action depends on the
        action alone, so it is decided once per action here and never per request.
        """
        cdef _Entry entry
        cdef Statement st
        cdef bint matched
        plan = self._action_plans.get(action)
        if plan is None:
            admitted = []
            for entry in self._service_plan(service):
                st = entry.statement
                if st._actions is not None:
                    matched = st._actions.matches_folded(action)
                else:
                    matched = st.actions.matches_any(action)
                if matched != st.not_action:
                    admitted.append(entry)
            plan = _new_plan(action, tuple(admitted))
            if len(self._action_plans) < MAX_ACTION_PLANS:
                self._action_plans[action] = plan
        return <_Plan> plan

    def evaluate(self, request, tracer=None):
        """Decide one request; ``tracer`` is told about every statement and condition."""
        return self.decide(request, tracer)

    def statements_for(self, str action not None):
        """The statements whose Action or NotAction admits ``action`` (any case), with their references,
        in order: the statements that can bear on a request for it."""
        cdef str folded = action.lower()
        cdef _Plan plan = self._plan(folded, folded.split(":", 1)[0])
        cdef _Entry entry
        if plan.pairs is None:
            plan.pairs = tuple([(entry.statement, entry.ref) for entry in plan.entries])
        return plan.pairs

    def resource_elements(self, str action not None):
        """The Resource (or NotResource) matchers of the statements ``statements_for(action)`` gives:
        the distinct matchers without variables, in order, and the statements whose matcher has some."""
        cdef str folded = action.lower()
        cdef _Plan plan = self._plan(folded, folded.split(":", 1)[0])
        cdef _Entry entry
        cdef Statement st
        cdef dict static
        cdef list templated
        if plan.elements is None:
            static = {}
            templated = []
            for entry in plan.entries:
                st = entry.statement
                if st.resources is None:
                    continue
                if st.resources.templates:
                    templated.append(st)
                else:
                    static.setdefault(id(st.resources), st.resources)
            plan.elements = (tuple(static.values()), tuple(templated))
        return plan.elements

    def evaluate_many(self, requests):
        """Decide many requests, in order; requests with equal ``key`` are decided once, while repeats
        are common enough to pay for the keying (``qiam.limits.REPEAT_SAMPLE``)."""
        cdef _Seen seen = _new_seen(self, _new_tally())
        return [seen.decide(request) for request in requests]

    cdef Result decide(self, object request, object tracer):
        """The Result for ``request``, every statement reported to ``tracer`` if one is given."""
        cdef tuple facts = <tuple> request.facts
        cdef str action = <str> facts[F_ACTION]
        cdef unsigned long long mask
        cdef _Run run
        if action in _NO_PERMISSION_NEEDED:
            return _new_result(_ALLOW, _EMPTY, _EMPTY, self._warnings, _EMPTY,
                               (_NO_PERMISSION_NEEDED[action],), _EMPTY, True)
        mask = self._mask(facts)
        run = _Run.__new__(_Run)
        self._begin(run, request, facts, tracer, mask, True)
        self._match(run, mask)
        return self._result_of(run, mask, self._branch(run, mask))

    cdef int verdict(self, object request, _Run run) except -1:
        """The decision for ``request`` alone, as its code (``DECISION_CODES``): the same rules as ``decide``,
        without recording what a Result reports, and with ``run`` used again for every request."""
        cdef tuple facts = <tuple> request.facts
        cdef unsigned long long mask
        if <str> facts[F_ACTION] in _NO_PERMISSION_NEEDED:
            return CODE_ALLOW
        mask = self._mask(facts)
        self._begin(run, request, facts, None, mask, False)
        if not self._match(run, mask):
            return CODE_EXPLICIT_DENY  # a Deny applies: nothing after it can change the answer
        return _BRANCH_CODES[self._branch(run, mask)]

    cdef unsigned long long _mask(self, tuple facts):
        """Bit g: the request is subject to group g."""
        cdef object kind = facts[F_KIND]
        cdef bint has_identity = facts[F_HAS_IDENTITY] is True
        cdef int n = len(self._groups)
        cdef unsigned long long mask = (~0ULL) if n == 64 else ((1ULL << n) - 1)
        if self._identity >= 0 and not has_identity:
            mask &= ~(1ULL << self._identity)
        if self._boundary >= 0 and not has_identity:
            mask &= ~(1ULL << self._boundary)
        if self._session >= 0 and kind is not _ROLE_SESSION and kind is not _FEDERATED_USER:
            mask &= ~(1ULL << self._session)
        if self._scp_bits and not (facts[F_AUTHENTICATED] is True and facts[F_SERVICE_LINKED] is False
                                   and facts[F_MANAGEMENT] is False):
            mask &= ~self._scp_bits
        if self._rcp_bits and (facts[F_RESOURCE_MANAGEMENT] is True or facts[F_SERVICE] not in self._rcp_covered):
            mask &= ~self._rcp_bits
        return mask

    cdef void _begin(self, _Run run, object request, tuple facts, object tracer, unsigned long long mask,
                     bint detail) except *:
        run.facts = facts
        run.request = request
        run.caller = facts[F_CALLER]
        run.context = <dict> facts[F_CONTEXT]
        run.tracer = tracer
        run.bounded = self._boundary >= 0 and facts[F_HAS_IDENTITY] is True
        run.action = <str> facts[F_ACTION]
        run.allowed = 0
        run.allow_entries = None
        run.denies = None
        run.kinds = None
        run.missing = None
        run.notes = None
        run.detail = detail
        run.denied = False
        run.rp_always = False
        run.rp_unblocked = False
        run.plan = self._plan(run.action, facts[F_SERVICE])
        if (detail and self._session >= 0 and not (mask >> self._session) & 1
                and (<_Group> self._groups[self._session]).entries):
            # Given, but this caller has no session: they are left out, and the result says so.
            source = (<_Entry> (<_Group> self._groups[self._session]).entries[0]).source
            run.note(findings.session_policy_not_applicable(run.caller.text), Location(source, ()))

    cdef bint _match(self, _Run run, unsigned long long mask) except -1:
        """Decide which statements apply; False as soon as a Deny does when nothing is being recorded."""
        cdef _Entry entry
        cdef Statement st
        cdef tuple verdict
        cdef object outcome
        cdef object tracer = run.tracer
        for entry in (run.plan.entries if tracer is None else self._all):
            if not (mask >> entry.group) & 1:
                continue
            st = entry.statement
            # The index has already matched the action, unless a tracer wants every statement.
            verdict = _applies(st, entry.ref, entry.source, run, tracer is None)
            outcome = verdict[0]
            if outcome is False:
                continue
            if st.allow:
                if outcome is True:
                    run.allowed |= 1ULL << entry.group
                    if entry.group == self._resource:
                        # (_grants_alone reads only whether something blocks: these two answers are all of it)
                        run.rp_always |= _grants_alone(verdict[1], True, True)
                        run.rp_unblocked |= _grants_alone(verdict[1], False, False)
                    if run.detail:
                        if run.allow_entries is None:
                            run.allow_entries = []
                        run.allow_entries.append(entry)
                        if entry.group == self._resource:
                            if run.kinds is None:
                                run.kinds = []
                            run.kinds.append(verdict[1])
            else:
                # An undecidable Deny applies: nothing qiam cannot read may grant (fail closed).
                run.denied = True
                if not run.detail:
                    return False
                if run.denies is None:
                    run.denies = []
                run.denies.append(entry)
        return True

    cdef inline Result _result(self, _Run run, object decision, object matched, tuple decided_by, tuple reasons):
        cdef tuple facts = run.facts
        cdef bint same_account = facts[F_AUTHENTICATED] is not True or facts[F_SAME_ACCOUNT] is True
        return _new_result(decision, matched if type(matched) is tuple else tuple(matched),
                           tuple(run.notes) if run.notes else _EMPTY, self._warnings, decided_by, reasons,
                           tuple(sorted(run.missing)) if run.missing else _EMPTY, same_account)

    cdef inline bint _allows(self, int g, unsigned long long mask, _Run run):
        """Whether group ``g`` applies to the request and some Allow of it applies."""
        return g >= 0 and (mask >> g) & 1 and (run.allowed >> g) & 1

    cdef Result _denied(self, _Run run):
        """The explicit deny of ``run``: its Deny statements and their groups' labels, each once."""
        cdef _Entry entry
        cdef list refs = [], labels = []  # labels: identity, boundary, scp[1], ...
        for entry in run.denies:
            refs.append(entry.ref)
            label = (<_Group> self._groups[entry.group]).label
            if label not in labels:
                labels.append(label)
        return self._result(run, _EXPLICIT_DENY, refs, tuple(labels), _EXPLICIT)

    cdef int _branch(self, _Run run, unsigned long long mask) except -1:
        """Which rule decides (semantics.md §4.3): the one home of the decision, which ``decide`` and
        ``verdict`` share; what the Result reports of it is ``_result_of``'s."""
        cdef tuple facts = run.facts
        cdef int g
        cdef object kind
        cdef bint boundary_on, session_on
        # 2. An explicit deny anywhere wins.
        if run.denied:
            return B_EXPLICIT_DENY
        if run.plan.owned is not None and _arn_like(<str> facts[F_RESOURCE], run.plan.owned[1]):
            return B_AWS_OWNED

        # 3. Guardrails: every organization level must allow; they never grant.
        for levels in (self._rcps, self._scps):
            for g in levels:
                if (mask >> g) & 1 and not (run.allowed >> g) & 1:
                    run.guardrail = g
                    return B_GUARDRAIL

        # 4. Grants.
        run.any_rp = self._allows(self._resource, mask, run)
        if facts[F_AUTHENTICATED] is not True:  # anonymous callers, services, identity providers
            return B_ANONYMOUS_GRANT if run.any_rp else B_ANONYMOUS_NO_ALLOW
        if facts[F_SAME_PARTITION] is not True:
            # Resource policies never delegate across partitions (semantics.md §4.5).
            return B_CROSS_PARTITION

        # The identity path (semantics.md §4.4 a): identity allow, boundary, session policy.
        kind = facts[F_KIND]
        boundary_on = self._boundary >= 0 and (mask >> self._boundary) & 1
        session_on = self._session >= 0 and (mask >> self._session) & 1
        run.boundary_blocks = boundary_on and not (run.allowed >> self._boundary) & 1
        run.session_blocks = session_on and not (run.allowed >> self._session) & 1
        if kind is _ROOT:
            run.identity_ok = True  # the root user has every permission in its account
        else:
            run.identity_ok = (self._allows(self._identity, mask, run) and not run.boundary_blocks
                               and not run.session_blocks
                               and not (kind is _FEDERATED_USER and not self._session_given))

        if facts[F_SAME_ACCOUNT] is not True:
            return B_CROSS_ACCOUNT_GRANT if run.any_rp and run.identity_ok else B_CROSS_ACCOUNT_NO_ALLOW

        # Some resource-policy Allow grants by itself (_grants_alone).
        granting = run.any_rp and (run.rp_always or (run.rp_unblocked and not (run.boundary_blocks
                                                                              or run.session_blocks)))
        if _requires_resource_policy(run.plan, facts[F_RESOURCE]):
            if granting:
                return B_REQUIRED_GRANT
            if run.identity_ok and run.any_rp:  # the key or trust policy delegates to the account
                return B_DELEGATED
            return B_REQUIRED_NO_ALLOW
        if run.identity_ok:
            return B_IDENTITY
        if granting:
            return B_RESOURCE
        return B_NO_ALLOW

    cdef Result _result_of(self, _Run run, unsigned long long mask, int branch):
        """The Result of the rule ``_branch`` found: the statements, groups and reasons that decided."""
        cdef list rp_refs, reasons, blockers
        cdef bint bb = run.boundary_blocks, sb = run.session_blocks
        if branch == B_EXPLICIT_DENY:
            return self._denied(run)
        if branch == B_AWS_OWNED:
            return self._result(run, _IMPLICIT_DENY, _EMPTY, _EMPTY, (run.plan.owned[0],))
        if branch == B_GUARDRAIL:
            label = (<_Group> self._groups[run.guardrail]).label
            return self._result(run, _IMPLICIT_DENY, _EMPTY, (label,), (label,))
        if branch == B_ANONYMOUS_GRANT:
            return self._result(run, _ALLOW, self._refs_of(run, self._resource), _BY_RESOURCE, _paths(run.kinds))
        if branch == B_ANONYMOUS_NO_ALLOW:
            return self._result(run, _IMPLICIT_DENY, _EMPTY, _BY_RESOURCE, _NO_ALLOW)
        if branch == B_CROSS_PARTITION:
            return self._result(run, _IMPLICIT_DENY, _EMPTY, _EMPTY, _CROSS_PARTITION)
        rp_refs = self._refs_of(run, self._resource) if run.any_rp else None
        blockers = None if run.identity_ok else self._blockers(run, mask, bb, sb)
        if branch == B_CROSS_ACCOUNT_GRANT:
            return self._result(run, _ALLOW, self._identity_refs(run, mask) + rp_refs, _BY_BOTH, _CROSS_ACCOUNT)
        if branch == B_CROSS_ACCOUNT_NO_ALLOW:
            reasons = []
            if not run.any_rp:
                reasons.append("cross_account_resource_side")
            if not run.identity_ok:
                reasons.append("cross_account_principal_side")
                reasons.extend(blockers)
            return self._result(run, _IMPLICIT_DENY, _EMPTY, _EMPTY, tuple(reasons))
        if branch == B_REQUIRED_GRANT or branch == B_RESOURCE:
            return self._result(run, _ALLOW,
                                [r for r, k in zip(rp_refs, run.kinds) if _grants_alone(k, bb, sb)], _BY_RESOURCE,
                                _paths([k for k in run.kinds if _grants_alone(k, bb, sb)]))
        if branch == B_DELEGATED:
            return self._result(run, _ALLOW, self._identity_refs(run, mask) + rp_refs, _BY_BOTH, _DELEGATED)
        if branch == B_REQUIRED_NO_ALLOW:
            reasons = ["resource_policy_required"] + ([] if run.identity_ok else blockers)
            return self._result(run, _IMPLICIT_DENY, _EMPTY, _BY_RESOURCE, tuple(reasons))
        if branch == B_IDENTITY:
            return self._result(run, _ALLOW, self._identity_refs(run, mask), _ALLOWED_BY_IDENTITY,
                                _ALLOWED_BY_IDENTITY)
        return self._result(run, _IMPLICIT_DENY, _EMPTY, _EMPTY, tuple(blockers))

    cdef list _refs_of(self, _Run run, int g):
        """The Allow statements of group ``g`` that apply, in order."""
        cdef _Entry entry
        if run.allow_entries is None:
            return []
        return [entry.ref for entry in run.allow_entries if entry.group == g]

    cdef list _identity_refs(self, _Run run, unsigned long long mask):
        """The Allow statements of the identity path: identity, boundary and session policies.

        Allows are recorded in plan order, which is group order (identity, boundary,
        session, ...), and only for groups the request is subject to.
        """
        cdef _Entry entry
        if run.allow_entries is None:
            return []
        return [entry.ref for entry in run.allow_entries
                if entry.group == self._identity or entry.group == self._boundary or entry.group == self._session]

    cdef list _blockers(self, _Run run, unsigned long long mask, bint boundary_blocks, bint session_blocks):
        """What stops the identity path."""
        cdef list blockers = []
        if not self._allows(self._identity, mask, run):
            blockers.append("no_allow")
        if boundary_blocks:
            blockers.append("boundary")
        if run.facts[F_KIND] is _FEDERATED_USER and not self._session_given:
            blockers.append("federated_user_without_session_policy")
        if session_blocks:
            blockers.append("session_policy")
        return blockers


@cython.final
@cython.no_gc  # counts only
cdef class _Tally:
    """The requests one ``evaluate_pairs`` or ``evaluate_many`` call has keyed, and how many repeated: the
    call stops keying when a sample of it shows repeats are rare, whatever policy sets they fall under
    (a workload of many sets with few requests each would otherwise key every request)."""

    cdef bint keying
    cdef Py_ssize_t requests
    cdef Py_ssize_t repeats

    cdef inline void count(self, bint repeat) noexcept:
        self.requests += 1
        self.repeats += repeat
        if self.requests == REPEAT_SAMPLE and self.repeats * REPEAT_SHARE < self.requests:
            self.keying = False  # a workload that does not repeat: stop keying


cdef _Tally _new_tally():
    cdef _Tally tally = _Tally.__new__(_Tally)
    tally.keying = True
    return tally


@cython.final
@cython.no_gc  # an Evaluator, a tally and a dict of results: no cycle through it
cdef class _Seen:
    """One policy set's evaluator in ``evaluate_pairs`` and ``evaluate_many``, and the results it gave, by
    request key, while the call keys them."""

    cdef Evaluator evaluator
    cdef dict results
    cdef _Tally tally
    cdef object pending  # the key of the request being decided, while the call keys its requests

    cdef inline object _found(self, object request):
        """What was given for ``request``'s key (counted as a repeat), or None: then ``_keep`` keeps the
        answer about to be made, while the call keys its requests."""
        self.pending = None
        if not self.tally.keying:
            return None
        key = request.key
        found = self.results.get(key)
        self.tally.count(found is not None)
        if found is None:
            self.pending = key
        return found

    cdef inline void _keep(self, object answer) except *:
        if self.pending is not None:
            self.results[self.pending] = answer

    cdef Result decide(self, object request):
        """The result for ``request``: the one given for its key, while the call keys its requests."""
        found = self._found(request)
        if found is not None:
            return <Result> found
        result = self.evaluator.decide(request, None)
        self._keep(result)
        return result

    cdef int verdict(self, object request, _Run run) except -1:
        """The decision code for ``request``: the one given for its key, while the call keys its requests."""
        found = self._found(request)
        if found is not None:
            return <int> found
        code = self.evaluator.verdict(request, run)
        self._keep(code)
        return code


cdef _Seen _new_seen(Evaluator evaluator, _Tally tally):
    cdef _Seen seen = _Seen.__new__(_Seen)
    seen.evaluator = evaluator
    seen.results = {}
    seen.tally = tally
    return seen


cdef _Seen _seen_of(dict by_owner, object owner, _Tally tally):
    """The _Seen of a pair's policy set (an ``Evaluator``, or a ``qiam.PolicySet`` holding one), made at its
    first pair (policy sets hash by identity)."""
    found = by_owner.get(owner)
    if found is None:
        found = by_owner[owner] = _new_seen(owner if type(owner) is Evaluator else owner._evaluator, tally)
    return <_Seen> found


def evaluate_pairs(pairs):
    """Decide (policy set, request) pairs, in order, in one call.

    A policy set is an ``Evaluator`` or holds one as ``_evaluator`` (a
    ``qiam.PolicySet``). Requests with equal ``key`` under one policy set are
    decided once, while repeats are common enough to pay for the keying
    (``qiam.limits.REPEAT_SAMPLE``).
    """
    cdef dict by_owner = {}         # policy set -> _Seen (policy sets hash by identity)
    cdef _Tally tally = _new_tally()
    cdef list out = []
    cdef _Seen seen = None
    cdef object owner = None
    cdef object current = None
    for owner, request in pairs:
        if owner is not current:
            seen = _seen_of(by_owner, owner, tally)
            current = owner
        out.append(seen.decide(request))
    return out


def decide_pairs(pairs):
    """The decisions of (policy set, request) pairs, in order, as bytes: each a decision's index in
    ``qiam.decision.DECISION_CODES``. The rules are ``evaluate_pairs``'s, but nothing a Result reports
    is recorded or made: no object per pair, one evaluation state for them all, and a Deny that applies
    ends its request's evaluation. Keying as in ``evaluate_pairs``."""
    cdef dict by_owner = {}
    cdef _Tally tally = _new_tally()
    cdef _Run run = _Run.__new__(_Run)
    cdef _Seen seen = None
    cdef object owner = None
    cdef object current = None
    cdef bytearray out = bytearray(256)
    cdef Py_ssize_t n = 0, capacity = 256
    cdef char* data
    for owner, request in pairs:
        if owner is not current:
            seen = _seen_of(by_owner, owner, tally)
            current = owner
        code = seen.verdict(request, run)
        if n == capacity:
            capacity *= 2
            PyByteArray_Resize(out, capacity)
        data = PyByteArray_AS_STRING(out)
        data[n] = <char> code
        n += 1
    PyByteArray_Resize(out, n)
    return bytes(out)


cdef _Group _new_group(str kind, int level, str label):
    cdef _Group group = _Group.__new__(_Group)
    group.kind = kind
    group.level = level
    group.label = label
    group.entries = []
    return group


cdef bint _grants_alone(object named, bint boundary_blocks, bint session_blocks):
    """Whether a resource-policy allow naming the caller this way grants by itself."""
    if named is _ACCOUNT:
        return False  # the account only delegates to its own policies
    if named is _ROLE_OF_SESSION:
        return not (boundary_blocks or session_blocks)
    # A user, session or federated-user ARN, or "*": not capped by boundaries or
    # session policies (semantics.md §4.4; the session-ARN reading is DISPUTED, E96).
    return True


cdef dict _ALLOW_PATHS = ALLOW_PATHS


cdef tuple _paths(list kinds):
    """The paths of the resource-policy allows named this way, each once, in order."""
    cdef list out = []
    for kind in kinds:
        if kind is not None:
            path = _ALLOW_PATHS[kind]
            if path not in out:
                out.append(path)
    return tuple(out)


cdef object _principal(Statement st, _Run run):
    """How the statement's Principal / NotPrincipal names the caller; False when it does not."""
    matcher = st.principal
    if not st.not_principal:
        found = _named(matcher, run) if not run.detail else matcher.match(run.caller)
        return False if found is None else found
    if not st.allow and run.bounded:
        # A Deny with NotPrincipal always denies principals that have a permissions
        # boundary, whatever it lists (NotPrincipal page; semantics.md §2.4 (b)).
        return _NOT_PRINCIPAL
    return False if matcher.excludes(run.caller) else _NOT_PRINCIPAL


cdef object _named(object matcher, _Run run):
    """``matcher.match(run.caller)``, kept for the rest of a verdict-only call: its requests come from few
    callers, each one Caller object, and the match is Python's (qiam.principals). The entry holds the
    caller it was made for, so it is never read for another that took its place in memory."""
    cdef object caller = run.caller
    if run.principals is None:
        run.principals = {}
    kept = (<dict> run.principals).get(matcher)
    if kept is not None and (<tuple> kept)[0] is caller:
        return (<tuple> kept)[1]
    found = matcher.match(caller)
    run.principals[matcher] = (caller, found)
    return found


cdef tuple _FALSE = (False, None)
cdef tuple _TRUE = (True, None)


cdef tuple _applies(Statement st, object ref, object source, _Run run, bint action_known):
    """Whether a statement applies (True, False, or None when a condition cannot be read), and how
    its Principal named the caller. ``action_known``: the index has already found that the
    statement's Action or NotAction admits the action."""
    cdef object tracer = run.tracer
    cdef object request
    cdef bint matched
    cdef object outcome, result, named
    cdef Condition condition, later
    cdef Py_ssize_t position, count
    if action_known:
        matched = not st.not_action
    elif st._actions is not None:
        matched = st._actions.matches_folded(run.action)
    else:
        matched = st.actions.matches_any(run.action)
    if matched == st.not_action:
        if tracer is not None:
            element = "NotAction" if st.not_action else "Action"
            tracer.statement(ref, st, False, element,
                             f"`{run.facts[F_ACTION_AS_GIVEN]}` is {'listed' if st.not_action else 'not matched'}")
        return _FALSE
    if st.variables and run.detail:
        _check_variables(st, source, run)
    if st.resources is not None:
        resource = <str> run.facts[F_RESOURCE]
        if st._simple_resources:
            matched = st._static.matches_text(resource)
        else:
            matched = st.resources.matches(resource, run.context)
        if matched == st.not_resource:
            if tracer is not None:
                element = "NotResource" if st.not_resource else "Resource"
                tracer.statement(ref, st, False, element,
                                 f"`{resource}` is {'listed' if st.not_resource else 'not matched'}")
            return _FALSE
    named = None
    if st.principal is not None:
        named = _principal(st, run)
        if named is False:
            if tracer is not None:
                element = "NotPrincipal" if st.not_principal else "Principal"
                who = run.caller.text or "the caller"
                tracer.statement(ref, st, False, element,
                                 f"`{who}` is {'listed' if st.not_principal else 'not named'}")
            return _FALSE
    outcome = True
    count = len(st.conditions)
    for position in range(count):
        condition = st.conditions[position]
        result = _condition(condition, st, source, run)
        if result is False:
            outcome = False
            # The keys of the conditions not looked at are still ones the decision may need.
            for later in st.conditions[position + 1:] if run.detail else ():
                if later.key not in run.context:
                    run.miss(later.key_text)
            if tracer is None:
                return _FALSE
            break
        if result is None:
            outcome = None
    if outcome is None and run.detail:
        run.note(findings.undecidable_condition(st.index), Location(source, st.path + ("Condition",)))
    if tracer is not None:
        detail = {True: "applies", False: "a condition is false", None: "a condition cannot be read"}[outcome]
        tracer.statement(ref, st, outcome, None if outcome is True else "Condition", detail)
    if outcome is True and named is None:
        return _TRUE
    return (outcome, named)


cdef void _check_variables(Statement st, object source, _Run run) except *:
    """Note the policy variables this request leaves without a value."""
    for variable in st.variables:
        value = run.context.get(variable.key)
        if isinstance(value, tuple):
            run.note(findings.multivalued_variable(variable.text), Location(source, st.path))
        elif value is None and variable.default is None:
            run.miss(variable.name)
            run.note(findings.unresolved_variable(variable.text), Location(source, st.path))


cdef object _test(Condition cc, object value, dict context):
    """One request value against the condition's values: True, False, or None (cannot be read).

    The shortcuts are what qiam.operators.SHORTCUT_* say ``values.test`` is."""
    if cc.fast == 0 or type(value) is not str:
        return cc.values.test(value, context, cc.negated)
    if cc.fast == 1:
        return (value in cc._strings) != cc.negated
    if cc.fast == 2:
        return ((<str> value).lower() in cc._strings) != cc.negated
    if cc.fast == 3:
        return cc._globs.matches_folded(<str> value) != cc.negated
    if not is_arn(<str> value):
        return None  # not an ARN: cannot be read (PatternValues.test says why)
    return cc._arns.matches_text(<str> value) != cc.negated


cdef object _condition(Condition cc, Statement st, object source, _Run run):
    """One key under one operator (semantics.md §3.2 to §3.5)."""
    cdef dict context = run.context
    cdef object raw = context.get(cc.key)
    cdef object result
    cdef object reason  # (what a tracer is told: made only for one)
    cdef bint present, every, unknown
    cdef list values
    cdef bint traced = run.tracer is not None
    if raw is None and run.detail:
        run.miss(cc.key_text)
    if cc.null:
        # An empty string (or a set of empty strings) is null (semantics.md §3.3, docs' reading).
        present = raw is not None and raw != "" and (type(raw) is not tuple or any(raw))
        result = any([wants_absent is not present for wants_absent in cc.values])
        reason = "the key is present" if present else "the key is absent"
    elif raw is None:
        if cc.if_exists:
            result, reason = True, "the key is absent and the operator ends in IfExists"
        elif cc.prefix:
            result = cc.prefix == 1
            reason = f"the key is absent: {cc.set_prefix} is {'true' if result else 'false'}" if traced else None
        else:
            result = cc.negated
            reason = ("the key is absent and the operator is " + ("negated" if cc.negated else "positive")
                      if traced else None)
    elif not cc.prefix:
        if type(raw) is tuple:
            # DISPUTED (semantics.md §3.5, E79): iam-simulate's reading, false for every operator.
            result, reason = False, "the key has several values and the operator has no set prefix"
            if run.detail:
                run.note(findings.multivalued_key_without_set_operator(cc.key_text, cc.operator),
                         Location(source, st.path + ("Condition", cc.operator, cc.key_text)))
        else:
            result = _test(cc, raw, context)
            reason = "compared"
    else:
        # Empty strings make a null set (semantics.md §3.5, DISPUTED E80: the docs' reading).
        values = [v for v in ((raw,) if type(raw) is str else raw) if v != ""]
        every = cc.prefix == 1
        result = every
        unknown = False
        for value in values:
            one = _test(cc, value, context)
            if one is None:
                unknown = True
            elif one is not every:
                result = one
                unknown = False
                break
        if unknown:
            result = None
        reason = f"{cc.set_prefix} over {len(values)} value(s)" if traced else None
    if result is None and (run.detail or traced):
        reason = "a value cannot be read"
        for value in (raw,) if type(raw) is str else raw or ():
            if not cc.values.reads(value):
                reason = f"the request value `{value}` cannot be read"
                run.note(findings.invalid_request_value(cc.key_text, value, cc.operator),
                         Location(source, st.path + ("Condition", cc.operator, cc.key_text)))
    if run.tracer is not None:
        run.tracer.condition(st, cc, raw is not None, result, reason)
    return result


# The public types of these classes (qiam.Result, qiam.compile.CompiledStatement, ...).
_public.Result.register(Result)
_public.CompiledStatement.register(Statement)
_public.CompiledCondition.register(Condition)
