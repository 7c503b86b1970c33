"""Source(name, text): where a policy came from, and JSON path → (line, column) on demand.

Positions are needed only to render diagnostics and statement references, so
the text is scanned once, lazily, the first time a position is asked for.
A policy given as a JSON object rather than text is positioned in its one-line
rendering ``json.dumps(policy)``.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

import orjson

from qiam.errors import Path

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_SCALAR = re.compile(r'[^\s{}\[\],:"]+')
_SPACE = re.compile(r"[ \t\r\n]*")


class _Text:
    """The text behind a source and its children, and what was computed from it."""

    __slots__ = ("data", "document", "index", "lines", "origin", "text")

    def __init__(self, text: str | None, document: object, data: bytes | None = None,
                 origin: tuple[int, int] = (0, 0)) -> None:
        self.text = text
        self.document = document
        self.data = data  # the UTF-8 text, when that is what was given; decoded when first asked
        self.index: _JsonIndex | None = None
        self.lines: list[int] | None = None
        self.origin = origin


class Source:
    """The text (or JSON object) a policy was read from, with a name for messages.

    ``base`` is the path of the policy inside the text, for policies that sit
    inside a larger document (a policy library, say); ``child`` makes such a
    source, sharing the text and its one scan. ``data``, the text as UTF-8
    bytes, stands for ``text`` until the text is asked for. ``origin`` is
    (lines, columns) before the text when it is a piece of a larger file
    (a policy of a library file): positions are given in that file.
    """

    __slots__ = ("_shared", "base", "name")

    def __init__(
        self,
        name: str | None,
        text: str | None = None,
        *,
        document: object = None,
        base: Path = (),
        data: bytes | None = None,
        origin: tuple[int, int] = (0, 0),
    ) -> None:
        self.name = name
        self.base = base
        self._shared = _Text(text, document, data, origin)

    def __repr__(self) -> str:
        return f"Source({self.name!r})"

    @property
    def rendered(self) -> bool:
        """Whether the text is a rendering of a JSON object rather than text that was given."""
        return self._shared.document is not None

    @classmethod
    def positioned(cls, name: str | None, text: str, values: dict[Path, int], keys: dict[Path, int],
                   duplicates: list[tuple[Path, int]] | None = None) -> Source:
        """A source whose JSON paths were found by another reader (a YAML template's): ``values`` and
        ``keys`` give each path's character offset in ``text``."""
        source = cls(name, text)
        index = _JsonIndex.__new__(_JsonIndex)
        index.values, index.keys, index.duplicates = values, keys, duplicates or []
        source._shared.index = index
        return source

    def child(self, base: Path) -> Source:
        """The source of the value at ``base`` inside this one."""
        child = type(self).__new__(type(self))
        child.name = self.name
        child.base = self.base + tuple(base)
        child._shared = self._shared
        return child

    @property
    def text(self) -> str | None:
        """The text, rendering the JSON object with ``json.dumps`` if that is all there is."""
        shared = self._shared
        if shared.text is None:
            if shared.data is not None:
                shared.text = shared.data.decode("utf-8")
            elif shared.document is not None:
                shared.text = json.dumps(shared.document, ensure_ascii=False)
        return shared.text

    def json(self) -> object:
        """The JSON value of the text, read anew (for a text already read once, and found sound)."""
        shared = self._shared
        if shared.document is not None:
            return shared.document
        return orjson.loads(shared.data if shared.data is not None else shared.text or "")

    def _index(self) -> _JsonIndex | None:
        shared = self._shared
        if shared.index is None:
            text = self.text
            if text is None:
                return None
            shared.index = _JsonIndex(text)
        return shared.index

    def line_column(self, offset: int) -> tuple[int, int]:
        """The 1-based (line, column) of a character offset in the text."""
        shared = self._shared
        if shared.lines is None:
            shared.lines = [m.start() for m in re.finditer("\n", self.text or "")]
        line = bisect.bisect_left(shared.lines, offset)
        start = shared.lines[line - 1] + 1 if line else 0
        lines, columns = shared.origin
        return line + 1 + lines, offset - start + 1 + (0 if line else columns)

    def offset(self, path: Path, *, key: bool = False) -> int | None:
        """The character offset of the value at ``path`` (or of its key), if known."""
        index = self._index()
        if index is None:
            return None
        full = self.base + tuple(path)
        # Fall back to the nearest enclosing element that the scan found.
        while True:
            found = (index.keys if key else index.values).get(full)
            if found is None and key:
                found = index.values.get(full)
            if found is not None:
                return found
            if not full:
                return None
            full = full[:-1]
            key = False

    def position(self, path: Path, *, key: bool = False) -> tuple[int, int] | None:
        """The 1-based (line, column) of the value at ``path`` (or of its key)."""
        offset = self.offset(path, key=key)
        return None if offset is None else self.line_column(offset)

    def duplicates(self) -> list[tuple[Path, int]]:
        """Every repeated key below ``base``: its path (from ``base``) and offset."""
        index = self._index()
        if index is None:
            return []
        n = len(self.base)
        return [(p[n:], o) for p, o in index.duplicates if p[:n] == self.base]


class EmbeddedSource(Source):
    """A policy held as a JSON string inside a JSON file (a Terraform plan's ``"policy": "{...}"``):
    positions are in the file, at the character of the string that stands for each character of the
    policy's text."""

    __slots__ = ("_file", "_raw", "_start")

    def __init__(self, name: str | None, text: str, file: Source, start: int) -> None:
        super().__init__(name, text)
        self._file = file  # the file, for its lines
        self._start = start  # the offset of the string's opening quote in the file
        self._raw: list[int] | None = None

    def child(self, base: Path) -> Source:
        child = super().child(base)
        assert isinstance(child, EmbeddedSource)
        child._file, child._start, child._raw = self._file, self._start, self._raw
        return child

    def line_column(self, offset: int) -> tuple[int, int]:
        if self._raw is None:
            self._raw = _raw_offsets(self._file.text or "", self._start)
        raw = self._raw
        at = raw[offset] if offset < len(raw) else (raw[-1] if raw else self._start)
        return self._file.line_column(at)


def _raw_offsets(text: str, start: int) -> list[int]:
    """For each character a JSON string at ``start`` decodes to, the offset of its escape or itself."""
    out: list[int] = []
    pos = start + 1
    n = len(text)
    while pos < n and text[pos] != '"':
        out.append(pos)
        if text[pos] == "\\":
            if pos + 1 < n and text[pos + 1] == "u":
                code = int(text[pos + 2:pos + 6] or "0", 16)
                pos += 6
                if 0xD800 <= code < 0xDC00 and text[pos:pos + 2] == "\\u":
                    pos += 6  # a surrogate pair is one character
                continue
            pos += 2
            continue
        pos += 1
    return out


def _decode(token: str) -> str:
    if "\\" not in token:
        return token[1:-1]
    try:
        return str(json.loads(token))
    except ValueError:
        return token[1:-1]


class _JsonIndex:
    """Offsets of every value and key of a JSON text, and its repeated keys.

    An iterative scan (no recursion, so any depth), tolerant of malformed text:
    it stops where the text stops making sense and keeps what it found.
    """

    __slots__ = ("duplicates", "keys", "values")

    def __init__(self, text: str) -> None:
        self.values: dict[Path, int] = {}
        self.keys: dict[Path, int] = {}
        self.duplicates: list[tuple[Path, int]] = []
        self._scan(text)

    def _scan(self, text: str) -> None:  # noqa: C901 - one state machine reads best whole
        n = len(text)
        # Frames: [is_object, path, next index, keys seen]
        stack: list[list[Any]] = []
        path: Path = ()
        state = "value"
        pos = 0
        while True:
            pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
            if pos >= n:
                return
            c = text[pos]
            if state == "value":
                self.values[path] = pos
                if c == "{":
                    stack.append([True, path, 0, set()])
                    state = "key-or-end"
                    pos += 1
                elif c == "[":
                    stack.append([False, path, 0, None])
                    state = "value-or-end"
                    pos += 1
                else:
                    m = (_STRING if c == '"' else _SCALAR).match(text, pos)
                    if m is None:
                        return
                    pos = m.end()
                    state = "after-value"
            elif state in ("key-or-end", "key"):
                if c == "}" and state == "key-or-end":
                    stack.pop()
                    pos += 1
                    state = "after-value"
                    continue
                m = _STRING.match(text, pos)
                if m is None:
                    return
                frame = stack[-1]
                name = _decode(m.group())
                path = frame[1] + (name,)
                if name in frame[3]:
                    self.duplicates.append((path, pos))
                else:
                    frame[3].add(name)
                    self.keys[path] = pos
                pos = _SPACE.match(text, m.end()).end()  # type: ignore[union-attr]
                if pos >= n or text[pos] != ":":
                    return
                pos += 1
                state = "value"
            elif state == "value-or-end":
                if c == "]":
                    stack.pop()
                    pos += 1
                    state = "after-value"
                else:
                    path = stack[-1][1] + (0,)
                    state = "value"
            else:  # after a value
                if not stack:
                    return
                frame = stack[-1]
                if c == ",":
                    pos += 1
                    if frame[0]:
                        state = "key"
                    else:
                        frame[2] += 1
                        path = frame[1] + (frame[2],)
                        state = "value"
                elif c in "}]":
                    stack.pop()
                    pos += 1
                else:
                    return
