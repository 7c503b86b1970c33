# cython: language_level=3, binding=True, boundscheck=False, wraparound=False
# cython: initializedcheck=False, cdivision=True, freethreading_compatible=True
# (The directives are set in setup.py; they are repeated here for the reader.)
"""Compiled matcher core: wildcard, ARN and IP matching over pre-compiled patterns.

Twin of ``qiam._match_py``, which is the readable specification: every public
name here has the same signature, docstring, answers and exception text there.
This module knows no JSON, IAM policies or decisions.
"""

cimport cython
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.unicode cimport (
    PyUnicode_DATA,
    PyUnicode_Find,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_1BYTE_KIND,
    PyUnicode_4BYTE_KIND,
    PyUnicode_FromKindAndData,
    PyUnicode_READ,
    PyUnicode_Tailmatch,
)
from libc.stdint cimport uint64_t
from libc.string cimport memchr, memset

cdef extern from "Python.h":
    void PyObject_GC_UnTrack(object op)
    bint PyUnicode_IS_ASCII(object text)
    str PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    str PyUnicode_Substring(str text, Py_ssize_t start, Py_ssize_t end)

import inspect
from collections.abc import Iterable

__all__ = [
    "ArnPatternSet",
    "Glob",
    "GlobSet",
    "IpNetworkSet",
    "decoded_member_count",
    "escape",
    "json_member_count",
    "json_whitespace_count",
]

# Stands for `?` in a parsed pattern; no code point is this large.
cdef Py_UCS4 ANY_ONE = 0xFFFFFFFF


cdef object _type_error(str name, str expected, object value):
    return TypeError(
        f"Argument '{name}' has incorrect type (expected {expected}, got {type(value).__name__})"
    )


cdef tuple _str_tuple(str name, object values):
    cdef tuple items
    if type(values) is tuple:
        items = <tuple> values
    elif type(values) is list:
        items = tuple(<list> values)
    elif isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"`{name}` must be an iterable of str, got {type(values).__name__}")
    else:
        items = tuple(values)
    cdef bint subclassed = False
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"`{name}` must hold only str, got {type(item).__name__}")
        subclassed = subclassed or type(item) is not str
    if subclassed:  # the matchers read exact str; a subclass is read as its text
        items = tuple([str(item) for item in items])
    return items


cdef str _lower(str text):
    """``text.lower()``, without a method call for ASCII text (and without a copy when already lower)."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i, first = -1
    cdef const unsigned char* data
    cdef unsigned char* out
    cdef str lowered
    if not PyUnicode_IS_ASCII(text):
        return text.lower()
    data = <const unsigned char*> PyUnicode_DATA(text)
    for i in range(n):
        if 65 <= data[i] <= 90:
            first = i
            break
    if first < 0:
        return text
    lowered = PyUnicode_New(n, 127)
    out = <unsigned char*> PyUnicode_DATA(lowered)
    for i in range(n):
        out[i] = data[i] + 32 if 65 <= data[i] <= 90 else data[i]
    return lowered


cdef inline frozenset _untracked(frozenset strings):
    """The set, out of the cycle collector's sight: it holds only strings, so it can be in no cycle
    (as CPython itself untracks tuples and dicts of atomic values), and the collector need not
    walk it again and again in a process that keeps thousands of compiled policies."""
    PyObject_GC_UnTrack(strings)
    return strings


cdef inline str _exact(object text):
    return <str> text if type(text) is str else str(text)


def escape(text):
    """Return ``text`` as a pattern that matches exactly ``text``.

    Every ``*``, ``?`` and ``\\`` is preceded by a backslash, so substituted
    policy-variable values stay literal.
    """
    if not isinstance(text, str):
        raise _type_error("text", "str", text)
    if "\\" not in text and "*" not in text and "?" not in text:
        return text
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


@cython.no_gc  # built once from code points, immutable, holds only ints: no cycle
cdef class _Scanner:
    """Finds one segment with `?` in a text, in time linear in the text.

    Two ways, whichever bounds the work lower for the segment. A bit-parallel
    NFA (shift-and) over its positions: one shift and one mask per text
    character and 64 pattern positions. Or, when the segment is mostly `?`
    (a long run of `?` between two letters), the runs of `?` as fixed-width
    gaps: its longest literal piece is searched for as a string, and each
    place it is found costs one comparison per other literal character. Never the product of text and segment that trying
    every alignment costs.
    """

    def __cinit__(self):
        self.ascii = NULL
        self.wild = NULL
        self.others = NULL
        self.checks = NULL
        self.wanted = NULL

    def __dealloc__(self):
        PyMem_Free(self.ascii)
        PyMem_Free(self.wild)
        PyMem_Free(self.others)
        PyMem_Free(self.checks)
        PyMem_Free(self.wanted)

    cdef Py_ssize_t find(self, str text, int kind, void* data, Py_ssize_t start, Py_ssize_t end) except -2:
        """The first position in [start, end) where the segment matches whole, or -1."""
        cdef Py_ssize_t last = end - self.length, at, placed, j
        if last < start:
            return -1
        if self.any_text:
            return start
        if self.anchor is not None:
            at = start + self.anchor_offset
            while True:
                at = PyUnicode_Find(text, self.anchor, at, last + self.anchor_offset + len(self.anchor), 1)
                if at < 0:
                    return -1
                placed = at - self.anchor_offset
                for j in range(self.nchecks):
                    if PyUnicode_READ(kind, data, placed + self.checks[j]) != self.wanted[j]:
                        break
                else:
                    return placed
                at += 1
        return self._scan(kind, data, start, end)

    cdef Py_ssize_t _scan(self, int kind, void* data, Py_ssize_t start, Py_ssize_t end) except -2:
        """``find`` by the bit-parallel NFA."""
        cdef Py_ssize_t words = self.words, i, k, row
        cdef Py_ssize_t top = (self.length - 1) // 64
        cdef uint64_t last = (<uint64_t> 1) << ((self.length - 1) % 64)
        cdef uint64_t state = 0, carry, word
        cdef uint64_t* mask
        cdef uint64_t* states
        cdef Py_UCS4 c
        cdef object found
        if words == 1:  # segments of up to 64 characters: one word of state
            for i in range(start, end):
                c = PyUnicode_READ(kind, data, i)
                if c < 128:
                    mask = &self.ascii[<Py_ssize_t> c]
                else:
                    found = self.other_index.get(<long> c)
                    mask = self.wild if found is None else &self.others[<Py_ssize_t> found]
                state = ((state << 1) | 1) & mask[0]
                if state & last:
                    return i - self.length + 1
            return -1
        states = <uint64_t*> PyMem_Malloc(words * sizeof(uint64_t))
        if states == NULL:
            raise MemoryError()
        memset(states, 0, words * sizeof(uint64_t))
        try:
            for i in range(start, end):
                c = PyUnicode_READ(kind, data, i)
                if c < 128:
                    mask = &self.ascii[(<Py_ssize_t> c) * words]
                else:
                    found = self.other_index.get(<long> c)
                    mask = self.wild if found is None else &self.others[(<Py_ssize_t> found) * words]
                carry = 1
                for k in range(words):
                    word = states[k]
                    states[k] = ((word << 1) | carry) & mask[k]
                    carry = word >> 63
                if states[top] & last:
                    return i - self.length + 1
            return -1
        finally:
            PyMem_Free(states)


cdef int _choose_anchor(_Scanner made, Py_UCS4* points, Py_ssize_t length) except -1:
    """Find the longest literal piece, and read the segment by gaps when its literal characters are no more
    than the words of the bit-parallel state: a place the piece is found costs a comparison per literal
    character at most, against a word step per character and 64 positions of the scan."""
    cdef Py_ssize_t k = 0, begin, best = -1, best_length = 0, literals = 0, j = 0
    while k < length:
        if points[k] == ANY_ONE:
            k += 1
            continue
        begin = k
        while k < length and points[k] != ANY_ONE:
            k += 1
        literals += k - begin
        if k - begin > best_length:
            best, best_length = begin, k - begin
    made.any_text = literals == 0
    made.anchor = None
    made.nchecks = 0
    if literals == 0 or literals > made.words:
        return 0
    made.anchor = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, &points[best], best_length)
    made.anchor_offset = best
    made.checks = <Py_ssize_t*> PyMem_Malloc((literals - best_length + 1) * sizeof(Py_ssize_t))
    made.wanted = <Py_UCS4*> PyMem_Malloc((literals - best_length + 1) * sizeof(Py_UCS4))
    if made.checks == NULL or made.wanted == NULL:
        raise MemoryError()
    for k in range(length):
        if points[k] != ANY_ONE and not (best <= k < best + best_length):
            made.checks[j] = k
            made.wanted[j] = points[k]
            j += 1
    made.nchecks = j
    return 0


cdef _Scanner _scanner(Py_UCS4* points, Py_ssize_t length):
    cdef _Scanner made = _Scanner.__new__(_Scanner)
    cdef Py_ssize_t words = (length + 63) // 64, k, c, row
    cdef Py_UCS4 p
    cdef dict index = {}
    made.length = length
    made.words = words
    _choose_anchor(made, points, length)
    for k in range(length):
        p = points[k]
        if p != ANY_ONE and p >= 128 and <long> p not in index:
            index[<long> p] = len(index)
    made.other_index = index
    made.ascii = <uint64_t*> PyMem_Malloc(128 * words * sizeof(uint64_t))
    made.wild = <uint64_t*> PyMem_Malloc(words * sizeof(uint64_t))
    made.others = <uint64_t*> PyMem_Malloc((len(index) * words + 1) * sizeof(uint64_t))
    if made.ascii == NULL or made.wild == NULL or made.others == NULL:
        raise MemoryError()
    memset(made.wild, 0, words * sizeof(uint64_t))
    for k in range(length):
        if points[k] == ANY_ONE:
            made.wild[k // 64] |= (<uint64_t> 1) << (k % 64)
    for c in range(128):
        for k in range(words):
            made.ascii[c * words + k] = made.wild[k]
    for row in range(len(index)):
        for k in range(words):
            made.others[row * words + k] = made.wild[k]
    for k in range(length):
        p = points[k]
        if p == ANY_ONE:
            continue
        if p < 128:
            made.ascii[(<Py_ssize_t> p) * words + k // 64] |= (<uint64_t> 1) << (k % 64)
        else:
            row = index[<long> p]
            made.others[row * words + k // 64] |= (<uint64_t> 1) << (k % 64)
    return made


cdef inline void _made_once(object made, object field) except *:
    """Refuse a second ``__init__``: a matcher is shared by every statement and policy that holds it, so
    it never changes once made (``field`` is one that ``__init__`` sets)."""
    if field is not None:
        raise TypeError(f"a {type(made).__name__} is made once: it cannot be initialised again")


@cython.no_gc  # built once from strings, immutable, holds no object that can refer back to it: no cycle
cdef class Glob:
    """An IAM wildcard pattern: ``*`` is any run of characters, ``?`` exactly one.

    Parameters
    ----------
    pattern : str
        The pattern; ``\\`` makes the next character literal.
    fold_case : bool
        Compare case-insensitively: pattern and text are both folded with
        ``str.lower()``.

    Matching is linear in the length of the text for a given pattern: the
    segments between stars are found left to right, never backtracked, and a
    segment with ``?`` is found by a bit-parallel scan (one step per text
    character and 64 pattern characters), never by trying every alignment.

    Examples
    --------
    >>> Glob("iam:*AccessKey*", fold_case=True).matches("IAM:CreateAccessKey")
    True
    >>> Glob("s3:Get?").matches("s3:GetObject")
    False
    """

    # Special methods are slot wrappers without a signature: state it for inspect.
    __signature__ = inspect.signature(lambda pattern, *, fold_case=False: None)

    # Attributes are declared in _match.pxd.
    # INVARIANT: nseg >= 1 once built; nseg == 1 exactly when has_star is false.

    def __cinit__(self):
        self.points = NULL
        self.offsets = NULL
        self.nseg = 0  # INVARIANT: nseg == 0 exactly until _build has run

    def __dealloc__(self):
        PyMem_Free(self.points)
        PyMem_Free(self.offsets)

    def __init__(self, pattern, *, fold_case=False):
        _made_once(self, self._pattern)
        if not isinstance(pattern, str):
            raise _type_error("pattern", "str", pattern)
        self._pattern = pattern
        self._fold_case = bool(fold_case)
        self._build(_exact(pattern.lower() if self._fold_case else pattern))

    cdef void _build(self, str pattern) except *:
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(pattern)
        cdef int kind = PyUnicode_KIND(pattern)
        cdef void* data = PyUnicode_DATA(pattern)
        cdef Py_ssize_t i = 0, count = 0, seg = 0, k
        cdef Py_UCS4 c
        cdef bint literal
        PyMem_Free(self.points)
        PyMem_Free(self.offsets)
        self.points = <Py_UCS4*> PyMem_Malloc((n + 1) * sizeof(Py_UCS4))
        self.offsets = <Py_ssize_t*> PyMem_Malloc((n + 2) * sizeof(Py_ssize_t))
        if self.points == NULL or self.offsets == NULL:
            raise MemoryError()
        self.has_star = False
        self.offsets[0] = 0
        while i < n:
            c = PyUnicode_READ(kind, data, i)
            if c == u"\\" and i + 1 < n:
                self.points[count] = PyUnicode_READ(kind, data, i + 1)
                count += 1
                i += 2
                continue
            if c == u"*":
                self.has_star = True
                seg += 1
                self.offsets[seg] = count
            elif c == u"?":
                self.points[count] = ANY_ONE
                count += 1
            else:
                self.points[count] = c
                count += 1
            i += 1
        self.nseg = seg + 1
        self.offsets[self.nseg] = count
        self.literals = []
        self.scanners = []
        for seg in range(self.nseg):
            literal = True
            for k in range(self.offsets[seg], self.offsets[seg + 1]):
                if self.points[k] == ANY_ONE:
                    literal = False
                    break
            if literal:
                self.literals.append(PyUnicode_FromKindAndData(
                    PyUnicode_4BYTE_KIND, &self.points[self.offsets[seg]],
                    self.offsets[seg + 1] - self.offsets[seg]))
                self.scanners.append(None)
            else:
                self.literals.append(None)
                self.scanners.append(_scanner(&self.points[self.offsets[seg]],
                                              self.offsets[seg + 1] - self.offsets[seg]))

    @property
    def pattern(self):
        """The pattern as given."""
        return self._pattern

    @property
    def fold_case(self):
        """Whether matching ignores case."""
        return self._fold_case

    def __repr__(self):
        return f"Glob({self._pattern!r}, fold_case={self._fold_case})"

    def matches(self, text):
        """Return whether the whole of ``text`` matches the pattern."""
        if not isinstance(text, str):
            raise _type_error("text", "str", text)
        text = _exact(text.lower() if self._fold_case else text)
        return self.match_range(<str> text, 0, PyUnicode_GET_LENGTH(text))

    cdef bint _at(self, Py_ssize_t seg, int kind, void* data, Py_ssize_t pos) noexcept:
        cdef Py_ssize_t k, start = self.offsets[seg], stop = self.offsets[seg + 1]
        cdef Py_UCS4 p
        for k in range(start, stop):
            p = self.points[k]
            if p != ANY_ONE and p != PyUnicode_READ(kind, data, pos + k - start):
                return False
        return True

    cdef Py_ssize_t _find(self, Py_ssize_t seg, str text, int kind, void* data,
                          Py_ssize_t start, Py_ssize_t end) except -2:
        cdef object literal = self.literals[seg]
        if literal is not None:
            return PyUnicode_Find(text, literal, start, end, 1)
        return (<_Scanner> self.scanners[seg]).find(text, kind, data, start, end)

    cdef bint match_range(self, str text, Py_ssize_t start, Py_ssize_t end) except -1:
        """Match text[start:end], already case-folded when fold_case is set."""
        if self.nseg == 0:
            raise ValueError("the Glob was not initialised")
        cdef int kind = PyUnicode_KIND(text)
        cdef void* data = PyUnicode_DATA(text)
        cdef Py_ssize_t n = end - start
        cdef Py_ssize_t last = self.nseg - 1
        cdef Py_ssize_t first_len = self.offsets[1] - self.offsets[0]
        cdef Py_ssize_t last_len = self.offsets[self.nseg] - self.offsets[last]
        cdef Py_ssize_t seg, pos, stop, found, length
        if not self.has_star:
            return first_len == n and self._at(0, kind, data, start)
        if first_len + last_len > n:
            return False
        stop = end - last_len
        if not self._at(0, kind, data, start) or not self._at(last, kind, data, stop):
            return False
        pos = start + first_len
        for seg in range(1, last):
            length = self.offsets[seg + 1] - self.offsets[seg]
            if length == 0:
                continue
            found = self._find(seg, text, kind, data, pos, stop)
            if found < 0:
                return False
            pos = found + length
        return True


# Shapes of a pattern, found by one scan of its characters.
cdef enum:
    SHAPE_LITERAL = 0   # no wildcard, no escape: equality
    SHAPE_PREFIX = 1    # literal text then one trailing star: a prefix test
    SHAPE_ALL = 2       # only stars: matches anything
    SHAPE_GENERAL = 3   # anything else: a Glob


cdef int _shape(str pattern):
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(pattern), i, stars = 0
    cdef int kind = PyUnicode_KIND(pattern)
    cdef void* data = PyUnicode_DATA(pattern)
    cdef const unsigned char* text
    cdef Py_UCS4 c
    cdef const unsigned char* star
    if kind == PyUnicode_1BYTE_KIND:
        # The usual case: one byte per character, searched with memchr.
        text = <const unsigned char*> data
        if memchr(text, 63, n) != NULL or memchr(text, 92, n) != NULL:  # ? and \
            return SHAPE_GENERAL
        star = <const unsigned char*> memchr(text, 42, n)
        while star != NULL:
            stars += 1
            star = <const unsigned char*> memchr(star + 1, 42, n - (star + 1 - text))
        return _shape_of(stars, n, n > 0 and text[n - 1] == 42)
    for i in range(n):
        c = PyUnicode_READ(kind, data, i)
        if c == u"?" or c == u"\\":
            return SHAPE_GENERAL
        if c == u"*":
            stars += 1
    return _shape_of(stars, n, n > 0 and PyUnicode_READ(kind, data, n - 1) == u"*")


cdef inline int _shape_of(Py_ssize_t stars, Py_ssize_t n, bint ends_with_star) noexcept:
    """The shape of a pattern of ``n`` characters with ``stars`` stars and no `?` or escape."""
    if stars == 0:
        return SHAPE_LITERAL
    if stars == n:
        return SHAPE_ALL
    if stars == 1 and ends_with_star:
        return SHAPE_PREFIX
    return SHAPE_GENERAL


@cython.no_gc  # built once from strings, immutable, holds no object that can refer back to it: no cycle
cdef class GlobSet:
    """All the patterns of one policy element; matches when any pattern does.

    Parameters
    ----------
    patterns : iterable of str
        The patterns, in policy order (``first_match`` reports positions in it).
    fold_case : bool
        Compare case-insensitively, as for ``Glob``.

    Wildcard-free patterns are looked up in a set and ``prefix*`` patterns in
    a prefix table (one set per prefix length: a text is cut at each length
    once), so the common shapes cost no glob matching, and no scan of the
    list, at all.

    Examples
    --------
    >>> actions = GlobSet(["s3:GetObject", "kms:GenerateDataKey*"], fold_case=True)
    >>> actions.matches_any("kms:generatedatakeypair")
    True
    >>> actions.first_match("s3:PutObject")
    -1
    """

    # Special methods are slot wrappers without a signature: state it for inspect.
    __signature__ = inspect.signature(lambda patterns, *, fold_case=False: None)


    def __init__(self, patterns, *, fold_case=False):
        _made_once(self, self._patterns)
        self._patterns = _str_tuple("patterns", patterns)
        self._fold_case = bool(fold_case)
        self._globs = None  # one Glob per pattern, built when first_match is first called
        self._built = False  # the lookup structures are built when first matched (see _build)

    @staticmethod
    cdef GlobSet of_strings(tuple patterns, bint fold_case):
        """``GlobSet(patterns, fold_case=fold_case)`` for a tuple of exact str, from compiled code: without
        the checks and the call through the type (a compiler makes thousands)."""
        cdef GlobSet made = GlobSet.__new__(GlobSet)
        made._patterns = patterns
        made._fold_case = fold_case
        made._globs = None
        made._built = False
        return made

    cdef int _build(self) except -1:
        """Sort the patterns by shape, once, at the first match.

        A bulk job compiles thousands of elements whose sets most requests
        never reach (the action index passes them by), so a set costs only its
        patterns until it is first asked to match. Built in locals and
        published at the end: a reader sees the set either unbuilt or whole.
        """
        cdef list exact = [], prefixes = [], general = []
        cdef str pattern
        cdef int shape
        cdef bint match_all = False
        with cython.critical_section(self):
            if self._built:
                return 0
            for pattern in self._patterns:
                if self._fold_case:
                    pattern = _lower(pattern)
                shape = _shape(pattern)
                if shape == SHAPE_LITERAL:
                    exact.append(pattern)
                elif shape == SHAPE_PREFIX:
                    prefixes.append(pattern[:PyUnicode_GET_LENGTH(pattern) - 1])
                elif shape == SHAPE_ALL:
                    match_all = True
                else:
                    general.append(Glob(pattern))
            if self._built:
                return 0  # another thread built it meanwhile (a collection in between can switch threads)
            self._exact = _untracked(frozenset(exact))
            self._prefix_lengths, self._prefix_sets = _prefix_table(prefixes)
            self._general = tuple(general)
            self._match_all = match_all
            self._built = True
        return 0

    @property
    def patterns(self):
        """The patterns as given."""
        return self._patterns

    @property
    def fold_case(self):
        """Whether matching ignores case."""
        return self._fold_case

    def __len__(self):
        return len(self._patterns)

    def __repr__(self):
        return f"GlobSet({list(self._patterns)!r}, fold_case={self._fold_case})"

    def matches_any(self, text):
        """Return whether any pattern matches ``text``."""
        if not isinstance(text, str):
            raise _type_error("text", "str", text)
        return self.matches_folded(_exact(text.lower() if self._fold_case else text))

    cdef bint matches_folded(self, str text) except -1:
        cdef Py_ssize_t n, index, length
        cdef Glob glob
        if not self._built:
            if self._patterns is None:
                raise ValueError("the GlobSet was not initialised")
            self._build()
        if self._match_all or text in self._exact:
            return True
        n = PyUnicode_GET_LENGTH(text)
        for index in range(len(self._prefix_lengths)):
            length = self._prefix_lengths[index]
            if length > n:
                break
            if PyUnicode_Substring(text, 0, length) in <frozenset> self._prefix_sets[index]:
                return True
        for glob in self._general:
            if glob.match_range(text, 0, n):
                return True
        return False

    def first_match(self, text):
        """Return the position of the first pattern that matches ``text``, or -1."""
        if not isinstance(text, str):
            raise _type_error("text", "str", text)
        cdef str folded = _exact(text.lower() if self._fold_case else text)
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(folded), index
        cdef Glob glob
        if self._globs is None:
            self._globs = tuple([Glob(p, fold_case=self._fold_case) for p in self._patterns])
        for index in range(len(self._globs)):
            glob = self._globs[index]
            if glob.match_range(folded, 0, n):
                return index
        return -1

    def any_of(self, values):
        """Return whether some value is matched by some pattern (``ForAnyValue:``)."""
        cdef str value
        for value in _str_tuple("values", values):
            if self.matches_folded(value.lower() if self._fold_case else value):
                return True
        return False

    def all_of(self, values):
        """Return whether every value is matched by some pattern (``ForAllValues:``)."""
        cdef str value
        for value in _str_tuple("values", values):
            if not self.matches_folded(value.lower() if self._fold_case else value):
                return False
        return True


cdef tuple _prefix_table(list prefixes):
    """(lengths ascending, the prefixes of each length as a frozenset): a text matches some prefix
    when its first ``length`` characters are in that length's set."""
    cdef dict by_length = {}
    cdef str prefix
    for prefix in prefixes:
        by_length.setdefault(PyUnicode_GET_LENGTH(prefix), []).append(prefix)
    lengths = sorted(by_length)
    return tuple(lengths), tuple([_untracked(frozenset(by_length[length])) for length in lengths])


cdef list _split_fields(str pattern):
    """Split a pattern at unescaped colons into at most six fields."""
    cdef list fields = []
    cdef Py_ssize_t start = 0, i = 0, n = len(pattern)
    cdef Py_UCS4 c
    while i < n and len(fields) < 5:
        c = pattern[i]
        if c == u"\\":
            i += 2
            continue
        if c == u":":
            fields.append(pattern[start:i])
            start = i + 1
        i += 1
    fields.append(pattern[start:])
    return fields






cdef bint _split_arn(str arn, ArnFields* out):
    """Find the six fields of ``arn``; false when it has fewer than six."""
    cdef int kind = PyUnicode_KIND(arn)
    cdef void* data = PyUnicode_DATA(arn)
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(arn), i
    cdef int field = 0
    out.starts[0] = 0
    for i in range(n):
        if PyUnicode_READ(kind, data, i) == u":":
            out.ends[field] = i
            field += 1
            out.starts[field] = i + 1
            if field == 5:
                out.ends[5] = n
                return True
    return False


cdef enum:
    HEAD_SHORT = 0      # fewer than six fields
    HEAD_LITERAL = 1    # six fields, the first five without wildcard or escape
    HEAD_FIELDED = 2    # six fields, some of the first five with a wildcard or an escape


cdef int _head_shape(str pattern):
    """How many fields ``_split_fields`` would find, and whether the first five are literal: one scan,
    no substrings."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(pattern), i = 0
    cdef int kind = PyUnicode_KIND(pattern)
    cdef void* data = PyUnicode_DATA(pattern)
    cdef int colons = 0
    cdef bint literal = True
    cdef Py_UCS4 c
    while i < n:
        c = PyUnicode_READ(kind, data, i)
        if c == u"\\":
            literal = False
            i += 2
            continue
        if c == u":":
            colons += 1
            if colons == 5:
                return HEAD_LITERAL if literal else HEAD_FIELDED
        elif c == u"*" or c == u"?":
            literal = False
        i += 1
    return HEAD_SHORT


@cython.no_gc  # built once from strings, immutable, holds no object that can refer back to it: no cycle
cdef class _ArnPattern:
    """One ARN pattern matched field by field: an all-star field is skipped, a
    literal one compared, others globbed."""


    cdef bint match(self, str arn, ArnFields* f) except -1:
        cdef int i
        cdef object field
        cdef Py_ssize_t length
        if self.never:
            return False
        for i in range(6):
            field = self.fields[i]
            if field is None:
                continue
            length = f.ends[i] - f.starts[i]
            if isinstance(field, str):
                if PyUnicode_GET_LENGTH(field) != length or (
                        length and not PyUnicode_Tailmatch(arn, field, f.starts[i], f.ends[i], -1)):
                    return False
            elif not (<Glob> field).match_range(arn, f.starts[i], f.ends[i]):
                return False
        return True


cdef _ArnPattern _arn_pattern(str pattern, dict globs):
    cdef _ArnPattern one = _ArnPattern()
    cdef list fields = _split_fields(pattern)
    cdef list compiled = []
    cdef int shape
    one.never = len(fields) != 6
    if one.never:
        return one
    for field in fields:
        shape = _shape(field)
        if shape == SHAPE_ALL:
            compiled.append(None)
        elif shape == SHAPE_LITERAL:
            compiled.append(field)
        else:
            glob = globs.get(field)
            if glob is None:
                glob = globs[field] = Glob(field)
            compiled.append(glob)
    one.fields = tuple(compiled)
    return one


@cython.no_gc  # built once from strings, immutable, holds no object that can refer back to it: no cycle
cdef class ArnPatternSet:
    """ARN patterns, matched field by field.

    Parameters
    ----------
    patterns : iterable of str
        Each is ``*`` (any resource, the literal resource ``*`` included) or an
        ARN pattern of six colon-separated fields
        ``arn:partition:service:region:account:resource``.

    The first five fields are matched one by one, so a wildcard there never
    absorbs a colon; the sixth field (everything after the fifth colon) is
    matched as a whole, where ``*`` crosses ``/`` and ``:`` alike. Matching is
    case-sensitive. A text with fewer than six fields is matched only by ``*``;
    a pattern with fewer than six fields that is not all stars matches nothing.

    Examples
    --------
    >>> arns = ArnPatternSet(["arn:aws:s3:::b/*", "arn:aws:logs:*:*:log-group:app*"])
    >>> arns.matches_any("arn:aws:logs:us-east-1:111122223333:log-group:app:log-stream:s1")
    True
    >>> arns.matches_any("arn:aws:s3:::b")
    False
    """

    # Special methods are slot wrappers without a signature: state it for inspect.
    __signature__ = inspect.signature(lambda patterns: None)


    def __init__(self, patterns):
        _made_once(self, self._patterns)
        self._patterns = _str_tuple("patterns", patterns)
        self._ordered = None
        self._built = False  # built when first matched, as GlobSet is

    @staticmethod
    cdef ArnPatternSet of_strings(tuple patterns):
        """``ArnPatternSet(patterns)`` for a tuple of exact str, from compiled code (see ``GlobSet.of_strings``)."""
        cdef ArnPatternSet made = ArnPatternSet.__new__(ArnPatternSet)
        made._patterns = patterns
        made._ordered = None
        made._built = False
        return made

    cdef int _build(self) except -1:
        """Split the patterns into those matched whole and those matched field by field, once."""
        cdef list whole = [], fielded = []
        cdef dict globs = {}
        cdef str pattern
        cdef bint match_all = False
        cdef int head
        with cython.critical_section(self):
            if self._built:
                return 0
            for pattern in self._patterns:
                head = _head_shape(pattern)
                if head == HEAD_SHORT:
                    if _shape(pattern) == SHAPE_ALL:
                        match_all = True
                elif head == HEAD_LITERAL:
                    # With literal first fields, the text's first five colons sit where the
                    # pattern's do, so matching the whole text is matching field by field.
                    whole.append(pattern)
                else:
                    fielded.append(_arn_pattern(pattern, globs))
            if self._built:
                return 0  # as in GlobSet._build
            self._whole = GlobSet(whole)
            self._fielded = tuple(fielded)
            self._match_all = match_all
            self._built = True
        return 0

    @property
    def patterns(self):
        """The patterns as given."""
        return self._patterns

    def __len__(self):
        return len(self._patterns)

    def __repr__(self):
        return f"ArnPatternSet({list(self._patterns)!r})"

    def matches_any(self, arn):
        """Return whether any pattern matches ``arn``."""
        if not isinstance(arn, str):
            raise _type_error("arn", "str", arn)
        return self.matches_text(_exact(arn))

    cdef bint matches_text(self, str arn) except -1:
        cdef ArnFields f
        cdef _ArnPattern one
        if not self._built:
            if self._patterns is None:
                raise ValueError("the ArnPatternSet was not initialised")
            self._build()
        if self._match_all or self._whole.matches_folded(arn):
            return True
        if not self._fielded or not _split_arn(arn, &f):
            return False
        for one in self._fielded:
            if one.match(arn, &f):
                return True
        return False

    def first_match(self, arn):
        """Return the position of the first pattern that matches ``arn``, or -1."""
        if not isinstance(arn, str):
            raise _type_error("arn", "str", arn)
        arn = _exact(arn)
        cdef ArnFields f
        cdef bint split = _split_arn(arn, &f)
        cdef dict globs = {}
        cdef Py_ssize_t index
        cdef str pattern
        if self._patterns is None:
            raise ValueError("the ArnPatternSet was not initialised")
        if self._ordered is None:
            self._ordered = tuple([
                None if len(_split_fields(pattern)) == 1 and _shape(pattern) == SHAPE_ALL
                else _arn_pattern(pattern, globs) for pattern in self._patterns])
        for index in range(len(self._ordered)):
            one = self._ordered[index]
            if one is None:
                return index
            if split and (<_ArnPattern> one).match(arn, &f):
                return index
        return -1

    def any_of(self, values):
        """Return whether some value is matched by some pattern (``ForAnyValue:``)."""
        cdef str value
        for value in _str_tuple("values", values):
            if self.matches_text(value):
                return True
        return False

    def all_of(self, values):
        """Return whether every value is matched by some pattern (``ForAllValues:``)."""
        cdef str value
        for value in _str_tuple("values", values):
            if not self.matches_text(value):
                return False
        return True


@cython.no_gc  # built once from strings, immutable, holds no object that can refer back to it: no cycle
cdef class IpNetworkSet:
    """IPv4 and IPv6 network blocks, pre-parsed to integers.

    Parameters
    ----------
    blocks : iterable of (version, network, prefix_length)
        ``version`` is 4 or 6, ``network`` the block's first address as an
        integer and ``prefix_length`` its CIDR length.

    An IPv4 block never contains an IPv6 address, nor the reverse.

    Examples
    --------
    >>> nets = IpNetworkSet([(4, 0xCB007100, 24)])
    >>> nets.contains(4, 0xCB00712D), nets.contains(6, 0xCB00712D)
    (True, False)
    """

    # Special methods are slot wrappers without a signature: state it for inspect.
    __signature__ = inspect.signature(lambda blocks: None)


    def __init__(self, blocks):
        cdef list checked = []
        _made_once(self, self._blocks)
        for block in blocks:
            if not isinstance(block, tuple) or len(block) != 3:
                raise TypeError("`blocks` must hold (version, network, prefix_length) tuples")
            version, network, length = block
            if version not in (4, 6) or type(version) is not int:
                raise ValueError("IP version must be 4 or 6")
            bits = 32 if version == 4 else 128
            if not isinstance(length, int) or not 0 <= length <= bits:
                raise ValueError(f"prefix length must be between 0 and {bits}")
            if not isinstance(network, int) or not 0 <= network < (1 << bits):
                raise ValueError(f"network must be an unsigned {bits}-bit integer")
            mask = ((1 << length) - 1) << (bits - length)
            checked.append((version, network & mask, mask))
        self._blocks = tuple(checked)

    def __len__(self):
        return len(self._blocks)

    def contains(self, version, address):
        """Return whether some block of the same IP version holds ``address``."""
        if not isinstance(version, int) or not isinstance(address, int):
            raise TypeError("`version` and `address` must be int")
        for block_version, network, mask in self._blocks:
            if block_version == version and address & mask == network:
                return True
        return False


cdef void _json_scan(const unsigned char* buf, Py_ssize_t n, Py_ssize_t* colons,
                     Py_ssize_t* blanks) noexcept nogil:
    """Count colons and (unless ``blanks`` is NULL) JSON whitespace outside strings.

    A string runs from a quote to the next quote that is not escaped, that is
    not preceded by an odd run of backslashes inside the string (as a scan
    that lets each backslash take the next character would find); an
    unterminated string runs to the end. memchr finds the quotes, so the
    string contents, most of a policy, are never looked at one by one.
    """
    cdef Py_ssize_t i = 0, j, k, end, start
    cdef Py_ssize_t found_colons = 0, found_blanks = 0
    cdef const unsigned char* quote
    cdef const unsigned char* colon
    cdef unsigned char c
    while i < n:
        quote = <const unsigned char*> memchr(buf + i, 34, n - i)
        end = n if quote == NULL else quote - buf
        if blanks == NULL:  # colons only: memchr hops over the indentation between tokens
            j = i
            while j < end:
                colon = <const unsigned char*> memchr(buf + j, 58, end - j)
                if colon == NULL:
                    break
                found_colons += 1
                j = colon - buf + 1
        else:
            for j in range(i, end):
                c = buf[j]
                found_colons += c == 58
                found_blanks += c == 32 or c == 10 or c == 13 or c == 9
        if quote == NULL:
            break
        start = end + 1  # the string's first character
        i = start
        while True:
            quote = <const unsigned char*> memchr(buf + i, 34, n - i)
            if quote == NULL:
                i = n
                break
            j = quote - buf
            k = j
            while k > start and buf[k - 1] == 92:
                k -= 1
            i = j + 1
            if (j - k) % 2 == 0:
                break  # the closing quote
    colons[0] = found_colons
    if blanks != NULL:
        blanks[0] = found_blanks


cdef void _scan_text(object data, Py_ssize_t* colons, Py_ssize_t* blanks) except *:
    """``_json_scan`` over bytes or str (structural characters are ASCII, so a wide
    str is scanned as UTF-8)."""
    cdef bytes encoded
    if isinstance(data, bytes):
        _json_scan(<const unsigned char*> (<bytes> data), len(<bytes> data), colons, blanks)
    elif isinstance(data, str):
        if PyUnicode_KIND(data) == PyUnicode_1BYTE_KIND:
            _json_scan(<const unsigned char*> PyUnicode_DATA(data), PyUnicode_GET_LENGTH(data), colons, blanks)
        else:
            encoded = (<str> data).encode("utf-8", "surrogatepass")
            _json_scan(<const unsigned char*> encoded, len(encoded), colons, blanks)
    else:
        raise TypeError(f"`data` must be bytes or str, got {type(data).__name__}")


def json_member_count(data):
    """Count the members of all JSON objects in ``data``.

    Every colon outside a string separates exactly one object member, so the
    count is the number of such colons. Comparing it with the members a parser
    kept reveals duplicate keys that the parser silently collapsed. The text is
    assumed to be valid JSON.

    Examples
    --------
    >>> json_member_count(b'{"a": "x:y", "b": {"c": 1}}')
    3
    """
    cdef Py_ssize_t colons = 0
    _scan_text(data, &colons, NULL)
    return colons


def json_whitespace_count(data):
    """Count the JSON whitespace (space, tab, line feed, carriage return) outside strings.

    What a size quota that does not count whitespace leaves out. Strings are
    found as ``json_member_count`` finds them.

    Examples
    --------
    >>> json_whitespace_count(b'{"a b": [1, 2]}')
    2
    """
    cdef Py_ssize_t colons = 0, blanks = 0
    _scan_text(data, &colons, &blanks)
    return blanks


def decoded_member_count(value):
    """Count the members of all objects (dicts) in a decoded JSON value.

    The counterpart of ``json_member_count``: equal counts mean no key of the
    text was lost when it was decoded. Lists and dicts are walked without
    recursion, so depth costs no stack.

    Examples
    --------
    >>> decoded_member_count({"a": "x:y", "b": {"c": [1, {"d": 2}]}})
    4
    """
    cdef Py_ssize_t count = 0
    cdef list stack = [value]
    cdef object item, v
    while stack:
        item = stack.pop()
        if type(item) is dict:
            count += len(<dict> item)
            for v in (<dict> item).values():
                if type(v) is dict or type(v) is list:
                    stack.append(v)
        elif type(item) is list:
            for v in <list> item:
                if type(v) is dict or type(v) is list:
                    stack.append(v)
    return count
