# The C-level surface of the decision kernel's compiled statements, for the compiler's compiled loop
# (qiam._front cimports Statement to make statements without a call through the type).

from qiam._match cimport ArnPatternSet, GlobSet


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
