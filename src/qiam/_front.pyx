# cython: language_level=3, binding=True, boundscheck=False, wraparound=False
# cython: initializedcheck=False, cdivision=True, freethreading_compatible=True
# (The directives are set in setup.py; they are repeated here for the reader.)
"""The compile stage's statement loop and document reader, compiled.

Twin of ``qiam._front_py``, which is the readable specification: every public
name here has the same signature, docstring and results there. The work is
reading JSON text and walking dicts and lists and looking up tables, which
compiled code does without the interpreter's per-step cost. The judging and
compiling of each distinct element stays in Python (``qiam.validate``,
``qiam.compile``) but for the shortcuts that answer "nothing to report" for
the plainest shapes (plain Action and Resource lists, plain condition keys),
which also build those elements here; the tests hold every shortcut equal to
the path it stands for.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Calloc, PyMem_Free
from cpython.ref cimport Py_DECREF, Py_INCREF, Py_XDECREF, Py_XINCREF
from cpython.dict cimport PyDict_GetItem, PyDict_GetItemWithError
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_DATA, PyUnicode_Find, PyUnicode_FindChar, PyUnicode_GET_LENGTH
from libc.string cimport memchr, memcmp, memcpy

cdef extern from "Python.h":
    void PyObject_GC_UnTrack(object op)
    bint PyUnicode_IS_ASCII(object text)
    str PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    str PyUnicode_DecodeASCII(const char* text, Py_ssize_t size, const char* errors)

from qiam._decide cimport Condition, Statement
from qiam._match cimport ArnPatternSet, GlobSet, _lower

from os import urandom as _urandom

from orjson import loads as _loads

from qiam import shapes
from qiam._match import decoded_member_count, json_member_count

__all__ = ["action_services", "compile_document", "compile_statements", "element_key", "plain_actions",
           "plain_resources", "request_from_json", "request_init", "request_state",
           "request_state_json"]

cdef frozenset _ELEMENTS = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
                                      "Condition"})
cdef tuple _TOP = ("Statement",)
cdef tuple _PATHS = tuple([("Statement", i) for i in range(256)])  # the usual statement paths, made once


# Byte classes of the plain shapes (see plain_actions and plain_resources).
cdef inline bint _lower_alnum(unsigned char c) noexcept:
    return (97 <= c <= 122) or (48 <= c <= 57)


cdef unsigned char _VENDOR_BYTE[256]  # 1 for a character of a service prefix (qiam.shapes.VENDOR_CHARS)
for _v in range(256):
    _VENDOR_BYTE[_v] = 1 if chr(_v) in shapes.VENDOR_CHARS else 0


cdef inline bint _vendor_char(unsigned char c) noexcept:
    return _VENDOR_BYTE[c] == 1


cdef bint _has_variable(const unsigned char* data, Py_ssize_t n) noexcept:
    cdef Py_ssize_t i
    for i in range(n - 1):
        if data[i] == 36 and data[i + 1] == 123:  # ${
            return True
    return False


# Byte classes for the action scan: 1 a vendor character, 2 what a name may not hold or what
# needs a second look (`:`, a line break, `$`).
cdef unsigned char _ACTION_BYTE[256]
cdef int _c
for _c in range(256):
    _ACTION_BYTE[_c] = 0
for _c in range(256):
    if chr(_c) in shapes.VENDOR_CHARS:
        _ACTION_BYTE[_c] = 1
    elif chr(_c) in ":\n$":
        _ACTION_BYTE[_c] = 2


cdef bint _plain_action(str action):
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(action), i = 0
    cdef const unsigned char* data
    if not PyUnicode_IS_ASCII(action):
        # Outside ASCII only the name may hold characters; the vendor may not.
        return _plain_action_unicode(action)
    data = <const unsigned char*> PyUnicode_DATA(action)
    if n == 1 and data[0] == 42:  # *
        return True
    while i < n and _ACTION_BYTE[data[i]] == 1:
        i += 1
    if i == 0 or i == n or data[i] != 58:  # a vendor, then its colon
        return False
    for i in range(i + 1, n):
        if _ACTION_BYTE[data[i]] == 2:
            if data[i] != 36:  # a second colon or a line break
                return False
            if i + 1 < n and data[i + 1] == 123:  # ${
                return False
    return True


cdef bint _plain_action_unicode(str action):
    cdef Py_ssize_t colon = action.find(":")
    cdef Py_ssize_t i
    if colon <= 0 or not action[:colon].isascii():
        return False
    for i in range(colon):
        if not _vendor_char(<unsigned char> ord(action[i])):
            return False
    rest = action[colon + 1:]
    return ":" not in rest and "\n" not in rest and "${" not in action


def plain_actions(actions):
    """Whether every entry of an Action list is ``*`` or ``vendor:name`` and none holds ``${``.

    Such a list is clean: the validator has nothing to report about it (it
    takes the same shortcut). False says only that the validator must look.
    """
    cdef object action
    if not actions:
        return False
    for action in actions:
        if type(action) is not str or not _plain_action(<str> action):
            return False
    return True


cdef Py_ssize_t _field(const unsigned char* data, Py_ssize_t n, Py_ssize_t start) noexcept:
    """The end of the field that starts at ``start`` (the position of its colon), or -1 without one."""
    cdef Py_ssize_t i
    for i in range(start, n):
        if data[i] == 58:
            return i
    return -1


cdef bint _is(const unsigned char* data, Py_ssize_t start, Py_ssize_t end, bytes word) noexcept:
    cdef Py_ssize_t k, n = len(word)
    cdef const unsigned char* w = word
    if end - start != n:
        return False
    for k in range(n):
        if data[start + k] != w[k]:
            return False
    return True


cdef bint _plain_region(const unsigned char* data, Py_ssize_t start, Py_ssize_t end) noexcept:
    """``[a-z]{2}(-[a-z]+)+-[0-9]+``: us-east-1, ap-southeast-2, us-gov-west-1."""
    cdef Py_ssize_t i = start, words = 0, letters
    if end - start < 2 or not (97 <= data[i] <= 122 and 97 <= data[i + 1] <= 122):
        return False
    i += 2
    while i < end:
        if data[i] != 45:  # -
            return False
        i += 1
        letters = 0
        while i < end and 97 <= data[i] <= 122:
            i += 1
            letters += 1
        if letters:
            words += 1
            continue
        # Digits end the region: after at least one word, and only at the end.
        if words == 0 or i == end:
            return False
        while i < end and 48 <= data[i] <= 57:
            i += 1
        return i == end
    return False


cdef bint _plain_arn(str arn):
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(arn), i, end
    cdef int kind
    cdef str rest
    cdef const unsigned char* data
    if not PyUnicode_IS_ASCII(arn):
        # The first five fields are ASCII in a plain ARN; the resource part may be anything.
        end = -1
        for i in range(5):
            end = arn.find(":", end + 1)
            if end < 0:
                return False
        if not arn[:end].isascii() or "\n" in arn or "${" in arn:
            return False
        # The resource part matters only for IAM, by its start (an ASCII type): scan its ASCII
        # start, with `x` standing for what follows.
        rest = arn[end + 1:]
        i = 0
        while i < len(rest) and i < 40 and ord(rest[i]) < 128:
            i += 1
        return _plain_arn(arn[:end + 1] + rest[:i] + ("x" if i < len(rest) else ""))
    data = <const unsigned char*> PyUnicode_DATA(arn)
    if n == 1 and data[0] == 42:
        return True
    if _has_variable(data, n):
        return False
    # arn:
    end = _field(data, n, 0)
    if end < 0 or not _is(data, 0, end, b"arn"):
        return False
    # partition
    i = end + 1
    end = _field(data, n, i)
    if end < 0 or not _one_of(data, i, end, _PLAIN_PARTITIONS):
        return False
    # service: [a-z0-9][a-z0-9.-]*; IAM and S3 have rules of their own
    i = end + 1
    end = _field(data, n, i)
    if end < 0 or end == i or not _lower_alnum(data[i]):
        return False
    kind = 2 if _is(data, i, end, b"iam") else 1 if _is(data, i, end, b"s3") else 0
    for i in range(i + 1, end):
        if not (_lower_alnum(data[i]) or data[i] == 46 or data[i] == 45):
            return False
    # region: empty, *, or a region's shape; empty for IAM and S3
    i = end + 1
    end = _field(data, n, i)
    if end < 0 or not (end == i or (kind == 0 and (_is(data, i, end, b"*") or _plain_region(data, i, end)))):
        return False
    # account: empty, *, aws, or twelve digits other than the documentation's example
    i = end + 1
    end = _field(data, n, i)
    if end < 0:
        return False
    if not (end == i or _is(data, i, end, b"*") or _is(data, i, end, b"aws")):
        if end - i != 12 or _is(data, i, end, _EXAMPLE_ACCOUNT):
            return False
        for i in range(i, end):
            if not 48 <= data[i] <= 57:
                return False
    # the resource part: anything but a line break; for IAM, `*` or a resource of a known type
    if kind == 2 and not (_is(data, end + 1, n, b"*") or _iam_resource(data, end + 1, n)):
        return False
    for i in range(end + 1, n):
        if data[i] == 10:
            return False
    return True


cdef tuple _IAM_TYPES = tuple([t.encode("ascii") for t in shapes.IAM_RESOURCE_TYPES])
cdef tuple _PLAIN_PARTITIONS = tuple([p.encode("ascii") for p in shapes.PLAIN_PARTITIONS])
cdef bytes _EXAMPLE_ACCOUNT = shapes.EXAMPLE_ACCOUNT.encode("ascii")


cdef bint _one_of(const unsigned char* data, Py_ssize_t start, Py_ssize_t end, tuple words):
    cdef bytes word
    for word in words:
        if _is(data, start, end, word):
            return True
    return False


cdef bint _iam_resource(const unsigned char* data, Py_ssize_t start, Py_ssize_t n):
    """Whether ``data[start:n]`` starts with an IAM resource type (qiam.shapes.IAM_RESOURCE_TYPES)."""
    cdef bytes kind
    for kind in _IAM_TYPES:
        if n - start >= len(kind) and _is(data, start, start + len(kind), kind):
            return True
    return False


def plain_resources(resources):
    """Whether every entry of a Resource list is ``*`` or an ARN that no check remarks on, none with ``${``.

    Such a list is clean (see ``plain_actions``).
    """
    cdef object resource
    if not resources:
        return False
    for resource in resources:
        if type(resource) is not str or not _plain_arn(<str> resource):
            return False
    return True


cdef str _head_lower(str action):
    """The text before the first colon, case-folded."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(action), i, end = -1
    cdef const unsigned char* data
    cdef unsigned char* out
    cdef str head
    if not PyUnicode_IS_ASCII(action):
        return action.partition(":")[0].lower()
    data = <const unsigned char*> PyUnicode_DATA(action)
    end = _field(data, n, 0)
    if end < 0:
        end = n
    head = PyUnicode_New(end, 127)
    out = <unsigned char*> PyUnicode_DATA(head)
    for i in range(end):
        out[i] = data[i] + 32 if 65 <= data[i] <= 90 else data[i]
    return head


cdef bint _same_head(str action, str other):
    """Whether two ASCII actions have the same text before their first colon, as written."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(action), m = PyUnicode_GET_LENGTH(other)
    cdef const unsigned char* a
    cdef const unsigned char* b
    cdef const unsigned char* colon
    if not (PyUnicode_IS_ASCII(action) and PyUnicode_IS_ASCII(other)):
        return False
    a = <const unsigned char*> PyUnicode_DATA(action)
    b = <const unsigned char*> PyUnicode_DATA(other)
    colon = <const unsigned char*> memchr(a, 58, n)
    if colon == NULL:
        return False
    n = colon - a
    return n < m and b[n] == 58 and memcmp(a, b, n) == 0


def action_services(actions):
    """The service prefixes an Action list names (each entry's text before its colon, case-folded).

    None when the list holds ``*``: it names every service.
    """
    cdef list heads = []
    cdef object action
    cdef str previous = None
    cdef frozenset services
    for action in actions:
        if type(action) is not str:
            raise TypeError(f"actions must be str, not {type(action).__name__}")
        if action == "*":
            return None
        # Lists run service by service: a head written as the one before it is not made again.
        if previous is None or not _same_head(<str> action, previous):
            heads.append(_head_lower(<str> action))
            previous = <str> action
    services = frozenset(heads)
    PyObject_GC_UnTrack(services)  # only strings: it can be in no cycle (see qiam._match._untracked)
    return services


cdef bint _as_patterns(tuple entries, bint actions) except -1:
    """Plain entries without a backslash (the one character a core pattern reads otherwise)."""
    cdef object entry
    for entry in entries:
        if PyUnicode_FindChar(entry, 92, 0, PyUnicode_GET_LENGTH(entry), 1) != -1:
            return False
    return plain_actions(entries) if actions else plain_resources(entries)


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


cdef object _value_text(object value):
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


cdef object _compile_condition(object condition, object tables, dict table):
    """A Condition block's compiled conditions and whether they read variables; None if not clean.

    Each key under each operator is judged and compiled once (``tables``), by
    its values as text: the checks and the compiler read JSON true and 10 as
    ``true`` and ``10``. What the validator checks across the keys of one
    operator is checked here: a body with no key, and a key written twice in
    different cases.
    """
    cdef list compiled = []
    cdef bint templated = False
    cdef object operator, body, name, value, item, key, entry, text
    cdef list texts
    cdef set folded
    if type(condition) is not dict or not condition:
        return None
    for operator, body in (<dict> condition).items():
        if type(body) is not dict or not body:
            return None
        if len(<dict> body) > 1:
            folded = set()
            for name in <dict> body:
                folded.add(name.lower())
            if len(folded) != len(<dict> body):
                return None
        for name, value in (<dict> body).items():
            if type(value) is list:
                texts = []
                for item in <list> value:
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
            compiled.append((<tuple> entry)[0])
            templated = templated or (<tuple> entry)[1]
    return tuple(compiled), templated


cdef inline object _block_key(object tables, dict table, str operator, str name, object value):
    """``_condition_entry`` for the document reader, whose keys seldom repeat: a plain key is made
    without being kept (a block is kept whole, by its text)."""
    cdef object entry = _plain_condition(tables, operator, name, value)
    return _condition_entry(tables, table, operator, name, value) if entry is None else entry


cdef object _condition_entry(object tables, dict table, object operator, object name, object value):
    """The entry of one key of one operator, ``(condition, has_variables)`` or False: kept, made here, or
    asked for."""
    cdef tuple key = (operator, name, value)
    cdef object entry = _lookup(table, key)
    if entry is None:
        entry = _plain_condition(tables, <str> operator, <str> name, value)
        if entry is None:
            entry = tables.condition_key(key)
        else:
            table[key] = entry
    return entry


# The operator families the condition shortcut serves (``tables.condition_facts``).
cdef enum:
    KIND_STRING = 1         # qiam.operators.FAMILY_RULES[family].front_kind (a test holds them equal)
    KIND_IGNORE_CASE = 2
    KIND_LIKE = 3
    KIND_ARN = 4
    KIND_BOOL = 5
    KIND_NULL = 6


cdef object _boolean(str text):
    """``qiam.operators.parse_bool``: true or false in any case; None otherwise."""
    cdef str folded = text.lower()
    if folded == "true":
        return True
    if folded == "false":
        return False
    return None


cdef object _plain_condition(object tables, str op_text, str name, object value):
    """The entry of one key of one operator judged and compiled here, or None to ask ``tables``.

    ``qiam.validate.plain_condition_key`` and ``qiam.compile._compile_condition``
    in one step, for the shapes most conditions have: a String, Arn, Bool or
    Null operator, a key with a service prefix, values with no ``${`` (and, for
    patterns, no backslash). ``tables.condition_facts`` says, once per
    operator and per key, what the rules need to know of them; the tests hold
    what this builds equal to what the full path builds.
    """
    cdef object facts = _lookup(tables.operator_facts, op_text)
    cdef int kind, key_kind
    cdef tuple texts, makers
    cdef str joined
    cdef object text, values, exact = None, static
    if facts is None:
        facts = tables.condition_facts(op_text)
    if facts is False:
        return None
    found = _lookup(tables.key_kinds, name)
    key_kind = tables.key_kind(name) if found is None else <int> found
    if key_kind < 0:
        return None  # no service prefix
    kind = (<tuple> facts)[0]
    texts = (value,) if type(value) is str else <tuple> value
    if not texts:
        return None
    joined = texts[0] if len(texts) == 1 else "".join(texts)  # as the checks read them: joined
    if PyUnicode_Find(joined, "${", 0, PyUnicode_GET_LENGTH(joined), 1) != -1:
        return None
    for text in texts:
        if kind <= KIND_IGNORE_CASE and (PyUnicode_FindChar(text, 42, 0, PyUnicode_GET_LENGTH(text), 1) != -1
                                         or PyUnicode_FindChar(text, 63, 0, PyUnicode_GET_LENGTH(text), 1) != -1):
            return None  # a literal operator reads * and ? literally: the checks have a word
        if (kind == KIND_LIKE or kind == KIND_ARN) and PyUnicode_FindChar(
                text, 92, 0, PyUnicode_GET_LENGTH(text), 1) != -1:
            return None  # an escape: compiled by the full path
        if kind >= KIND_BOOL and _boolean(<str> text) is None:
            return None
    if kind == KIND_BOOL and len(texts) > 1:
        return None
    # A global key's type: a set prefix exactly when it is multivalued (Null never minds).
    if key_kind > 0:
        if (<tuple> facts)[3] is not None:
            if key_kind != 2:
                return None
        elif key_kind == 2 and kind != KIND_NULL:
            return None
    makers = tables.condition_makers
    if kind == KIND_NULL:
        values = tuple([_boolean(<str> text) for text in texts])
    elif kind == KIND_STRING:
        exact = static = _untracked(frozenset(texts))
        values = makers[0](static, ())
    elif kind == KIND_IGNORE_CASE:
        values = makers[1](frozenset([(<str> text).lower() for text in texts]), ())
    elif kind == KIND_BOOL:
        values = makers[3](tuple([_boolean(<str> text) for text in texts]))
    else:
        values = makers[2](texts, (), arn=kind == KIND_ARN)
    return _untracked((Condition.of_parts(name.lower(), name, kind == KIND_NULL, (<tuple> facts)[1],
                                          (<tuple> facts)[2], (<tuple> facts)[3], values, exact,
                                          (<tuple> facts)[4], _untracked(texts)), False))


cdef bint _sid_is_plain(str sid):
    """IAM's rule for Sids: ASCII letters and digits only."""
    cdef Py_UCS4 c
    for c in sid:
        if not (u"0" <= c <= u"9" or u"A" <= c <= u"Z" or u"a" <= c <= u"z"):
            return False
    return True


cdef inline object _untracked(object container):
    """The container, out of the cycle collector's sight: what the compiler keeps (tuples of strings,
    of compiled matchers, of entries) can be in no cycle, and a bulk compile makes tens of thousands
    of them, each of which the collector would otherwise walk (as ``qiam._match._untracked``)."""
    PyObject_GC_UnTrack(container)
    return container


cdef bint _plain_sid_bytes(const unsigned char* buf, Py_ssize_t start, Py_ssize_t end) noexcept:
    """``_sid_is_plain`` of the ASCII text ``buf[start:end]``."""
    cdef Py_ssize_t i
    for i in range(start, end):
        if _ACTION_BYTE[buf[i]] != 1 or buf[i] == 46 or buf[i] == 45:  # letters and digits, not . or -
            return False
    return True


cdef inline object _lookup(dict table, object key):
    cdef PyObject* found = PyDict_GetItemWithError(table, key)
    return None if found is NULL else <object> found


cdef object _action_entry(object tables, dict table, object key):
    """The entry of an Action (or NotAction) element by its key: kept in ``table``, built here when plain
    (a compiled set, as ``tables.globs`` would make it), or asked for (``table`` None: the caller keeps
    it, by the element's text)."""
    cdef object entry = None if table is None else _lookup(table, key)
    cdef tuple entries
    if entry is None:
        entries = (key,) if type(key) is str else <tuple> key
        if _as_patterns(entries, True):
            entry = (GlobSet.of_strings(entries, True), action_services(entries), True)
            if table is not None:
                table[key] = entry
        else:
            entry = tables.action_entry(key)
    return entry


cdef tuple _POSITIONS = tuple([tuple(range(n)) for n in range(64)])  # static_positions, made once


cdef object _pattern_matcher(object matcher_class, tuple entries):
    """The Resource matcher of entries that are core patterns as written, as
    ``qiam.compile.ResourceMatcher.of_patterns`` makes it (``tables.pattern_matcher``), made here."""
    cdef object matcher = matcher_class.__new__(matcher_class)
    cdef Py_ssize_t n = len(entries)
    matcher._arns = ArnPatternSet
    matcher.entries = entries
    matcher.static = ArnPatternSet.of_strings(entries)
    matcher.static_positions = <tuple> _POSITIONS[n] if n < 64 else tuple(range(n))
    matcher.templates = ()
    return matcher


cdef object _resource_entry(object tables, dict table, object key):
    """The entry of a Resource (or NotResource) element by its key (see ``_action_entry``)."""
    cdef object entry = None if table is None else _lookup(table, key)
    cdef tuple entries
    if entry is None:
        entries = (key,) if type(key) is str else <tuple> key
        if _as_patterns(entries, False):
            entry = _untracked((_pattern_matcher(tables.resource_matcher, entries), False, True))
            if table is not None:
                table[key] = entry
        else:
            entry = tables.resource_entry(key)
    return entry


cdef object _statement(object tables, Py_ssize_t index, bint single, object sid, bint allow, object actions,
                       bint not_action, object services, object resources, bint not_resource, tuple conditions,
                       bint templated):
    """The compiled statement (the kernel's own, as ``tables.statement`` makes it)."""
    cdef object variables = ()
    if templated:
        variables = _lookup(tables.statement_variables, (resources, conditions))  # what tables.variables keeps
        if variables is None:
            variables = tables.variables(resources, conditions)
    return Statement.of_parts(
        index,
        sid,
        allow,
        actions,
        not_action,
        resources,
        not_resource,
        conditions,
        _TOP if single else (<tuple> _PATHS[index] if index < 256 else ("Statement", index)),
        None if not_action else services,
        variables,
    )


def compile_statements(statements, tables):
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
    cdef list items
    cdef bint single
    cdef set sids = set()
    cdef list out = []
    cdef Py_ssize_t index
    cdef object item, compiled
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
        compiled = _one_statement(<dict> item, index, single, sids, tables)
        if compiled is None:
            return None
        out.append(compiled)
    return tuple(out)


cdef object _pair_key(dict st, bint negated, str positive, str negative):
    """The key of the one element of a pair (``Action`` or ``NotAction``, ...) that ``st`` holds
    (``negated``: the second); None if it holds both or neither, or the element is not plain."""
    if negated == (positive in st):
        return None
    return _element_key(st[negative] if negated else st[positive])


cdef object _one_statement(dict st, Py_ssize_t index, bint single, set sids, object tables):
    """One statement of ``compile_statements``, or None if it needs the full path (``sids``: those seen)."""
    cdef bint not_action, not_resource, templated
    cdef object element, sid, effect, key, actions, services, resources, found, clean
    cdef tuple conditions = ()
    for element in st:
        if element not in _ELEMENTS:
            return None
    sid = st.get("Sid")
    if sid is not None or "Sid" in st:
        if type(sid) is not str or (tables.plain_sids and not _sid_is_plain(<str> sid)):
            return None
        if sid:
            if sid in sids:
                return None
            sids.add(sid)
    effect = st.get("Effect")
    if type(effect) is not str or not (effect == "Allow" or effect == "Deny"):
        return None

    not_action = "NotAction" in st
    key = _pair_key(st, not_action, "Action", "NotAction")
    if key is None:
        return None
    actions, services, clean = _action_entry(tables, tables.actions, key)
    if not clean:
        return None
    not_resource = "NotResource" in st
    key = _pair_key(st, not_resource, "Resource", "NotResource")
    if key is None:
        return None
    resources, templated, clean = _resource_entry(tables, tables.resources, key)
    if not clean:
        return None

    if "Condition" in st:
        found = _compile_condition(st["Condition"], tables, tables.condition_keys)
        if found is None:
            return None
        conditions = (<tuple> found)[0]
        templated = templated or (<tuple> found)[1]

    return _statement(tables, index, single, sid, effect == "Allow", actions, not_action, services,
                      resources, not_resource, conditions, tables.reads_variables and templated)


# ----- the document: a policy's JSON text read straight into compiled statements -----

# Byte classes inside a string: 0 a character, 1 the closing quote, 2 what a plain text does not hold
# there (a backslash, that is an escape; a control character; a byte outside ASCII).
cdef unsigned char _STRING_BYTE[256]
for _c in range(256):
    _STRING_BYTE[_c] = 2 if (_c < 32 or _c >= 128 or _c == 92) else 1 if _c == 34 else 0

# The statement elements by their slot in a statement's record.
cdef enum:
    SID = 0
    EFFECT = 1
    ACTION = 2
    NOT_ACTION = 3
    RESOURCE = 4
    NOT_RESOURCE = 5
    CONDITION = 6
    N_ELEMENTS = 7



cdef struct _Scan:
    const unsigned char* buf
    Py_ssize_t n
    Py_ssize_t pos
    Py_ssize_t blanks  # JSON whitespace outside strings, so far


# Eight bytes at a time (SWAR): the indentation of pretty-printed JSON is runs of spaces, and
# string contents are checked a word at a time once memchr has found the closing quote.
cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    static inline uint64_t qiam_load8(const unsigned char* p) { uint64_t w; memcpy(&w, p, 8); return w; }
    /* Whether a word holds a byte outside ASCII, a control character or a backslash. */
    static inline int qiam_plain8_bad(uint64_t w) {
        const uint64_t high = 0x8080808080808080ULL, ones = 0x0101010101010101ULL;
        uint64_t below_space = (w - 0x20 * ones) & ~w & high;  /* exact once no byte has its high bit */
        uint64_t x = w ^ (0x5c * ones);
        uint64_t backslash = (x - ones) & ~x & high;
        return ((w & high) | below_space | backslash) != 0;
    }
    /* A word's first n bytes (1 to 7, in memory order), the rest replaced by a plain letter. */
    static inline uint64_t qiam_head8(uint64_t w, Py_ssize_t n) {
        uint64_t mask = (((uint64_t) 1) << (8 * n)) - 1;
        return (w & mask) | (0x4141414141414141ULL & ~mask);
    }
    /* The position (in memory order) of a word's first quote, or 8 without one. */
    static inline Py_ssize_t qiam_quote8(uint64_t w) {
        const uint64_t ones = 0x0101010101010101ULL;
        uint64_t x = w ^ (0x22 * ones), found = (x - ones) & ~x & (0x80 * ones);
        return found == 0 ? 8 : __builtin_ctzll(found) >> 3;  /* the lowest flag is exact */
    }
    /* How many of a word's first bytes (in memory order) are spaces. */
    static inline int qiam_spaces8(uint64_t w) {
        uint64_t x = w ^ 0x2020202020202020ULL;
        return x == 0 ? 8 : __builtin_ctzll(x) >> 3;
    }
    """
    unsigned long long qiam_load8(const unsigned char* p) noexcept nogil
    bint qiam_plain8_bad(unsigned long long w) noexcept nogil
    unsigned long long qiam_head8(unsigned long long w, Py_ssize_t n) noexcept nogil
    Py_ssize_t qiam_quote8(unsigned long long w) noexcept nogil
    int qiam_spaces8(unsigned long long w) noexcept nogil


cdef inline int _peek(_Scan* s) noexcept:
    """The next byte after whitespace (counted and passed), or -1 at the end."""
    cdef unsigned char c
    cdef int spaces
    while s.pos < s.n:
        c = s.buf[s.pos]
        if c > 32:  # a token, usually at once
            return c
        if c == 32:
            if s.pos + 8 <= s.n:
                spaces = qiam_spaces8(qiam_load8(s.buf + s.pos))
                s.blanks += spaces
                s.pos += spaces
            else:
                s.blanks += 1
                s.pos += 1
        elif c == 10 or c == 13 or c == 9:
            s.blanks += 1
            s.pos += 1
        else:
            return c
    return -1


cdef inline bint _string(_Scan* s) noexcept:
    """At a quote: pass the string. False if it holds an escape, a control character or a byte outside
    ASCII, or does not end."""
    cdef Py_ssize_t i = s.pos + 1, end, q
    cdef unsigned long long w
    cdef const unsigned char* quote
    if i + 8 <= s.n:  # most keys and many values end within a word: found without a call
        w = qiam_load8(s.buf + i)
        q = qiam_quote8(w)
        if q < 8:
            if q and qiam_plain8_bad(qiam_head8(w, q)):
                return False
            s.pos = i + q + 1
            return True
        if qiam_plain8_bad(w):
            return False
        i += 8
    quote = <const unsigned char*> memchr(s.buf + i, 34, s.n - i)
    if quote == NULL:
        return False
    end = quote - s.buf
    while i + 8 <= end:
        if qiam_plain8_bad(qiam_load8(s.buf + i)):
            return False
        i += 8
    if i < end:
        if i + 8 <= s.n:  # the last bytes, read as a word with what follows them masked
            if qiam_plain8_bad(qiam_head8(qiam_load8(s.buf + i), end - i)):
                return False
        else:
            while i < end:
                if _STRING_BYTE[s.buf[i]] != 0:
                    return False
                i += 1
    s.pos = end + 1
    return True


cdef bint _strings(_Scan* s) noexcept:
    """At a value: pass a string or a non-empty array of strings (an Action or Resource element)."""
    cdef int c = _peek(s)
    if c == 34:
        return _string(s)
    if c != 91:  # [
        return False
    s.pos += 1
    while True:
        if _peek(s) != 34 or not _string(s):
            return False
        c = _peek(s)
        s.pos += 1
        if c == 93:  # ]
            return True
        if c != 44:  # ,
            return False


cdef bint _object_span(_Scan* s) noexcept:
    """At ``{``: pass to the matching ``}``, strings read as ``_string`` reads them. Only the nesting
    is followed: the text between is read by the JSON reader, once per distinct text (see
    ``_condition``)."""
    cdef Py_ssize_t depth = 0
    cdef unsigned char c
    while s.pos < s.n:
        c = s.buf[s.pos]
        if c == 34:
            if not _string(s):
                return False
            continue
        if c == 123 or c == 91:
            depth += 1
        elif c == 125 or c == 93:
            depth -= 1
            if depth == 0:
                s.pos += 1
                return True
        elif c == 32 or c == 10 or c == 13 or c == 9:
            s.blanks += 1
        elif c < 32 or c >= 128:
            return False
        s.pos += 1
    return False


cdef int _element_slot(const unsigned char* name, Py_ssize_t n) noexcept:
    """The slot of a statement element by its name, or -1."""
    if n == 3:
        return SID if memcmp(name, b"Sid", 3) == 0 else -1
    if n == 6:
        return EFFECT if memcmp(name, b"Effect", 6) == 0 else ACTION if memcmp(name, b"Action", 6) == 0 else -1
    if n == 8:
        return RESOURCE if memcmp(name, b"Resource", 8) == 0 else -1
    if n == 9:
        return (NOT_ACTION if memcmp(name, b"NotAction", 9) == 0 else CONDITION if memcmp(name, b"Condition", 9) == 0
                else -1)
    if n == 11:
        return NOT_RESOURCE if memcmp(name, b"NotResource", 11) == 0 else -1
    return -1


cdef int _statement_members(_Scan* s, Py_ssize_t* starts, Py_ssize_t* ends) noexcept:
    """At ``{``: read a statement object, noting where each element's value is. The elements present,
    one bit per slot, or -1 if the object is not made of them, each once, with values of the plain
    types (strings; for Action and Resource, strings or arrays of strings; for Condition, an object)."""
    cdef int seen = 0, slot, c
    cdef Py_ssize_t key
    s.pos += 1
    while True:
        if _peek(s) != 34:
            return -1
        key = s.pos
        if not _string(s):
            return -1
        slot = _element_slot(s.buf + key + 1, s.pos - key - 2)
        if slot < 0 or seen & (1 << slot) or _peek(s) != 58:  # :
            return -1
        seen |= 1 << slot
        s.pos += 1
        c = _peek(s)
        starts[slot] = s.pos
        if slot == SID or slot == EFFECT:
            if c != 34 or not _string(s):
                return -1
        elif slot == CONDITION:
            if c != 123 or not _object_span(s):
                return -1
        elif not _strings(s):
            return -1
        ends[slot] = s.pos
        c = _peek(s)
        s.pos += 1
        if c == 125:  # }
            return seen
        if c != 44:
            return -1


cdef inline bint _text_is(const unsigned char* buf, Py_ssize_t start, Py_ssize_t end, bytes text) noexcept:
    return end - start == len(text) and memcmp(buf + start, <const char*> text, end - start) == 0


cdef object _element_of(const unsigned char* buf, Py_ssize_t start, Py_ssize_t end):
    """The element key (``element_key``) of a string or an array of strings, read by ``_strings``."""
    cdef list items = []
    cdef const unsigned char* open_
    cdef const unsigned char* close
    if buf[start] == 34:
        return PyUnicode_DecodeASCII(<const char*> buf + start + 1, end - start - 2, NULL)
    while True:
        open_ = <const unsigned char*> memchr(buf + start, 34, end - start)
        if open_ == NULL:
            return tuple(items)
        close = <const unsigned char*> memchr(open_ + 1, 34, buf + end - open_ - 1)
        items.append(PyUnicode_DecodeASCII(<const char*> open_ + 1, close - open_ - 1, NULL))
        start = close - buf + 1


# The reader keeps entries by element text in a table of its own: open addressing on a 64-bit
# hash of the text (seeded; rotate, xor and multiply, a word at a time), each slot holding where
# the text is (in the bytes of the policy it was first read from, kept alive) and its entry. A
# lookup makes no Python object, and the text is compared to be sure.
cdef extern from *:
    """
    static uint64_t qiam_text_seed = 0x9e3779b97f4a7c15ULL;
    static inline uint64_t qiam_text_hash(const unsigned char* p, Py_ssize_t n) {
        uint64_t h = qiam_text_seed ^ (uint64_t) n, w;
        Py_ssize_t i = 0;
        for (; i + 8 <= n; i += 8) {
            memcpy(&w, p + i, 8);
            h = (((h << 23) | (h >> 41)) ^ w) * 0xff51afd7ed558ccdULL;
        }
        w = 0;
        memcpy(&w, p + i, (size_t) (n - i));
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
        return h ^ (h >> 29);
    }
    """
    unsigned long long qiam_text_hash(const unsigned char* p, Py_ssize_t n) noexcept nogil
    unsigned long long qiam_text_seed

# Seeded per process, as Python seeds its string hashes: texts written to collide in the tables
# cannot be prepared in advance.
qiam_text_seed = int.from_bytes(_urandom(8), "little") | 1


cdef struct _Entry:
    # An element's entry, unpacked: kept in the table's slots, not as a tuple per element (which
    # would be one more object for the cycle collector to count for each).
    PyObject* first         # the action set, the Resource matcher or the conditions (NULL: not clean)
    PyObject* second        # an action set's services (None: any service); else NULL
    bint templated          # the element reads policy variables


cdef struct _Kept:
    unsigned long long hash
    PyObject* data          # the bytes the text is in (a reference held), NULL for an empty slot
    Py_ssize_t start
    Py_ssize_t n
    _Entry entry            # references held


@cython.no_gc  # holds bytes and entries, none of which can refer back to it
cdef class _TextTable:
    """Entries by element text (see above)."""

    cdef _Kept* slots
    cdef Py_ssize_t mask
    cdef Py_ssize_t used

    def __cinit__(self):
        self.mask = 1023
        self.used = 0
        self.slots = <_Kept*> PyMem_Calloc(self.mask + 1, sizeof(_Kept))
        if self.slots == NULL:
            raise MemoryError()

    def __dealloc__(self):
        cdef Py_ssize_t i
        if self.slots != NULL:
            for i in range(self.mask + 1):
                if self.slots[i].data != NULL:
                    Py_DECREF(<object> self.slots[i].data)
                    Py_XDECREF(self.slots[i].entry.first)
                    Py_XDECREF(self.slots[i].entry.second)
            PyMem_Free(self.slots)

    cdef bint get(self, const unsigned char* text, Py_ssize_t n, unsigned long long h, _Entry* entry) noexcept:
        """Whether an entry is kept for a text; if so it is copied to ``entry`` (references borrowed)."""
        cdef Py_ssize_t i = h & self.mask
        cdef _Kept* kept
        while True:
            kept = &self.slots[i]
            if kept.data == NULL:
                return False
            if kept.hash == h and kept.n == n and memcmp(
                    PyBytes_AS_STRING(<object> kept.data) + kept.start, text, n) == 0:
                entry[0] = kept.entry
                return True
            i = (i + 1) & self.mask

    cdef int put(self, bytes data, Py_ssize_t start, Py_ssize_t n, unsigned long long h, _Entry entry) except -1:
        """Keep ``entry`` for the text ``data[start:start + n]`` (not kept before)."""
        cdef Py_ssize_t i
        if 2 * (self.used + 1) > self.mask + 1:
            self._grow()
        i = h & self.mask
        while self.slots[i].data != NULL:
            i = (i + 1) & self.mask
        Py_INCREF(data)
        Py_XINCREF(entry.first)
        Py_XINCREF(entry.second)
        self.slots[i].hash = h
        self.slots[i].data = <PyObject*> data
        self.slots[i].start = start
        self.slots[i].n = n
        self.slots[i].entry = entry
        self.used += 1
        return 0

    cdef int _grow(self) except -1:
        cdef Py_ssize_t size = 2 * (self.mask + 1), i, j
        cdef _Kept* slots = <_Kept*> PyMem_Calloc(size, sizeof(_Kept))
        if slots == NULL:
            raise MemoryError()
        for i in range(self.mask + 1):
            if self.slots[i].data != NULL:
                j = self.slots[i].hash & (size - 1)
                while slots[j].data != NULL:
                    j = (j + 1) & (size - 1)
                slots[j] = self.slots[i]
        PyMem_Free(self.slots)
        self.slots = slots
        self.mask = size - 1
        return 0


cdef object _ascii(const unsigned char* buf, Py_ssize_t start, Py_ssize_t end):
    """The string between the quotes at ``start`` and ``end - 1`` (read by ``_string``: ASCII, no escape)."""
    return PyUnicode_DecodeASCII(<const char*> buf + start + 1, end - start - 2, NULL)


cdef bint _same_folded(const unsigned char* buf, Py_ssize_t a, Py_ssize_t b, Py_ssize_t n) noexcept:
    """Whether two ASCII texts of ``n`` bytes are equal but for the case of letters."""
    cdef Py_ssize_t i
    cdef unsigned char x, y
    for i in range(n):
        x, y = buf[a + i], buf[b + i]
        if 65 <= x <= 90:
            x += 32
        if 65 <= y <= 90:
            y += 32
        if x != y:
            return False
    return True


cdef bint _written_before(const unsigned char* buf, list spans, Py_ssize_t key, Py_ssize_t key_end,
                          bint folded):
    """Whether the text ``buf[key:key_end]`` is one of ``spans`` (start, end pairs), in any case if
    ``folded``; adds it to them if not."""
    cdef Py_ssize_t k, n = key_end - key
    for k in range(0, len(spans), 2):
        if <Py_ssize_t> spans[k + 1] - <Py_ssize_t> spans[k] == n:
            if (_same_folded(buf, <Py_ssize_t> spans[k], key, n) if folded
                    else memcmp(buf + <Py_ssize_t> spans[k], buf + key, n) == 0):
                return True
    spans.extend((key, key_end))
    return False


cdef object _string_values(_Scan* s):
    """A condition key's value read at ``s``: its string, or the tuple of an array's strings; None
    for anything else (another JSON type, an empty array)."""
    cdef Py_ssize_t value = s.pos
    cdef list texts
    cdef int c = _peek(s)
    if c == 34:
        value = s.pos
        if not _string(s):
            return None
        return _ascii(s.buf, value, s.pos)
    if c != 91:
        return None
    s.pos += 1
    texts = []
    while True:
        if _peek(s) != 34:
            return None
        value = s.pos
        if not _string(s):
            return None
        texts.append(_ascii(s.buf, value, s.pos))
        c = _peek(s)
        s.pos += 1
        if c == 93:
            return tuple(texts)
        if c != 44:
            return None


cdef object _condition_block(const unsigned char* buf, Py_ssize_t start, Py_ssize_t end, object tables,
                             dict table):
    """A Condition block's entry read from its text, as ``_compile_condition`` reads the decoded block:
    ``(conditions, has_variables)``, False if a key is not clean, or None when the block holds what
    this does not read (values other than strings, an empty object or array, a key repeated in any
    case): the JSON reader then reads it."""
    cdef _Scan s
    cdef list compiled = [], names = [], ops = []
    cdef bint templated = False
    cdef Py_ssize_t key, key_end
    cdef int c
    cdef object op_text, name, entry, texts
    s.buf, s.n, s.pos, s.blanks = buf, end, start + 1, 0  # past the `{` (read by _object_span)
    while True:
        if _peek(&s) != 34:
            return None
        key = s.pos
        if not _string(&s):
            return None
        key_end = s.pos
        if _written_before(buf, ops, key, key_end, False):  # an operator written twice
            return None
        op_text = _ascii(buf, key, key_end)
        if _peek(&s) != 58:
            return None
        s.pos += 1
        if _peek(&s) != 123:
            return None
        s.pos += 1
        del names[:]
        while True:
            if _peek(&s) != 34:
                return None
            key = s.pos
            if not _string(&s):
                return None
            key_end = s.pos
            if _written_before(buf, names, key, key_end, True):  # a key written twice, in any case
                return None
            name = _ascii(buf, key, key_end)
            if _peek(&s) != 58:
                return None
            s.pos += 1
            texts = _string_values(&s)
            if texts is None:
                return None
            entry = _block_key(tables, table, op_text, name, texts)
            if entry is False:
                return False
            compiled.append((<tuple> entry)[0])
            templated = templated or (<tuple> entry)[1]
            c = _peek(&s)
            s.pos += 1
            if c == 125:
                break
            if c != 44:
                return None
        c = _peek(&s)
        s.pos += 1
        if c == 125:
            break
        if c != 44:
            return None
    if s.pos != end:
        return None
    return _untracked((_untracked(tuple(compiled)), templated))


cdef object _plain_action_list(const unsigned char* buf, Py_ssize_t start, Py_ssize_t end, dict service_sets):
    """The entry of an Action element read from its text (a string or an array of strings, read by
    ``_strings``) when it is plain: ``_as_patterns``, ``action_services`` and the set in one pass over
    the bytes, making each string once and each service prefix once per run of equal prefixes (and
    the set of one service once, in ``service_sets``). None when an action is not plain."""
    cdef list actions = [], heads = []
    cdef const unsigned char* open_
    cdef const unsigned char* close
    cdef const unsigned char* head = NULL
    cdef Py_ssize_t n, i, vendor, head_n = 0
    cdef bint any_service = False
    cdef unsigned char* out
    cdef str action, lowered
    cdef object services
    while True:
        open_ = <const unsigned char*> memchr(buf + start, 34, end - start)
        if open_ == NULL:
            break
        open_ += 1
        close = <const unsigned char*> memchr(open_, 34, buf + end - open_)
        n = close - open_
        start = close - buf + 1
        # As _plain_action reads it: `*`, or a vendor, its colon, and a name without `:`, a line
        # break or `${` (the text holds no backslash).
        if n == 1 and open_[0] == 42:
            any_service = True
        else:
            vendor = 0
            while vendor < n and _ACTION_BYTE[open_[vendor]] == 1:
                vendor += 1
            if vendor == 0 or vendor == n or open_[vendor] != 58:
                return None
            for i in range(vendor + 1, n):
                if _ACTION_BYTE[open_[i]] == 2 and (open_[i] != 36 or (i + 1 < n and open_[i + 1] == 123)):
                    return None
            if head == NULL or head_n != vendor or memcmp(head, open_, vendor) != 0:
                head, head_n = open_, vendor
                lowered = PyUnicode_New(vendor, 127)
                out = <unsigned char*> PyUnicode_DATA(lowered)
                for i in range(vendor):
                    out[i] = open_[i] + 32 if 65 <= open_[i] <= 90 else open_[i]
                heads.append(lowered)
        action = PyUnicode_New(n, 127)
        memcpy(PyUnicode_DATA(action), open_, n)
        actions.append(action)
    if not actions:
        return None
    services = None
    if not any_service:
        # Most lists name one service: its set is made once per Compiler and shared.
        services = _lookup(service_sets, heads[0]) if len(heads) == 1 else None
        if services is None:
            services = _untracked(frozenset(heads))
            if len(heads) == 1:
                service_sets[heads[0]] = services
    return _untracked((GlobSet.of_strings(_untracked(tuple(actions)), True), services, True))


cdef object _condition(bytes text, object tables, dict table):
    """The entry of a Condition block's text: ``(conditions, has_variables)``, or False if not clean."""
    try:
        block = _loads(text)
    except ValueError:
        return False
    if json_member_count(text) != decoded_member_count(block):
        return False  # a repeated key: the full path reports it
    found = _compile_condition(block, tables, table)
    return False if found is None else found


cdef _Entry _element_entry(_TextTable table, int kind, bytes data, Py_ssize_t start, Py_ssize_t end,
                           object tables) except *:
    """The entry of an Action, Resource or Condition element by its text ``data[start:end]``: kept in
    ``table``, or read (the plainest shapes here, the rest by the paths of the decoded JSON) and kept.
    Its references are the table's."""
    cdef const unsigned char* buf = <const unsigned char*> data
    cdef unsigned long long h = qiam_text_hash(buf + start, end - start)
    cdef _Entry entry
    cdef object found
    if table.get(buf + start, end - start, h, &entry):
        return entry
    entry.first = entry.second = NULL
    entry.templated = False
    if kind == ACTION:
        found = _plain_action_list(buf, start, end, tables.service_sets)
        if found is None:
            found = _action_entry(tables, None, _element_of(buf, start, end))
        if (<tuple> found)[2]:  # (actions, services, clean)
            entry.first, entry.second = <PyObject*> (<tuple> found)[0], <PyObject*> (<tuple> found)[1]
    elif kind == RESOURCE:
        found = _resource_entry(tables, None, _element_of(buf, start, end))
        if (<tuple> found)[2]:  # (resources, has_variables, clean)
            entry.first, entry.templated = <PyObject*> (<tuple> found)[0], (<tuple> found)[1]
    else:
        found = _condition_block(buf, start, end, tables, tables.condition_keys)
        if found is None:
            found = _condition(data[start:end], tables, tables.condition_keys)
        if found is not False:  # (conditions, has_variables)
            entry.first, entry.templated = <PyObject*> (<tuple> found)[0], (<tuple> found)[1]
    table.put(data, start, end - start, h, entry)  # holds the references before `found` goes
    return entry


cdef struct _Reading:
    # What compile_document reads every statement with.
    PyObject* tables
    PyObject* action_texts      # the _TextTables of tables
    PyObject* resource_texts
    PyObject* condition_texts
    bint plain_sids
    bint reads_variables


cdef object _read_statement(bytes data, Py_ssize_t* starts, Py_ssize_t* ends, int seen, Py_ssize_t index,
                            bint single, _Reading* r, set sids):
    """The compiled statement whose elements ``_statement_members`` found, read as ``compile_statements``
    reads a statement; None if it needs the full path. Sids met so far are in ``sids``."""
    cdef object tables = <object> r.tables
    cdef const unsigned char* buf = <const unsigned char*> data
    cdef bint not_action, not_resource, templated
    cdef int slot
    cdef object sid = None, actions, services, resources
    cdef _Entry entry
    cdef tuple conditions = ()
    if not seen & (1 << EFFECT):
        return None
    if seen & (1 << SID):
        if r.plain_sids and not _plain_sid_bytes(buf, starts[SID] + 1, ends[SID] - 1):
            return None
        sid = PyUnicode_DecodeASCII(<const char*> buf + starts[SID] + 1, ends[SID] - starts[SID] - 2, NULL)
        if sid:
            if sid in sids:
                return None
            sids.add(sid)
    if not (_text_is(buf, starts[EFFECT], ends[EFFECT], b'"Allow"') or _text_is(buf, starts[EFFECT], ends[EFFECT],
                                                                               b'"Deny"')):
        return None
    not_action = seen & (1 << NOT_ACTION) != 0
    if not_action == (seen & (1 << ACTION) != 0):
        return None
    slot = NOT_ACTION if not_action else ACTION
    entry = _element_entry(<_TextTable> r.action_texts, ACTION, data, starts[slot], ends[slot], tables)
    if entry.first == NULL:
        return None
    actions, services = <object> entry.first, <object> entry.second
    not_resource = seen & (1 << NOT_RESOURCE) != 0
    if not_resource == (seen & (1 << RESOURCE) != 0):
        return None
    slot = NOT_RESOURCE if not_resource else RESOURCE
    entry = _element_entry(<_TextTable> r.resource_texts, RESOURCE, data, starts[slot], ends[slot], tables)
    if entry.first == NULL:
        return None
    resources, templated = <object> entry.first, entry.templated
    if seen & (1 << CONDITION):
        entry = _element_entry(<_TextTable> r.condition_texts, CONDITION, data, starts[CONDITION], ends[CONDITION],
                               tables)
        if entry.first == NULL:
            return None
        conditions = <tuple> entry.first
        templated = templated or entry.templated
    return _statement(tables, index, single, sid, buf[starts[EFFECT] + 1] == 65, actions, not_action, services,
                      resources, not_resource, conditions, r.reads_variables and templated)


cdef bint _read_statements(_Scan* s, bytes data, int c, _Reading* reading, list out) except -1:
    """Read the value of ``Statement`` at ``s`` (``c`` its first byte: one object or an array of them)
    into ``out``; False if a statement needs the full path."""
    cdef Py_ssize_t starts[N_ELEMENTS]
    cdef Py_ssize_t ends[N_ELEMENTS]
    cdef int seen
    cdef Py_ssize_t index = 0
    cdef bint single = c == 123
    cdef set sids = set()
    cdef object statement
    if not single:
        if c != 91:
            return False
        s.pos += 1
    while True:
        if _peek(s) != 123:
            return False
        seen = _statement_members(s, starts, ends)
        if seen < 0:
            return False
        statement = _read_statement(data, starts, ends, seen, index, single, reading, sids)
        if statement is None:
            return False
        out.append(statement)
        index += 1
        if single:
            return True
        c = _peek(s)
        s.pos += 1
        if c == 93:  # ]
            return True
        if c != 44:
            return False


def compile_document(data, tables):
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
    if type(data) is not bytes:
        return None
    cdef _Scan s
    s.buf = <const unsigned char*> (<bytes> data)
    s.n = len(<bytes> data)
    s.pos = 0
    s.blanks = 0
    cdef int top = 0, c
    cdef list out = []
    cdef Py_ssize_t key, key_end, value
    if _peek(&s) != 123:
        return None
    if tables.action_texts is None:
        tables.action_texts, tables.resource_texts, tables.condition_texts = _TextTable(), _TextTable(), _TextTable()
    cdef object action_texts = tables.action_texts, resource_texts = tables.resource_texts
    cdef object condition_texts = tables.condition_texts
    cdef _Reading reading
    reading.tables = <PyObject*> tables
    reading.action_texts = <PyObject*> action_texts  # the references are held by the locals
    reading.resource_texts = <PyObject*> resource_texts
    reading.condition_texts = <PyObject*> condition_texts
    reading.plain_sids = tables.plain_sids
    reading.reads_variables = tables.reads_variables
    s.pos += 1
    while True:
        if _peek(&s) != 34:
            return None
        key = s.pos
        if not _string(&s):
            return None
        key_end = s.pos
        if _peek(&s) != 58:  # :
            return None
        s.pos += 1
        c = _peek(&s)
        value = s.pos
        if _text_is(s.buf, key, key_end, b'"Version"'):
            if top & 1 or c != 34 or not _string(&s) or not _text_is(s.buf, value, s.pos, b'"2012-10-17"'):
                return None
            top |= 1
        elif _text_is(s.buf, key, key_end, b'"Statement"'):
            if top & 2:
                return None
            top |= 2
            if not _read_statements(&s, data, c, &reading, out):
                return None
        else:
            return None
        c = _peek(&s)
        s.pos += 1
        if c == 125:  # }
            break
        if c != 44:
            return None
    if _peek(&s) != -1 or top != 3:
        return None
    return _untracked(tuple(out)), s.blanks


# ----- requests: the usual shapes, built here (twin: qiam._front_py.request_state) -----
#
# The state of a request (its facts and the rest) as qiam.request.request_state makes it, for
# well-formed strings and a context of strings and lists of strings; None for anything else, which
# the reference builds or rejects with its coded error. The tests hold the two equal.

from qiam.context import Environment as _Environment, derive as _derive
from qiam.principals import CallerKind as _CallerKind, in_account as _in_account, _caller

cdef object _UNSPECIFIED = _CallerKind.UNSPECIFIED
cdef object _DEFAULT_ENV = None   # qiam.request's default environment, read at first use
cdef frozenset _REQUEST_FIELDS = None
cdef dict _ACTIONS = {}   # action -> (folded, service): a bulk job's requests name few actions
cdef dict _CALLERS = {}   # (principal, principal ARN, service-linked) -> _facts_of(the Caller)
cdef dict _PLAIN_CALLERS = {}   # principal -> the same, for no principal ARN and not service-linked
cdef dict _NO_KEYS = {}   # the derived keys of a request that derives none: shared, and never written


cdef tuple _facts_of(object caller):
    """What the facts take from a Caller: itself, kind, has identity policies, authenticated,
    service-linked, account, partition."""
    return (caller, caller.kind, caller.has_identity_policies, caller.authenticated, caller.service_linked_role,
            caller.account, caller.partition)


cdef tuple _caller_facts(object principal, object principal_arn, object service_linked_role, bint plain):
    """``_facts_of`` the caller ``qiam.principals._caller`` reads; kept, as that function keeps it. A
    ``plain`` principal (no assumed-role session, so no session ARN read) that is not service-linked is
    kept by itself too, where ``_state`` finds it before anything else."""
    cdef tuple key = (principal, principal_arn, service_linked_role)
    found = _CALLERS.get(key)
    if found is None:
        if len(_CALLERS) >= 4096:
            _CALLERS.clear()
            _PLAIN_CALLERS.clear()
        found = _CALLERS[key] = _facts_of(_caller(principal, principal_arn, service_linked_role))
    if plain and service_linked_role is False:
        _PLAIN_CALLERS[principal] = found
    return <tuple> found


cdef object _field_of(str text, Py_ssize_t start, Py_ssize_t end, object like):
    """``text[start:end]``, or ``like`` when that is the same text (no new string for the usual case)."""
    if type(like) is str and PyUnicode_GET_LENGTH(like) == end - start and PyUnicode_IS_ASCII(text) \
            and PyUnicode_IS_ASCII(like) \
            and memcmp(<const char*> PyUnicode_DATA(text) + start, PyUnicode_DATA(like), end - start) == 0:
        return like
    return text[start:end]


cdef bint _usual_action(object action):
    """An ASCII ``service:Action`` of printable characters that the reference's pattern accepts."""
    cdef const unsigned char* data
    cdef Py_ssize_t n, i
    cdef unsigned char c
    if type(action) is not str or not PyUnicode_IS_ASCII(action):
        return False
    data = <const unsigned char*> PyUnicode_DATA(action)
    n = PyUnicode_GET_LENGTH(action)
    i = 0
    while i < n and (_lower_alnum(data[i]) or (65 <= data[i] <= 90) or data[i] == 46 or data[i] == 45):
        i += 1
    if i == 0 or i >= n - 1 or data[i] != 58:  # a service, a colon and a name
        return False
    for i in range(i + 1, n):
        c = data[i]
        if c <= 32 or c >= 127 or c == 58 or c == 42 or c == 63:  # blank, control, : * ?
            return False
    return True


cdef dict _FOLDED_KEYS = {}   # context key -> folded: a bulk job's contexts use few keys


cdef object _folded_context(object context):
    """The context with its keys folded, or None when it is not of the usual shape."""
    cdef PyObject* known
    cdef str name
    cdef dict given = {}
    cdef object value, item
    if context is None:
        return given
    if type(context) is not dict:
        return None
    for key, value in (<dict> context).items():
        if type(key) is not str or not key:
            return None
        known = PyDict_GetItemWithError(_FOLDED_KEYS, key)
        if known != NULL:
            name = <str> known
        else:
            name = _lower(<str> key)
            if len(_FOLDED_KEYS) >= 65536:
                _FOLDED_KEYS.clear()
            _FOLDED_KEYS[key] = name
        if name in given:
            return None
        if type(value) is str:
            given[name] = value
        elif type(value) is list or type(value) is tuple:
            for item in value:
                if type(item) is not str:
                    return None
            given[name] = tuple(value)
        else:
            return None
    return given


cdef inline bint _flag(object value):
    return value is True or value is False


cdef object _state(object action, object resource, object principal, object context, object resource_account,
                   object service_linked_role, object management_account, object resource_management_account,
                   object derive_context, object environment, object resource_match):
    global _DEFAULT_ENV
    cdef dict given, merged, derived
    cdef str text
    cdef tuple who
    cdef PyObject* known
    if not _usual_action(action) or type(resource) is not str:
        return None
    text = <str> resource
    # The resource's partition and account: its ARN's second and fifth fields (as split(":", 5) gives them).
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text)
    cdef Py_ssize_t colons[5]
    cdef Py_ssize_t at = -1
    cdef int f
    for f in range(5):
        at = PyUnicode_FindChar(text, 58, at + 1, n, 1) if at + 1 <= n else -1
        if at < 0:
            break
        colons[f] = at
    if at < 0 and text != "*":
        return None  # neither `*` nor an ARN of six fields
    if principal is not None and (type(principal) is not str or not principal):
        return None
    if resource_account is not None and type(resource_account) is not str:
        return None
    if not (_flag(service_linked_role) and _flag(management_account) and _flag(resource_management_account)
            and _flag(derive_context)):
        return None
    if environment is not None and type(environment) is not _Environment:
        return None
    if not (resource_match is None or ((resource_match == "all" or resource_match == "some") and resource != "*")):
        return None
    found = _folded_context(context)
    if found is None:
        return None
    given = <dict> found
    known = PyDict_GetItemWithError(_PLAIN_CALLERS, principal) if service_linked_role is False else NULL
    if known != NULL:
        who = <tuple> known
    else:
        # (as parse_caller reads the principal and the one context key it may need)
        assumed = principal is not None and ":assumed-role/" in principal
        principal_arn = given.get("aws:principalarn") if assumed else None
        if type(principal_arn) is not str:
            principal_arn = None
        who = _caller_facts(principal, principal_arn, service_linked_role, not assumed)
    caller = who[0]
    in_arn = None
    if at >= 0:
        partition = _field_of(text, colons[0] + 1, colons[1], who[6])
        if colons[4] > colons[3] + 1:
            in_arn = _field_of(text, colons[3] + 1, colons[4], who[5])
            if resource_match and ("*" in in_arn or "?" in in_arn):
                in_arn = None
    else:
        partition = who[6]
    owner = resource_account or in_arn or who[5]
    if who[1] is _UNSPECIFIED:
        caller = _in_account(caller, owner, partition)
        who = _facts_of(caller)
    merged = given
    derived = _NO_KEYS
    if derive_context is True:
        if environment is None:
            if _DEFAULT_ENV is None:
                from qiam.request import _DEFAULT_ENVIRONMENT
                _DEFAULT_ENV = _DEFAULT_ENVIRONMENT
            environment = _DEFAULT_ENV
        try:
            made = _derive(caller, resource=text, owner_account=owner, environment=environment)
        except ValueError:
            return None  # the reference's to report
        derived = {}
        for k, v in (<dict> made).items():
            if k not in given:
                derived[k] = v
        if derived:
            merged = _untracked(dict(derived))
            merged.update(given)
            _untracked(derived)
        else:
            derived = _NO_KEYS
    else:
        environment = None
    named = _ACTIONS.get(action)
    if named is None:
        if len(_ACTIONS) >= 65536:
            _ACTIONS.clear()
        named = _ACTIONS[action] = ((<str> action).lower(), (<str> action).split(":", 1)[0].lower())
    account = who[5]
    caller_partition = who[6]
    facts = ((<tuple> named)[0], (<tuple> named)[1], text, merged, caller, who[1], who[2], who[3], who[4],
             management_account, resource_management_account, account, owner, caller_partition, partition, action,
             account == owner, caller_partition == partition)
    # A request's parts hold strings, flags, the shared Caller and Environment, and never the request: no
    # cycle runs through them, so the collector need not walk them. A batch of 100,000 requests is 600,000
    # containers it would otherwise walk again at every collection (half the time of building them).
    _untracked(given)
    return (_untracked(facts),
            _untracked((principal, resource_account, service_linked_role, given, derived, environment,
                        resource_match)))


cdef extern from "Python.h":
    int PyObject_GenericSetAttr(object obj, object name, object value) except -1


cdef extern from *:
    """
    #include "structmember.h"
    /* Where a class keeps the slot `name` (a plain object slot of the class or a base); -1 if it is no such slot. */
    static Py_ssize_t qiam_slot_offset(PyObject* type, PyObject* name) {
        PyObject* found = _PyType_Lookup((PyTypeObject*) type, name);
        if (found == NULL || Py_TYPE(found) != &PyMemberDescr_Type) return -1;
        PyMemberDef* member = ((PyMemberDescrObject*) found)->d_member;
        if (member->type != T_OBJECT_EX || (member->flags & READONLY)) return -1;
        return member->offset;
    }
    static void qiam_set_slot(PyObject* obj, Py_ssize_t offset, PyObject* value) {
        PyObject** at = (PyObject**) ((char*) obj + offset);
        PyObject* old = *at;
        Py_INCREF(value);
        *at = value;
        Py_XDECREF(old);
    }
    """
    Py_ssize_t _slot_offset "qiam_slot_offset"(object type, object name)
    void _set_slot "qiam_set_slot"(object obj, Py_ssize_t offset, object value)


cdef object _SLOTTED_CLASS = None   # the class whose slots _fill sets where they lie
cdef Py_ssize_t _FACTS_AT, _KEY_AT, _MATCH_AT, _REST_AT


cdef bint _knows_slots(object cls):
    """Whether ``_fill`` may set the slots of ``cls`` where they lie (found once for a class)."""
    global _SLOTTED_CLASS, _FACTS_AT, _KEY_AT, _MATCH_AT, _REST_AT
    if cls is _SLOTTED_CLASS:
        return True
    facts, key, match, rest = (_slot_offset(cls, "facts"), _slot_offset(cls, "_key"),
                               _slot_offset(cls, "resource_match"), _slot_offset(cls, "_rest"))
    if facts < 0 or key < 0 or match < 0 or rest < 0:
        return False
    _SLOTTED_CLASS, _FACTS_AT, _KEY_AT, _MATCH_AT, _REST_AT = cls, facts, key, match, rest
    return True


cdef inline void _fill(object request, tuple state) except *:
    """Set a Request's slots from its state (as qiam.request.fill does). The request holds its state and,
    later, its key (bytes), and is immutable: it can be in no cycle, and is kept out of the collector's
    sight like its parts (msgspec's ``gc=False`` structs are the model)."""
    if _knows_slots(type(request)):  # (a new instance's slots, set in place as object.__setattr__ would)
        _set_slot(request, _FACTS_AT, state[0])
        _set_slot(request, _KEY_AT, None)
        _set_slot(request, _MATCH_AT, (<tuple> state[1])[6])
        _set_slot(request, _REST_AT, state[1])
    else:
        PyObject_GenericSetAttr(request, "facts", state[0])
        PyObject_GenericSetAttr(request, "_key", None)
        PyObject_GenericSetAttr(request, "resource_match", (<tuple> state[1])[6])
        PyObject_GenericSetAttr(request, "_rest", state[1])
    PyObject_GC_UnTrack(request)


def request_state(arguments):
    """``qiam.request.request_state(arguments)`` for the usual shapes; None for any other input."""
    cdef tuple a = arguments
    return _state(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10])


def request_init(request, arguments):
    """Fill ``request`` (a new qiam.Request) from ``Request``'s arguments if they are of the usual shapes;
    whether it did."""
    cdef tuple a = arguments
    state = _state(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10])
    if state is None:
        return False
    _fill(request, <tuple> state)
    return True


cdef extern from *:
    """
    /* A new instance of a Python class, as object.__new__(cls) makes it (no arguments to check). */
    static PyObject* qiam_new_instance(PyObject* cls) {
        PyTypeObject* type = (PyTypeObject*) cls;
        return type->tp_alloc(type, 0);
    }
    """
    object _new_instance "qiam_new_instance"(object cls)


def request_from_json(cls, data):
    """A ``cls`` (qiam.Request) from a batch line's ``request`` object of the usual shapes that does not
    ask for derivation; None for any other input."""
    state = _state_json(data)
    if state is None:
        return None
    global _PLAIN_CLASS
    if cls is _PLAIN_CLASS:
        request = _new_instance(cls)  # (what object.__new__ does for a class it has made one of)
    else:
        request = object.__new__(cls)  # (as the reference makes it: no __new__ of the class is called)
        _PLAIN_CLASS = cls
    _fill(request, <tuple> state)
    return request


def request_state_json(data):
    """``request_state`` of a batch line's ``request`` object that does not ask for derivation; None for
    any other input."""
    return _state_json(data)


cdef object _PLAIN_CLASS = None   # the last class request_from_json made a request of
cdef dict _ARGUMENT_OF_FIELD = None   # qiam.request's, read at first use
cdef tuple _ABSENT_ARGUMENTS = None


cdef object _state_json(object data):
    """One pass over the object's fields, each put where ``qiam.request.arguments_of`` puts it."""
    global _ARGUMENT_OF_FIELD, _ABSENT_ARGUMENTS
    cdef PyObject* found
    cdef Py_ssize_t at
    if type(data) is not dict:
        return None
    if _ARGUMENT_OF_FIELD is None:
        from qiam.request import ABSENT_ARGUMENTS, ARGUMENT_OF_FIELD
        _ARGUMENT_OF_FIELD, _ABSENT_ARGUMENTS = ARGUMENT_OF_FIELD, ABSENT_ARGUMENTS
    cdef tuple absent = _ABSENT_ARGUMENTS
    action, resource, principal, context, resource_account = absent[0], absent[1], absent[2], absent[3], absent[4]
    service_linked_role, management_account, resource_management_account = absent[5], absent[6], absent[7]
    resource_match = absent[10]
    cdef bint has_action = False
    for name, value in (<dict> data).items():
        found = PyDict_GetItemWithError(_ARGUMENT_OF_FIELD, name)
        if found == NULL:
            return None  # an unknown field: the reference's to report
        at = <Py_ssize_t> <object> found
        if at == 0:
            action = value
            has_action = True
        elif at == 1:
            resource = value
        elif at == 2:
            principal = value
        elif at == 3:
            context = value
        elif at == 4:
            resource_account = value
        elif at == 5:
            service_linked_role = value
        elif at == 6:
            management_account = value
        elif at == 7:
            resource_management_account = value
        elif at == 8:
            if value is not False:
                return None  # (a derived context is the reference's to make)
        elif at == 10:
            resource_match = value
        # (9: the environment's fields, read only when the context is derived)
    if not has_action:
        return None
    return _state(action, resource, principal, context, resource_account, service_linked_role, management_account,
                  resource_management_account, False, None, resource_match)
