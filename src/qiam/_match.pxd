# The C-level surface of the compiled matchers, for the compiled decision kernel
# (qiam._decide cimports GlobSet and ArnPatternSet to match without Python calls).

cdef struct ArnFields:
    Py_ssize_t starts[6]
    Py_ssize_t ends[6]


from libc.stdint cimport uint64_t


cdef class _Scanner:
    cdef Py_ssize_t length          # the segment's characters
    cdef Py_ssize_t words           # 64-bit words per bitset
    cdef uint64_t* ascii            # per ASCII character, the positions it may stand at (`?` included)
    cdef uint64_t* wild             # the positions of `?`: what any other character may stand at
    cdef uint64_t* others           # per other character of the segment, as for ascii
    cdef dict other_index           # code point >= 128 -> its row in others
    cdef object anchor              # the longest literal piece (a str) when checking pieces is cheaper, else None
    cdef Py_ssize_t anchor_offset   # where the anchor stands in the segment
    cdef Py_ssize_t* checks         # the segment positions of the other literal characters
    cdef Py_UCS4* wanted            # the character wanted at each of them
    cdef Py_ssize_t nchecks
    cdef bint any_text              # only `?`: any text of the segment's length matches

    cdef Py_ssize_t find(self, str text, int kind, void* data, Py_ssize_t start, Py_ssize_t end) except -2
    cdef Py_ssize_t _scan(self, int kind, void* data, Py_ssize_t start, Py_ssize_t end) except -2


cdef class Glob:
    cdef object _pattern           # as given (a str subclass stays one)
    cdef bint _fold_case
    cdef bint has_star
    cdef Py_UCS4* points          # all segments, concatenated
    cdef Py_ssize_t* offsets      # segment i is points[offsets[i]:offsets[i + 1]]
    cdef Py_ssize_t nseg
    cdef list literals            # segment i as a str, or None when it holds `?`
    cdef list scanners            # segment i's _Scanner when it holds `?`, else None

    cdef void _build(self, str pattern) except *
    cdef bint _at(self, Py_ssize_t seg, int kind, void* data, Py_ssize_t pos) noexcept
    cdef Py_ssize_t _find(self, Py_ssize_t seg, str text, int kind, void* data,
                          Py_ssize_t start, Py_ssize_t end) except -2
    cdef bint match_range(self, str text, Py_ssize_t start, Py_ssize_t end) except -1


cdef class GlobSet:
    cdef tuple _patterns
    cdef bint _fold_case
    cdef object _globs
    cdef frozenset _exact
    cdef tuple _prefix_lengths      # the distinct lengths of the prefix* patterns' prefixes, ascending
    cdef tuple _prefix_sets         # the prefixes of each of those lengths, as a frozenset
    cdef tuple _general
    cdef bint _match_all
    cdef bint _built                # _exact, the prefix table, _general and _match_all are set

    cdef int _build(self) except -1
    cdef bint matches_folded(self, str text) except -1
    @staticmethod
    cdef GlobSet of_strings(tuple patterns, bint fold_case)


cdef class _ArnPattern:
    cdef tuple fields               # per field: None (all stars), a str (literal) or a Glob
    cdef bint never                 # not six fields: matches nothing

    cdef bint match(self, str arn, ArnFields* f) except -1


cdef class ArnPatternSet:
    cdef tuple _patterns
    cdef bint _match_all
    cdef GlobSet _whole             # patterns whose first five fields are literal
    cdef tuple _fielded             # the others, field by field
    cdef object _ordered            # per pattern, for first_match; built on first use
    cdef bint _built                # _match_all, _whole and _fielded are set

    cdef int _build(self) except -1
    cdef bint matches_text(self, str arn) except -1
    @staticmethod
    cdef ArnPatternSet of_strings(tuple patterns)


cdef class IpNetworkSet:
    cdef tuple _blocks


cdef str _lower(str text)
