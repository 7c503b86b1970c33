"""Values a template could not settle, and the one rule for the statements that hold them.

A value that cannot be known before deployment (``Fn::ImportValue``, a
parameter with no value, a Terraform value known after apply) is an
``Unresolved`` placeholder: a name and where it is. A string built from known
text and a placeholder (``!Sub arn:aws:s3:::${Imported}/*``) is a ``Partial``.

``settle`` turns a policy document holding placeholders into one qiam can
compile, failing closed: an Allow statement that holds one never applies (it
is dropped after compiling, its index kept), and a Deny statement applies as
widely as the unknown value could make it (the unknown part of a pattern is
``*``; an unknown entry of a NotAction, NotResource or NotPrincipal list, or an
unknown condition, is left out). Each is reported where the template has it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from qiam.errors import Path

__all__ = ["Partial", "Settled", "Unresolved", "placeholders", "settle"]


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A value that cannot be known here: what it is (``Fn::ImportValue SharedKey``) and its template path."""

    what: str
    path: Path

    def __str__(self) -> str:
        return f"<{self.what}>"


@dataclass(frozen=True, slots=True)
class Partial:
    """A string of known text and placeholders."""

    parts: tuple[str | Unresolved, ...]

    def first(self) -> Unresolved:
        return next(p for p in self.parts if isinstance(p, Unresolved))

    def widened(self) -> str:
        """The string with each unknown part as ``*``."""
        return "".join("*" if isinstance(p, Unresolved) else p for p in self.parts)

    def __str__(self) -> str:
        return "".join(str(p) for p in self.parts)


def placeholders(value: object) -> Iterator[Unresolved]:
    """Every placeholder in a value, in order."""
    if isinstance(value, Unresolved):
        yield value
    elif isinstance(value, Partial):
        yield from (p for p in value.parts if isinstance(p, Unresolved))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from placeholders(item)
    elif isinstance(value, list):
        for item in value:
            yield from placeholders(item)


@dataclass(frozen=True, slots=True)
class Settled:
    """A document qiam can compile, the indices of the statements that never apply, and what was unknown:
    (placeholder, what was done about it)."""

    document: dict[str, object] | None  # None: the document itself cannot be known
    dropped: frozenset[int]
    notes: tuple[tuple[Unresolved, str], ...]


# A statement that stands in for a dropped one, so that the others keep their indices and paths.
_INERT = {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}


def settle(document: object) -> Settled:
    """See the module's docstring."""
    if not isinstance(document, dict):
        found = next(placeholders(document), None)
        if found is not None:
            return Settled(None, frozenset(), ((found, "the policy document is not known here"),))
        return Settled(document if isinstance(document, dict) else None, frozenset(), ())
    notes: list[tuple[Unresolved, str]] = []
    for key, value in document.items():
        if key != "Statement":
            for found in placeholders(value):
                return Settled(None, frozenset(), ((found, f"the policy's `{key}` is not known here"),))
    statements = document.get("Statement")
    if statements is None:
        return Settled(document, frozenset(), ())
    if isinstance(statements, (Unresolved, Partial)):
        return Settled(None, frozenset(), ((next(placeholders(statements)), "the policy's statements are not "
                                            "known here"),))
    listed = statements if isinstance(statements, list) else [statements]
    out: list[object] = []
    dropped: set[int] = set()
    for index, statement in enumerate(listed):
        found = next(placeholders(statement), None)
        if found is None or not isinstance(statement, dict):
            out.append(statement)
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            out.append(_widen_deny(statement, notes))
        else:
            dropped.add(index)
            out.append(dict(_INERT, Sid=statement["Sid"]) if isinstance(statement.get("Sid"), str) else _INERT)
            notes.append((found, "this Allow statement never applies: a value in it is not known here"))
    settled = dict(document)
    settled["Statement"] = out if isinstance(statements, list) else out[0]
    return Settled(settled, frozenset(dropped), tuple(notes))


def _widen_deny(statement: Mapping[str, object], notes: list[tuple[Unresolved, str]]) -> dict[str, object]:
    """A Deny statement with its unknown values taken at their widest (it denies at least what it would)."""
    out: dict[str, object] = {}
    for key, value in statement.items():
        if key in ("Action", "Resource", "Principal"):
            out[key] = _widest(value, key, notes)
        elif key in ("NotAction", "NotResource", "NotPrincipal"):
            kept = _without_unknown(value, key, notes)
            if kept is None:  # nothing known is excluded: the Deny applies to every one
                out[key[3:]] = "*"
            else:
                out[key] = kept
        elif key == "Condition" and isinstance(value, Mapping):
            condition: dict[str, object] = {}
            for operator, entries in value.items():
                if not isinstance(entries, Mapping):
                    condition[operator] = entries
                    continue
                kept_entries = {}
                for name, values in entries.items():
                    found = next(placeholders(values), None)
                    if found is None:
                        kept_entries[name] = values
                    else:
                        notes.append((found, f"the Deny applies as if its condition {operator} {name} held: "
                                             "a value of it is not known here"))
                if kept_entries:
                    condition[operator] = kept_entries
            if condition:
                out[key] = condition
        else:
            found = next(placeholders(value), None)
            if found is not None:
                notes.append((found, f"the Deny's `{key}` is not known here; it is left out"))
                continue
            out[key] = value
    return out


def _widest(value: object, key: str, notes: list[tuple[Unresolved, str]]) -> object:
    if isinstance(value, Unresolved):
        notes.append((value, f"the Deny applies to every {key.lower()} in place of this unknown one"))
        return "*"
    if isinstance(value, Partial):
        notes.append((value.first(), f"the Deny reads `{value.widened()}` in place of `{value}`"))
        return value.widened()
    if isinstance(value, list):
        return [_widest(v, key, notes) for v in value]
    if isinstance(value, Mapping):  # a Principal map: an unknown principal widens to everyone
        if next(placeholders(value), None) is not None:
            notes.append((next(placeholders(value)), "the Deny applies to every principal in place of an "
                                                     "unknown one"))
            return "*"
        return value
    return value


def _without_unknown(value: object, key: str, notes: list[tuple[Unresolved, str]]) -> object:
    """The entries of a Not-list that are known (None when none is)."""
    if isinstance(value, Mapping):  # NotPrincipal map
        kept_map = {}
        for kind, entries in value.items():
            kept = _without_unknown(entries, key, notes)
            if kept is not None:
                kept_map[kind] = kept
        return kept_map or None
    entries = value if isinstance(value, list) else [value]
    kept_list = []
    for entry in entries:
        found = next(placeholders(entry), None)
        if found is None:
            kept_list.append(entry)
        else:
            notes.append((found, f"this unknown {key} entry is left out, so that the Deny applies more widely"))
    if not kept_list:
        return None
    return kept_list if isinstance(value, list) else kept_list[0]
