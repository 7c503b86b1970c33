"""Compiled and result objects never change once made.

One ``Compiler`` shares its matchers between every statement and policy that
holds them, and a result may be cached and handed out again, so a change to one
object would change other answers (assigning ``["*"]`` to a Resource matcher
would grant everything it stands in). ``Immutable`` is the base of the
hand-written classes (the cores' pure-Python twins, the compiled policy and its
matchers): each attribute is set once, in ``__init__``; setting it again, a
second ``__init__`` included, and deleting it raise. ``made_once`` gives a
frozen dataclass, whose generated ``__init__`` sets fields behind
``__setattr__``, the same refusal of a second ``__init__``. The compiled cores
refuse it themselves.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Immutable", "made_once"]

_T = TypeVar("_T")


class Immutable:
    """Attributes are set once, in ``__init__``; a second ``__init__`` raises TypeError, a later assignment
    or a deletion AttributeError."""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__slots__", ())
        init = cls.__dict__.get("__init__")
        if init is not None and own:
            # An object is made whole or not at all: one of its own slots tells which.
            cls.__init__ = _guarded(init, cls.__name__, own if isinstance(own, str) else own[0])  # type: ignore[method-assign]

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, name):
            raise AttributeError(f"a {type(self).__name__} is immutable: `{name}` is set once, when it is made")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        _refuse(self, name)


def _refuse(target: object, name: str, value: object = None) -> None:
    raise AttributeError(f"a {type(target).__name__} is immutable: `{name}` cannot change")


def _guarded(init: Callable[..., None], name: str, probe: str) -> Callable[..., None]:
    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if hasattr(self, probe):
            raise TypeError(f"a {name} is made once: it cannot be initialised again")
        init(self, *args, **kwargs)

    return __init__


def made_once(cls: type[_T]) -> type[_T]:
    """A frozen dataclass that refuses a second ``__init__`` (TypeError), and any assignment or deletion
    (AttributeError, whatever the name)."""
    first = dataclasses.fields(cls)[0].name  # type: ignore[arg-type]
    cls.__init__ = _guarded(cls.__init__, cls.__name__, first)  # type: ignore[method-assign]
    cls.__setattr__ = _refuse  # type: ignore[method-assign]
    cls.__delattr__ = _refuse  # type: ignore[method-assign]
    return cls
