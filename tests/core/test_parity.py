"""The compiled core and its pure-Python twin expose the same public API.

Same public names, same docstrings (``inspect.getdoc``) and same parameters (name,
kind and default; Cython drops annotations) for every public function, class,
method and property.
"""

from __future__ import annotations
import __future__

import inspect
import types

import pytest

from .conftest import COMPILED, TWIN


def public_names(obj: object) -> set[str]:
    return {name for name in dir(obj) if not name.startswith("_")}


def defined_public_names(module: types.ModuleType) -> set[str]:
    """Public names of a module, without imported modules and ``__future__`` features.

    ``_match_py`` has ``re`` and ``annotations`` in its namespace as by-products of
    its imports; they are not API, the names it defines or re-exports are.
    """
    return {
        name
        for name in public_names(module)
        if not isinstance(getattr(module, name), (types.ModuleType, __future__._Feature))
    }


def params(callable_: object) -> list[tuple[str, object, object]]:
    signature = inspect.signature(callable_)
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


def test_parity_all_lists_the_same_names():
    assert sorted(COMPILED.__all__) == sorted(TWIN.__all__)
    assert len(set(TWIN.__all__)) == len(TWIN.__all__)
    for name in TWIN.__all__:
        assert hasattr(COMPILED, name), name
        assert hasattr(TWIN, name), name


def test_parity_public_module_names_are_the_same():
    assert defined_public_names(COMPILED) == defined_public_names(TWIN)
    assert set(TWIN.__all__) <= defined_public_names(TWIN)


CLASSES = sorted(name for name in TWIN.__all__ if isinstance(getattr(TWIN, name), type))
FUNCTIONS = sorted(name for name in TWIN.__all__ if not isinstance(getattr(TWIN, name), type))


def test_parity_exports_the_expected_kinds():
    assert CLASSES == ["ArnPatternSet", "Glob", "GlobSet", "IpNetworkSet"]
    assert FUNCTIONS == ["decoded_member_count", "escape", "json_member_count", "json_whitespace_count"]
    for name in CLASSES:
        assert isinstance(getattr(COMPILED, name), type), name


@pytest.mark.parametrize("name", CLASSES)
def test_parity_class_public_members_are_the_same(name):
    assert public_names(getattr(COMPILED, name)) == public_names(getattr(TWIN, name))


MEMBERS = [(cls, member) for cls in CLASSES for member in sorted(public_names(getattr(TWIN, cls)))]


@pytest.mark.parametrize("name", CLASSES + FUNCTIONS)
def test_parity_docstrings_are_the_same(name):
    compiled_doc = inspect.getdoc(getattr(COMPILED, name))
    assert compiled_doc  # documented at all
    assert compiled_doc == inspect.getdoc(getattr(TWIN, name))


@pytest.mark.parametrize(("cls", "member"), MEMBERS)
def test_parity_member_docstrings_are_the_same(cls, member):
    compiled_doc = inspect.getdoc(getattr(getattr(COMPILED, cls), member))
    assert compiled_doc
    assert compiled_doc == inspect.getdoc(getattr(getattr(TWIN, cls), member))


@pytest.mark.parametrize(("cls", "member"), MEMBERS)
def test_parity_members_are_the_same_kind(cls, member):
    twin_member = inspect.getattr_static(getattr(TWIN, cls), member)
    compiled_member = getattr(getattr(COMPILED, cls), member)
    if isinstance(twin_member, property):
        assert inspect.isdatadescriptor(compiled_member), member
        assert not callable(compiled_member), member
    else:
        assert callable(compiled_member), member


@pytest.mark.parametrize("name", FUNCTIONS)
def test_parity_function_signatures_are_the_same(name):
    assert params(getattr(COMPILED, name)) == params(getattr(TWIN, name))


METHODS = [
    (cls, member)
    for cls, member in MEMBERS
    if not isinstance(inspect.getattr_static(getattr(TWIN, cls), member), property)
]


@pytest.mark.parametrize(("cls", "member"), METHODS)
def test_parity_method_signatures_are_the_same(cls, member):
    compiled = getattr(getattr(COMPILED, cls), member)
    twin = getattr(getattr(TWIN, cls), member)
    assert params(compiled) == params(twin)


@pytest.mark.parametrize("name", CLASSES)
def test_parity_init_signatures_are_the_same(name):
    # A compiled class's __init__ is a slot wrapper with no signature of its own;
    # the constructor's signature is the class's.
    compiled = getattr(COMPILED, name)
    twin = getattr(TWIN, name)
    assert params(compiled) == params(twin)
