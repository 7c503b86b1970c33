"""Pure-Python twin of the compiled matcher core ``qiam._match``.

This module is the readable specification of the core: ``_match.pyx`` must give
the same answer, and raise the same exception with the same text, for every
input. Both know nothing of JSON, IAM policies or decisions: they match
pre-compiled patterns against strings.

Pattern syntax, shared by every matcher here: ``*`` matches any run of
characters (the empty run included), ``?`` matches exactly one character and
``\\`` makes the next character literal (``\\*``, ``\\?``, ``\\\\``). IAM has no
escape character; ``qiam.compile`` escapes backslashes of policy text and uses
the escape to keep ``${*}`` and substituted variable values literal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from qiam._immutable import Immutable as _Immutable

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


def _type_error(name: str, expected: str, value: object) -> TypeError:
    # Same text as Cython's argument type check, so both twins fail alike.
    return TypeError(
        f"Argument '{name}' has incorrect type (expected {expected}, got {type(value).__name__})"
    )


def _require_str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise _type_error(name, "str", value)
    return value


def _str_tuple(name: str, values: object) -> tuple[str, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"`{name}` must be an iterable of str, got {type(values).__name__}")
    items = tuple(values)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"`{name}` must hold only str, got {type(item).__name__}")
    return items


def escape(text: str) -> str:
    """Return ``text`` as a pattern that matches exactly ``text``.

    Every ``*``, ``?`` and ``\\`` is preceded by a backslash, so substituted
    policy-variable values stay literal.
    """
    _require_str("text", text)
    if "\\" not in text and "*" not in text and "?" not in text:
        return text
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


# A parsed pattern is a list of segments split at unescaped stars; each segment is
# a tuple of code points, with -1 standing for ``?``.
_ANY_ONE = -1


def _parse(pattern: str) -> tuple[list[tuple[int, ...]], bool]:
    segments: list[tuple[int, ...]] = []
    current: list[int] = []
    has_star = False
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            current.append(ord(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            has_star = True
            segments.append(tuple(current))
            current = []
        elif c == "?":
            current.append(_ANY_ONE)
        else:
            current.append(ord(c))
        i += 1
    segments.append(tuple(current))
    return segments, has_star


class _Segment:
    """One run of pattern characters between stars.

    A segment with ``?`` is found in time linear in the text. When it is
    mostly ``?`` (no more literal characters than 64-bit words of its
    positions), the runs of ``?`` are fixed-width gaps: its longest literal
    piece is searched for as a string, and each place found costs one
    comparison per other literal character. Otherwise by a regular
    expression where trying every alignment is cheap (segment length times
    text length at most ``_REGEX_WORK``), and else by a bit-parallel NFA
    (shift-and: one step per text character).
    """

    __slots__ = ("anchor", "anchor_offset", "checks", "last", "length", "literal", "masks", "regex", "wild")

    def __init__(self, points: tuple[int, ...]) -> None:
        self.length = len(points)
        self.literal: str | None
        self.regex: re.Pattern[str] | None
        self.anchor: str | None = None
        if _ANY_ONE in points:
            self.literal = None
            self.regex = re.compile(
                "".join("." if p == _ANY_ONE else re.escape(chr(p)) for p in points), re.DOTALL
            )
            # Bit k of a character's mask: the character may stand at position k (`?` takes any).
            self.wild = sum(1 << k for k, p in enumerate(points) if p == _ANY_ONE)
            self.masks: dict[str, int] = {}
            for k, p in enumerate(points):
                if p != _ANY_ONE:
                    self.masks[chr(p)] = self.masks.get(chr(p), self.wild) | 1 << k
            self.last = 1 << (self.length - 1)
            pieces = _pieces(points)
            literals = sum(len(piece) for _, piece in pieces)
            if literals and literals <= (self.length + 63) // 64:
                self.anchor_offset, self.anchor = max(pieces, key=lambda found: (len(found[1]), -found[0]))
                self.checks = [(k, chr(p)) for k, p in enumerate(points) if p != _ANY_ONE and not
                               self.anchor_offset <= k < self.anchor_offset + len(self.anchor)]
        else:
            self.literal = "".join(map(chr, points))
            self.regex = None

    def at(self, text: str, pos: int) -> bool:
        if self.literal is not None:
            return text.startswith(self.literal, pos)
        assert self.regex is not None
        return self.regex.match(text, pos) is not None

    def find(self, text: str, start: int, end: int) -> int:
        if self.literal is not None:
            return text.find(self.literal, start, end)
        assert self.regex is not None
        if self.anchor is not None:
            last = end - self.length
            at = start + self.anchor_offset
            while last >= start:
                at = text.find(self.anchor, at, last + self.anchor_offset + len(self.anchor))
                if at < 0:
                    return -1
                placed = at - self.anchor_offset
                if all(text[placed + k] == c for k, c in self.checks):
                    return placed
                at += 1
            return -1
        if self.length * (end - start) <= _REGEX_WORK:
            found = self.regex.search(text, start, end)
            return -1 if found is None else found.start()
        masks, wild, last_bit, state = self.masks, self.wild, self.last, 0
        for i in range(start, end):
            state = ((state << 1) | 1) & masks.get(text[i], wild)
            if state & last_bit:
                return i - self.length + 1
        return -1


def _pieces(points: tuple[int, ...]) -> list[tuple[int, str]]:
    """The runs of literal characters of a segment, with where each starts."""
    found: list[tuple[int, str]] = []
    run: list[str] = []
    for k, p in enumerate([*points, _ANY_ONE]):
        if p == _ANY_ONE:
            if run:
                found.append((k - len(run), "".join(run)))
            run = []
        else:
            run.append(chr(p))
    return found


_REGEX_WORK = 1 << 16  # alignments times segment length a regular expression may try


class Glob(_Immutable):
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

    __slots__ = ("_fold_case", "_first", "_has_star", "_last", "_middle", "_pattern")

    def __init__(self, pattern: str, *, fold_case: bool = False) -> None:
        _require_str("pattern", pattern)
        self._pattern = pattern
        self._fold_case = bool(fold_case)
        segments, self._has_star = _parse(pattern.lower() if self._fold_case else pattern)
        self._first = _Segment(segments[0])
        self._last = _Segment(segments[-1])
        self._middle = tuple(_Segment(s) for s in segments[1:-1] if s)

    @property
    def pattern(self) -> str:
        """The pattern as given."""
        return self._pattern

    @property
    def fold_case(self) -> bool:
        """Whether matching ignores case."""
        return self._fold_case

    def __repr__(self) -> str:
        return f"Glob({self._pattern!r}, fold_case={self._fold_case})"

    def matches(self, text: str) -> bool:
        """Return whether the whole of ``text`` matches the pattern."""
        _require_str("text", text)
        return self._matches_folded(text.lower() if self._fold_case else text)

    def _matches_folded(self, text: str) -> bool:
        n = len(text)
        first, last = self._first, self._last
        if not self._has_star:
            return first.length == n and first.at(text, 0)
        if first.length + last.length > n:
            return False
        end = n - last.length
        if not first.at(text, 0) or not last.at(text, end):
            return False
        pos = first.length
        for segment in self._middle:
            found = segment.find(text, pos, end)
            if found < 0:
                return False
            pos = found + segment.length
        return True


def _shape(pattern: str) -> str:
    """``literal``, ``prefix`` (text then one trailing star), ``all`` (stars only) or ``general``."""
    if "?" in pattern or "\\" in pattern:
        return "general"
    stars = pattern.count("*")
    if stars == 0:
        return "literal"
    if stars == len(pattern):
        return "all"
    if stars == 1 and pattern.endswith("*"):
        return "prefix"
    return "general"


def _prefix_table(prefixes: Iterable[str]) -> tuple[tuple[int, frozenset[str]], ...]:
    """(length, the prefixes of that length) by ascending length: a text matches some prefix
    when its first ``length`` characters are in that length's set."""
    by_length: dict[int, set[str]] = {}
    for prefix in prefixes:
        by_length.setdefault(len(prefix), set()).add(prefix)
    return tuple((length, frozenset(by_length[length])) for length in sorted(by_length))


class GlobSet(_Immutable):
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

    __slots__ = ("_exact", "_fold_case", "_general", "_globs", "_match_all", "_patterns", "_prefix_table")

    def __init__(self, patterns: Iterable[str], *, fold_case: bool = False) -> None:
        self._patterns = _str_tuple("patterns", patterns)
        self._fold_case = bool(fold_case)
        self._globs: tuple[Glob, ...] | None = None  # for first_match, built on first use
        exact: set[str] = set()
        prefixes: list[str] = []
        general: list[Glob] = []
        match_all = False
        for pattern in self._patterns:
            folded = pattern.lower() if self._fold_case else pattern
            shape = _shape(folded)
            if shape == "literal":
                exact.add(folded)
            elif shape == "prefix":
                prefixes.append(folded[:-1])
            elif shape == "all":
                match_all = True
            else:
                general.append(Glob(folded))
        self._match_all = match_all
        self._exact = frozenset(exact)
        self._prefix_table = _prefix_table(prefixes)
        self._general = tuple(general)

    @property
    def patterns(self) -> tuple[str, ...]:
        """The patterns as given."""
        return self._patterns

    @property
    def fold_case(self) -> bool:
        """Whether matching ignores case."""
        return self._fold_case

    def __len__(self) -> int:
        return len(self._patterns)

    def __repr__(self) -> str:
        return f"GlobSet({list(self._patterns)!r}, fold_case={self._fold_case})"

    def matches_any(self, text: str) -> bool:
        """Return whether any pattern matches ``text``."""
        _require_str("text", text)
        return self._matches_folded(text.lower() if self._fold_case else text)

    def _matches_folded(self, text: str) -> bool:
        if self._match_all or text in self._exact:
            return True
        n = len(text)
        for length, prefixes in self._prefix_table:
            if length > n:
                break
            if text[:length] in prefixes:
                return True
        for glob in self._general:
            if glob._matches_folded(text):
                return True
        return False

    def first_match(self, text: str) -> int:
        """Return the position of the first pattern that matches ``text``, or -1."""
        _require_str("text", text)
        folded = text.lower() if self._fold_case else text
        globs = self._globs
        if globs is None:
            globs = tuple(Glob(p, fold_case=self._fold_case) for p in self._patterns)
            object.__setattr__(self, "_globs", globs)  # (a cache, made once)
        for index, glob in enumerate(globs):
            if glob._matches_folded(folded):
                return index
        return -1

    def any_of(self, values: Iterable[str]) -> bool:
        """Return whether some value is matched by some pattern (``ForAnyValue:``)."""
        for value in _str_tuple("values", values):
            if self._matches_folded(value.lower() if self._fold_case else value):
                return True
        return False

    def all_of(self, values: Iterable[str]) -> bool:
        """Return whether every value is matched by some pattern (``ForAllValues:``)."""
        for value in _str_tuple("values", values):
            if not self._matches_folded(value.lower() if self._fold_case else value):
                return False
        return True


def _split_fields(pattern: str) -> list[str]:
    """Split a pattern at unescaped colons into at most six fields."""
    fields: list[str] = []
    start, i, n = 0, 0, len(pattern)
    while i < n and len(fields) < 5:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == ":":
            fields.append(pattern[start:i])
            start = i + 1
        i += 1
    fields.append(pattern[start:])
    return fields


def _is_all_stars(pattern: str) -> bool:
    return pattern != "" and pattern.strip("*") == ""


class ArnPatternSet(_Immutable):
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

    __slots__ = ("_compiled", "_fielded", "_match_all", "_patterns", "_whole")

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns = _str_tuple("patterns", patterns)
        compiled: list[tuple[Glob, ...] | None] = []
        whole: list[str] = []
        fielded: list[tuple[Glob, ...]] = []
        match_all = False
        for pattern in self._patterns:
            fields = _split_fields(pattern)
            if len(fields) == 1 and _is_all_stars(fields[0]):
                match_all = True
                compiled.append(None)
                continue
            globs = tuple(Glob(f) for f in fields) if len(fields) == 6 else ()
            compiled.append(globs)
            if len(fields) == 6 and all(_shape(f) == "literal" for f in fields[:5]):
                # With literal first fields, the text's first five colons sit where the
                # pattern's do, so matching the whole text is matching field by field.
                whole.append(pattern)
            elif globs:
                fielded.append(globs)
        self._match_all = match_all
        self._compiled = tuple(compiled)  # per pattern, in order, for first_match
        self._whole = GlobSet(whole)
        self._fielded = tuple(fielded)

    @property
    def patterns(self) -> tuple[str, ...]:
        """The patterns as given."""
        return self._patterns

    def __len__(self) -> int:
        return len(self._patterns)

    def __repr__(self) -> str:
        return f"ArnPatternSet({list(self._patterns)!r})"

    @staticmethod
    def _one(compiled: tuple[Glob, ...] | None, fields: list[str]) -> bool:
        if compiled is None:
            return True
        if not compiled or len(fields) != 6:
            return False
        for glob, field in zip(compiled, fields, strict=False):
            if not glob._matches_folded(field):
                return False
        return True

    def matches_any(self, arn: str) -> bool:
        """Return whether any pattern matches ``arn``."""
        _require_str("arn", arn)
        if self._match_all or self._whole.matches_any(arn):
            return True
        fields = arn.split(":", 5)
        if len(fields) != 6:
            return False
        for compiled in self._fielded:
            if self._one(compiled, fields):
                return True
        return False

    def first_match(self, arn: str) -> int:
        """Return the position of the first pattern that matches ``arn``, or -1."""
        _require_str("arn", arn)
        fields = arn.split(":", 5)
        for index, compiled in enumerate(self._compiled):
            if self._one(compiled, fields):
                return index
        return -1

    def any_of(self, values: Iterable[str]) -> bool:
        """Return whether some value is matched by some pattern (``ForAnyValue:``)."""
        for value in _str_tuple("values", values):
            if self.matches_any(value):
                return True
        return False

    def all_of(self, values: Iterable[str]) -> bool:
        """Return whether every value is matched by some pattern (``ForAllValues:``)."""
        for value in _str_tuple("values", values):
            if not self.matches_any(value):
                return False
        return True


class IpNetworkSet(_Immutable):
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

    __slots__ = ("_blocks",)

    def __init__(self, blocks: Iterable[tuple[int, int, int]]) -> None:
        checked: list[tuple[int, int, int]] = []
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

    def __len__(self) -> int:
        return len(self._blocks)

    def contains(self, version: int, address: int) -> bool:
        """Return whether some block of the same IP version holds ``address``."""
        if not isinstance(version, int) or not isinstance(address, int):
            raise TypeError("`version` and `address` must be int")
        for block_version, network, mask in self._blocks:
            if block_version == version and address & mask == network:
                return True
        return False


def json_member_count(data: bytes | str) -> int:
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
    return _outside_strings(data).count(":")


def json_whitespace_count(data: bytes | str) -> int:
    """Count the JSON whitespace (space, tab, line feed, carriage return) outside strings.

    What a size quota that does not count whitespace leaves out. Strings are
    found as ``json_member_count`` finds them.

    Examples
    --------
    >>> json_whitespace_count(b'{"a b": [1, 2]}')
    2
    """
    outside = _outside_strings(data)
    return sum(outside.count(blank) for blank in " \t\n\r")


# A string as a scan takes it: from a quote to the next unescaped quote (or the end of
# the text), a backslash always taking the next character with it.
_STRINGS = re.compile(r'"[^"\\]*(?:\\(?:.|\Z)[^"\\]*)*(?:"|\Z)', re.DOTALL)


def _outside_strings(data: bytes | str) -> str:
    """The text of ``data`` with its JSON strings taken out."""
    if isinstance(data, str):
        text = data
    elif isinstance(data, bytes):
        text = data.decode("latin-1")  # quotes, backslashes, colons and blanks are ASCII in UTF-8
    else:
        raise TypeError(f"`data` must be bytes or str, got {type(data).__name__}")
    return _STRINGS.sub("", text)


def decoded_member_count(value: object) -> int:
    """Count the members of all objects (dicts) in a decoded JSON value.

    The counterpart of ``json_member_count``: equal counts mean no key of the
    text was lost when it was decoded. Lists and dicts are walked without
    recursion, so depth costs no stack.

    Examples
    --------
    >>> decoded_member_count({"a": "x:y", "b": {"c": [1, {"d": 2}]}})
    4
    """
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            count += len(item)
            stack.extend(v for v in item.values() if type(v) is dict or type(v) is list)
        elif type(item) is list:
            stack.extend(v for v in item if type(v) is dict or type(v) is list)
    return count
