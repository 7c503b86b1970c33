# cython: language_level=3, binding=True, boundscheck=False, wraparound=False
# cython: initializedcheck=False, cdivision=True, freethreading_compatible=True
# (The directives are set in setup.py; they are repeated here for the reader.)
"""The compile stage's statement loop, compiled.

Twin of ``qiam._front_py``, which is the readable specification: every public
name here has the same signature, docstring and results there. The loop's work
is walking dicts and lists and looking up tables, which compiled code does
without the interpreter's per-step cost; the judging and compiling of each
distinct element stays in Python (``qiam.validate``, ``qiam.compile``).
"""

from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject

__all__ = ["compile_statements", "element_key"]

cdef frozenset _ELEMENTS = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
                                      "Condition"})
cdef tuple _TOP = ("Statement",)


cdef object _element_key(object value):
    cdef list items
    cdef object item
    if type(value) is str:
        return value
    if type(value) is not list:
        return None
    items = <list> value
    if not items:
        return None
    for item in items:
        if type(item) is not str:
            return None
    return tuple(items)


def element_key(value):
    """The table key of an Action or Resource element: the string, or a list's strings as a tuple.

    None when the element is neither a string nor a non-empty list of strings.
    """
    return _element_key(value)


cdef object _condition_key(object condition):
    """The table key of a Condition block: its operators, keys and values as nested tuples."""
    cdef list blocks = [], entries
    cdef object operator, body, key, value, item
    if type(condition) is not dict or not condition:
        return None
    for operator, body in (<dict> condition).items():
        if type(body) is not dict:
            return None
        entries = []
        for key, value in (<dict> body).items():
            if type(value) is str:
                entries.append((key, value))
            elif type(value) is list:
                for item in <list> value:
                    if type(item) is not str:
                        return None
                entries.append((key, tuple(<list> value)))
            else:
                return None
        blocks.append((operator, tuple(entries)))
    return tuple(blocks)


cdef bint _sid_is_plain(str sid):
    """IAM's rule for Sids: ASCII letters and digits only."""
    cdef Py_UCS4 c
    for c in sid:
        if not (u"0" <= c <= u"9" or u"A" <= c <= u"Z" or u"a" <= c <= u"z"):
            return False
    return True


cdef inline object _lookup(dict table, object key):
    cdef PyObject* found = PyDict_GetItem(table, key)
    return None if found is NULL else <object> found


def compile_statements(statements, tables):
    """The compiled statements of a policy's ``Statement`` value, or None if one needs the full path.

    Parameters
    ----------
    statements : object
        The policy's ``Statement`` value, as JSON gives it.
    tables : object
        The compiler's tables for one profile and Version (``qiam.compile``):
        ``actions``, ``resources`` and ``conditions`` (dicts from an element's
        key to its entry), ``action_entry(key)``, ``resource_entry(key)`` and
        ``condition_entry(key, condition)`` (judge, compile and keep an element
        not seen before), ``variables(resources, conditions)``, ``statement``
        (the class of compiled statements), ``plain_sids`` (IAM's Sid rule) and
        ``reads_variables``. An entry is ``(compiled, has_variables, clean)``
        for resources and conditions and ``(actions, services, clean)`` for
        actions; ``clean`` says validation has nothing to report about it.

    Returns
    -------
    tuple of Statement, or None
        None unless the statements are a non-empty list of objects (or one
        object) with unique Sids, each made only of a Sid, an Effect, one of
        Action and NotAction, one of Resource and NotResource and a Condition
        block, and every element of each is clean.
    """
    cdef list items
    cdef bint single, not_action, not_resource, templated, has_variables
    cdef bint reads_variables = tables.reads_variables
    cdef bint plain_sids = tables.plain_sids
    cdef dict action_table = tables.actions
    cdef dict resource_table = tables.resources
    cdef dict condition_table = tables.conditions
    cdef object make = tables.statement
    cdef set sids = set()
    cdef list out = []
    cdef Py_ssize_t index
    cdef dict st
    cdef object item, element, sid, effect, key, entry, actions, services, resources, condition, clean
    cdef tuple conditions
    if type(statements) is dict:
        items = [statements]
        single = True
    elif type(statements) is list and statements:
        items = <list> statements
        single = False
    else:
        return None
    for index in range(len(items)):
        item = items[index]
        if type(item) is not dict:
            return None
        st = <dict> item
        for element in st:
            if element not in _ELEMENTS:
                return None
        sid = st.get("Sid")
        if sid is not None or "Sid" in st:
            if type(sid) is not str or (plain_sids and not _sid_is_plain(<str> sid)):
                return None
            if sid:
                if sid in sids:
                    return None
                sids.add(sid)
        effect = st.get("Effect")
        if type(effect) is not str or not (effect == "Allow" or effect == "Deny"):
            return None

        not_action = "NotAction" in st
        if not_action == ("Action" in st):
            return None
        key = _element_key(st["NotAction"] if not_action else st["Action"])
        if key is None:
            return None
        entry = _lookup(action_table, key)
        if entry is None:
            entry = tables.action_entry(key)
        actions, services, clean = entry
        if not clean:
            return None

        not_resource = "NotResource" in st
        if not_resource == ("Resource" in st):
            return None
        key = _element_key(st["NotResource"] if not_resource else st["Resource"])
        if key is None:
            return None
        entry = _lookup(resource_table, key)
        if entry is None:
            entry = tables.resource_entry(key)
        resources, templated, clean = entry
        if not clean:
            return None

        conditions = ()
        if "Condition" in st:
            condition = st["Condition"]
            key = _condition_key(condition)
            if key is None:
                return None
            entry = _lookup(condition_table, key)
            if entry is None:
                entry = tables.condition_entry(key, condition)
            conditions, has_variables, clean = entry
            if not clean:
                return None
            templated = templated or has_variables

        out.append(make(
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
            _TOP if single else ("Statement", index),
            None if not_action else services,
            tables.variables(resources, conditions) if reads_variables and templated else (),
        ))
    return tuple(out)
