"""The compile stage's statement loop: a policy's statements validated and compiled in one pass.

Most statements look alike: an Effect, an Action list, a Resource list, maybe
a Condition block, in a policy without principals. For those this loop is the
whole of validation and compilation: each distinct Action list, Resource list
and condition key is judged by the validator and compiled by the compiler once
(``tables`` keeps what they returned), and the loop only checks the
statement's outline and puts the pieces together. A statement it cannot vouch
for (another element, a value of another type, anything the validator has
something to say about) makes it return None, and the policy takes the full
path, validate then compile, which is the reference for what this returns.

``compile_document`` goes one step further for the usual text (ASCII, no
escape, Version 2012-10-17 and Statement): its compiled twin reads the JSON
itself, straight into statements, checking the syntax and repeated keys as
it goes, and keeps each element's entry by its text, so that the JSON reader
reads only the few Condition blocks it does not read itself. Any other text
takes the statement loop over the decoded JSON, or the full path.

The house rule is that structure and AWS semantics are Python and only
matching is compiled. This module bends it for speed, the compile budget of a
bulk job being three times the cost of reading the JSON: the walk over
statements (and, in ``compile_document``, over the text) is compiled, and so
are shortcuts of the validator and compiler for the plainest elements (plain
Action and Resource lists, the same as the validator's own regular
expressions say; plain String, Arn, Bool and Null condition keys, as
``plain_condition_key`` says, compiled as ``compile._compile_condition``
compiles them). The rules themselves stay in ``qiam.validate``: the
shortcuts only ever answer "nothing to report", the tests hold them equal to
the paths they stand for, and anything else is asked of the validator.

``_front.pyx`` must return the same for every input; the tests prove it.
"""

from __future__ import annotations

from typing import Any

import orjson

from qiam import shapes
from qiam._match_py import decoded_member_count, json_member_count, json_whitespace_count
from qiam.context import Environment as _Environment
from qiam.operators import parse_bool
from qiam.request import FIELD_SET as _FIELD_SET
from qiam.request import fill as _fill
from qiam.request import request_state as _reference_state

__all__ = ["action_services", "compile_document", "compile_statements", "element_key", "plain_actions",
           "plain_resources", "request_from_json", "request_init", "request_state",
           "request_state_json"]

_ELEMENTS = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"})


# What the validator has nothing to say about: qiam.shapes' plain entries (the validator's own
# shortcut; the tests hold them equal).
_PLAIN_ACTION = shapes.PLAIN_ACTION
_PLAIN_ARN = shapes.PLAIN_ARN


def plain_actions(actions: tuple[str, ...]) -> bool:
    """Whether every entry of an Action list is ``*`` or ``vendor:name`` and none holds ``${``.

    Such a list is clean: the validator has nothing to report about it (it
    takes the same shortcut). False says only that the validator must look.
    """
    return bool(actions) and all(type(a) is str and _PLAIN_ACTION.fullmatch(a) and "${" not in a
                                 for a in actions)


def plain_resources(resources: tuple[str, ...]) -> bool:
    """Whether every entry of a Resource list is ``*`` or an ARN that no check remarks on, none with ``${``.

    Such a list is clean (see ``plain_actions``).
    """
    return bool(resources) and all(type(r) is str and _PLAIN_ARN.fullmatch(r) and "${" not in r
                                   for r in resources)


def action_services(actions: tuple[str, ...]) -> frozenset[str] | None:
    """The service prefixes an Action list names (each entry's text before its colon, case-folded).

    None when the list holds ``*``: it names every service.
    """
    if "*" in actions:
        return None
    return frozenset(a.partition(":")[0].lower() for a in actions)


def _as_patterns(entries: tuple[str, ...], actions: bool) -> bool:
    """Plain entries without a backslash (the one character a core pattern reads otherwise)."""
    if any("\\" in entry for entry in entries):
        return False
    return plain_actions(entries) if actions else plain_resources(entries)


def element_key(value: Any) -> str | tuple[str, ...] | None:
    """The table key of an Action or Resource element: the string, or a list's strings as a tuple.

    None when the element is neither a string nor a non-empty list of strings.
    """
    if type(value) is str:
        return value
    if type(value) is not list or not value:
        return None
    for item in value:
        if type(item) is not str:
            return None
    return tuple(value)


def _value_text(value: Any) -> str | None:
    """A condition value as the checks and the compiler read it (JSON true is ``true``); None for the
    values left to the full path."""
    if type(value) is str:
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    return None


def _compile_condition(condition: Any, tables: Any) -> tuple[tuple[Any, ...], bool] | None:
    """A Condition block's compiled conditions and whether they read variables; None if not clean.

    Each key under each operator is judged and compiled once (``tables``), by
    its values as text: the checks and the compiler read JSON true and 10 as
    ``true`` and ``10``. What the validator checks across the keys of one
    operator is checked here: a body with no key, and a key written twice in
    different cases.
    """
    if type(condition) is not dict or not condition:
        return None
    compiled = []
    templated = False
    table = tables.condition_keys
    for operator, body in condition.items():
        if type(body) is not dict or not body:
            return None
        if len(body) > 1 and len({name.lower() for name in body}) != len(body):
            return None
        for name, value in body.items():
            if type(value) is list:
                texts: list[str] = []
                for item in value:
                    text = _value_text(item)
                    if text is None:
                        return None
                    texts.append(text)
                value = tuple(texts)
            else:
                value = _value_text(value)
                if value is None:
                    return None
            entry = _condition_entry(tables, table, operator, name, value)
            if entry is False:
                return None
            compiled.append(entry[0])
            templated = templated or entry[1]
    return tuple(compiled), templated


def _condition_entry(tables: Any, table: dict[Any, Any], operator: str, name: str, value: Any) -> Any:
    """The entry of one key of one operator, ``(condition, has_variables)`` or False: kept, made here, or
    asked for."""
    key = (operator, name, value)
    entry = table.get(key)
    if entry is None:
        entry = _plain_condition(tables, operator, name, value)
        if entry is None:
            entry = tables.condition_key(key)
        else:
            table[key] = entry
    return entry


# The operator families the condition shortcut serves: qiam.operators.FAMILY_RULES[family].front_kind.
KIND_STRING, KIND_IGNORE_CASE, KIND_LIKE, KIND_ARN, KIND_BOOL, KIND_NULL = 1, 2, 3, 4, 5, 6


def _plain_condition(tables: Any, op_text: str, name: str, value: str | tuple[str, ...]) -> Any:
    """The entry of one key of one operator judged and compiled here, or None to ask ``tables``.

    ``qiam.validate.plain_condition_key`` and ``qiam.compile._compile_condition``
    in one step, for the shapes most conditions have: a String, Arn, Bool or
    Null operator, a key with a service prefix, values with no ``${`` (and, for
    patterns, no backslash). ``tables.condition_facts`` says, once per
    operator and per key, what the rules need to know of them; the tests hold
    what this builds equal to what the full path builds.
    """
    facts = tables.operator_facts.get(op_text)
    if facts is None:
        facts = tables.condition_facts(op_text)
    if facts is False:
        return None
    key_kind = tables.key_kinds.get(name)
    if key_kind is None:
        key_kind = tables.key_kind(name)
    if key_kind < 0:
        return None  # no service prefix
    kind, negated, if_exists, set_prefix, operator = facts
    texts = (value,) if type(value) is str else value
    if not texts or "${" in "".join(texts):
        return None
    for text in texts:
        if kind <= KIND_IGNORE_CASE and ("*" in text or "?" in text):
            return None  # a literal operator reads * and ? literally: the checks have a word
        if kind in (KIND_LIKE, KIND_ARN) and "\\" in text:
            return None  # an escape: compiled by the full path
        if kind >= KIND_BOOL and parse_bool(text) is None:
            return None
    if kind == KIND_BOOL and len(texts) > 1:
        return None
    # A global key's type: a set prefix exactly when it is multivalued (Null never minds).
    if key_kind > 0 and (key_kind != 2 if set_prefix is not None else key_kind == 2 and kind != KIND_NULL):
        return None
    makers = tables.condition_makers
    exact = None
    if kind == KIND_NULL:
        values: Any = tuple(parse_bool(text) for text in texts)
    elif kind == KIND_STRING:
        exact = frozenset(texts)
        values = makers[0](exact, ())
    elif kind == KIND_IGNORE_CASE:
        values = makers[1](frozenset(text.lower() for text in texts), ())
    elif kind == KIND_BOOL:
        values = makers[3](tuple(parse_bool(text) for text in texts))
    else:
        values = makers[2](texts, (), arn=kind == KIND_ARN)
    return (tables.condition(name.lower(), name, null=kind == KIND_NULL, negated=negated,
                             if_exists=if_exists, set_prefix=set_prefix, values=values, exact=exact,
                             operator=operator, texts=texts), False)


def _sid_is_plain(sid: str) -> bool:
    """IAM's rule for Sids: ASCII letters and digits only."""
    return not sid or (sid.isascii() and sid.isalnum())


def compile_statements(statements: Any, tables: Any) -> tuple[Any, ...] | None:
    """The compiled statements of a policy's ``Statement`` value, or None if one needs the full path.

    Parameters
    ----------
    statements : object
        The policy's ``Statement`` value, as JSON gives it.
    tables : object
        The compiler's tables for one profile and Version (``qiam.compile``):
        ``actions``, ``resources`` and ``condition_keys`` (dicts from an
        element's key to its entry), ``action_entry(key)``,
        ``resource_entry(key)`` and ``condition_key(key)`` (judge, compile and
        keep an element not seen before), ``variables(resources, conditions)``,
        ``statement`` (the class of compiled statements), ``globs`` (the core's
        GlobSet) and ``pattern_matcher(entries)`` (the Resource matcher of
        entries that are core patterns as written), which build plain Action
        and Resource lists here without a call back, ``plain_sids`` (IAM's Sid
        rule) and ``reads_variables``. An entry is ``(actions, services,
        clean)`` for actions and ``(resources, has_variables, clean)`` for
        resources, where ``clean`` says validation has nothing to report about
        the element; for one key of one operator, ``(operator, key, values)``
        with values a string or a tuple of strings, it is ``(condition,
        has_variables)``, or False when validation has something to report.

    Returns
    -------
    tuple of Statement, or None
        None unless the statements are a non-empty list of objects (or one
        object) with unique Sids, each made only of a Sid, an Effect, one of
        Action and NotAction, one of Resource and NotResource and a Condition
        block, and every element of each is clean.
    """
    if type(statements) is dict:
        items = [statements]
        single = True
    elif type(statements) is list and statements:
        items = statements
        single = False
    else:
        return None
    sids: set[str] = set()
    out = []
    for index, st in enumerate(items):
        if type(st) is not dict:
            return None
        compiled = _statement(st, index, single, sids, tables)
        if compiled is None:
            return None
        out.append(compiled)
    return tuple(out)


def _action_entry(tables: Any, key: Any) -> tuple[Any, frozenset[str] | None, bool]:
    """The entry of an Action (or NotAction) element by its key: kept in ``tables.actions``, built
    here when plain (``tables.globs``), or asked for (``tables.action_entry``)."""
    entry: tuple[Any, frozenset[str] | None, bool] | None = tables.actions.get(key)
    if entry is None:
        entries = (key,) if isinstance(key, str) else key
        if _as_patterns(entries, True):
            entry = tables.actions[key] = (tables.globs(entries, fold_case=True), action_services(entries), True)
        else:
            entry = tables.action_entry(key)
    return entry


def _resource_entry(tables: Any, key: Any) -> tuple[Any, bool, bool]:
    """The entry of a Resource (or NotResource) element by its key (see ``_action_entry``)."""
    entry: tuple[Any, bool, bool] | None = tables.resources.get(key)
    if entry is None:
        entries = (key,) if isinstance(key, str) else key
        if _as_patterns(entries, False):
            entry = tables.resources[key] = (tables.pattern_matcher(entries), False, True)
        else:
            entry = tables.resource_entry(key)
    return entry


def _pair_key(st: dict[str, Any], negated: bool, positive: str, negative: str) -> Any:
    """The key of the one element of a pair (``Action`` or ``NotAction``, ...) that ``st`` holds
    (``negated``: the second); None if it holds both or neither, or the element is not plain."""
    if negated == (positive in st):
        return None
    return element_key(st[negative] if negated else st[positive])


def _statement(st: dict[str, Any], index: int, single: bool, sids: set[str], tables: Any) -> Any:
    """One statement of ``compile_statements``, or None if it needs the full path (``sids``: those seen)."""
    for element in st:
        if element not in _ELEMENTS:
            return None
    sid = st.get("Sid")
    if sid is not None or "Sid" in st:
        if type(sid) is not str or (tables.plain_sids and not _sid_is_plain(sid)):
            return None
        if sid:
            if sid in sids:
                return None
            sids.add(sid)
    effect = st.get("Effect")
    if type(effect) is not str or effect not in ("Allow", "Deny"):
        return None

    not_action = "NotAction" in st
    key = _pair_key(st, not_action, "Action", "NotAction")
    if key is None:
        return None
    actions, services, clean = _action_entry(tables, key)
    if not clean:
        return None

    not_resource = "NotResource" in st
    key = _pair_key(st, not_resource, "Resource", "NotResource")
    if key is None:
        return None
    resources, templated, clean = _resource_entry(tables, key)
    if not clean:
        return None

    conditions: tuple[Any, ...] = ()
    if "Condition" in st:
        found = _compile_condition(st["Condition"], tables)
        if found is None:
            return None
        conditions = found[0]
        templated = templated or found[1]

    return tables.statement(
        index,
        sid,
        effect == "Allow",
        actions,
        not_action,
        resources,
        not_resource,
        None,
        False,
        conditions,
        ("Statement",) if single else ("Statement", index),
        None if not_action else services,
        tables.variables(resources, conditions) if tables.reads_variables and templated else (),
    )


def compile_document(data: bytes, tables: Any) -> tuple[tuple[Any, ...], int] | None:
    """The compiled statements of a policy's JSON text and the whitespace in it, or None for the full path.

    The text is read straight into statements, the JSON reader reading only
    each distinct Condition block's text; the tables keep each element's entry
    by its text as well as by its key. It serves a text in ASCII without a
    backslash (so no escape), holding one object whose members are
    ``"Version": "2012-10-17"`` and ``Statement``, with no key repeated
    anywhere, whose statements ``compile_statements`` vouches for (with the
    tables of Version 2012-10-17). Such a policy's outline has nothing for
    validation to report but its size.

    Parameters
    ----------
    data : bytes
        The policy's text, UTF-8.
    tables : object
        As for ``compile_statements``, and ``action_texts``,
        ``resource_texts`` and ``condition_texts``: None at first, where the
        reader keeps entries by the element's text as it sees fit.

    Returns
    -------
    (tuple of Statement, int), or None
        The statements, and the JSON whitespace (space, tab, line feed,
        carriage return) outside strings, which a size quota may leave out.
    """
    # The specification reads the whole text; the compiled twin reads it once, by hand, and leaves
    # the JSON reader only the Condition blocks, whose texts repeat from policy to policy.
    if type(data) is not bytes or not data.isascii() or b"\\" in data:
        return None
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if type(raw) is not dict or len(raw) != 2 or raw.get("Version") != "2012-10-17" or "Statement" not in raw:
        return None
    if json_member_count(data) != decoded_member_count(raw):
        return None
    statements = compile_statements(raw["Statement"], tables)
    return None if statements is None else (statements, json_whitespace_count(data))


# ----- requests: the usual shapes, built without the reference's per-step checks -----
#
# A request's state is what ``qiam.request.request_state`` makes of ``Request``'s arguments. These two
# answer it for the usual shapes (well-formed strings, a context of strings and lists of strings, no
# derivation from a batch line), and None for anything else, which the reference then builds or
# rejects with its coded error. They decide nothing the reference does not: the tests hold them equal.

_ACTION_PREFIX = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")
_ACTION_NAME_EXCLUDED = frozenset(":*?")


def _usual_action(action: object) -> bool:
    """An ASCII ``service:Action`` of printable characters that the reference's pattern accepts."""
    if type(action) is not str or not action.isascii():
        return False
    service, colon, name = action.partition(":")
    return (bool(service) and bool(name) and all(c in _ACTION_PREFIX for c in service)
            and all(32 < ord(c) < 127 and c not in _ACTION_NAME_EXCLUDED for c in name))


def _usual_context(context: object) -> bool:
    """None, or a dict of non-empty string keys, distinct once folded, to strings or lists of strings."""
    if context is None:
        return True
    if type(context) is not dict:
        return False
    folded = set()
    for key, value in context.items():
        if type(key) is not str or not key or key.lower() in folded:
            return False
        folded.add(key.lower())
        if type(value) is not str and not (type(value) in (list, tuple) and all(type(v) is str for v in value)):
            return False
    return True


def request_state(arguments: Any) -> Any:
    """``qiam.request.request_state(arguments)`` for the usual shapes; None for any other input."""
    (action, resource, principal, context, resource_account, service_linked_role, management_account,
     resource_management_account, derive_context, environment, resource_match) = arguments
    usual = (_usual_action(action) and type(resource) is str and (resource == "*" or resource.count(":") >= 5)
             and (principal is None or (type(principal) is str and principal != ""))
             and (resource_account is None or type(resource_account) is str)
             and all(flag is True or flag is False for flag in (service_linked_role, management_account,
                                                                 resource_management_account, derive_context))
             and (environment is None or type(environment) is _Environment)
             and (resource_match is None or (resource_match in ("all", "some") and resource != "*"))
             and _usual_context(context))
    return _reference_state(arguments) if usual else None


def request_state_json(data: object) -> Any:
    """``request_state`` of a batch line's ``request`` object that does not ask for derivation; None for
    any other input."""
    if type(data) is not dict or not _FIELD_SET.issuperset(data) or "action" not in data \
            or data.get("derive_context", False) is not False:
        return None
    return request_state((data["action"], data.get("resource", "*"), data.get("principal"), data.get("context"),
                          data.get("resource_account"), data.get("service_linked_role", False),
                          data.get("management_account", False), data.get("resource_management_account", False),
                          False, None, data.get("resource_match")))


def request_init(request: Any, arguments: Any) -> bool:
    """Fill ``request`` (a new qiam.Request) from ``Request``'s arguments if they are of the usual shapes;
    whether it did."""
    state = request_state(arguments)
    if state is None:
        return False
    _fill(request, state)
    return True


def request_from_json(cls: Any, data: object) -> Any:
    """A ``cls`` (qiam.Request) from a batch line's ``request`` object of the usual shapes that does not
    ask for derivation; None for any other input."""
    state = request_state_json(data)
    if state is None:
        return None
    request = object.__new__(cls)
    _fill(request, state)
    return request
