# The C-level surface of the decision kernel's compiled statements and conditions, for the compiler's
# compiled loop (qiam._front cimports them to make them without a call through the type).

from qiam._match cimport ArnPatternSet, GlobSet


cdef class Condition:
    cdef readonly str key
    cdef readonly str key_text
    cdef readonly bint null
    cdef readonly bint negated
    cdef readonly bint if_exists
    cdef readonly object set_prefix
    cdef readonly object values
    cdef readonly object exact
    cdef readonly str operator
    cdef readonly tuple texts
    cdef int prefix                 # 0 none, 1 ForAllValues, 2 ForAnyValue
    # A fast path for the matchers the kernel knows (qiam.operators): 1 exact strings, 2 strings
    # ignoring case, 3 wildcard strings, 4 ARNs, each without variables; 0 ask ``values.test``.
    cdef int fast
    cdef frozenset _strings
    cdef GlobSet _globs
    cdef ArnPatternSet _arns

    @staticmethod
    cdef Condition of_parts(str key, str key_text, bint null, bint negated, bint if_exists, object set_prefix,
                            object values, object exact, str operator, tuple texts)
    cdef int _fill(self, str key, str key_text, bint null, bint negated, bint if_exists, object set_prefix,
                   object values, object exact, str operator, tuple texts) except -1


cdef class Statement:
    cdef readonly int index
    cdef readonly object sid
    cdef readonly bint allow
    cdef readonly str effect
    cdef readonly object actions
    cdef readonly bint not_action
    cdef readonly object resources
    cdef readonly bint not_resource
    cdef readonly object principal
    cdef readonly bint not_principal
    cdef readonly tuple conditions
    cdef readonly tuple path
    cdef readonly object services
    cdef readonly tuple variables
    cdef GlobSet _actions            # typed, for the C-level match
    cdef ArnPatternSet _static       # the resources without variables, when there are no others
    cdef bint _simple_resources      # resources are all static

    @staticmethod
    cdef Statement of_parts(Py_ssize_t index, object sid, bint allow, object actions, bint not_action,
                            object resources, bint not_resource, tuple conditions, tuple path, object services,
                            tuple variables)
    cdef int _fill(self, Py_ssize_t index, object sid, bint allow, object actions, bint not_action, object resources,
                   bint not_resource, object principal, bint not_principal, tuple conditions, object path,
                   object services, tuple variables) except -1
