"""Deliberately naive reference implementations of the matcher core.

They share no code and no algorithm with ``qiam._match`` / ``qiam._match_py``:
globs become regular expressions handed to ``re.fullmatch`` (backtracking, so keep
inputs short), ARN patterns are tokenised and split by hand, and the JSON member
count is a plain character loop. Speed is irrelevant here; obviousness is the point.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

# One pattern token: a backslash with the character it escapes, or any single
# character (so a trailing lone backslash is a token of its own, a literal).
_TOKEN = re.compile(r"\\.|.", re.DOTALL)


def tokens(pattern: str) -> list[str]:
    """Split a pattern into tokens: ``\\x`` pairs, ``*``, ``?`` and single characters."""
    found = _TOKEN.findall(pattern)
    assert "".join(found) == pattern
    return found


def glob_regex(pattern: str) -> str:
    """The regular expression equivalent to a glob pattern."""
    out = []
    for token in tokens(pattern):
        if token == "*":
            if out and out[-1] == ".*":
                continue  # "**" is "*"; repeated ".*" only makes the regex backtrack more
            out.append(".*")
        elif token == "?":
            out.append(".")
        elif len(token) == 2:  # \x: x literally
            out.append(re.escape(token[1]))
        else:  # any other character, a trailing lone backslash included
            out.append(re.escape(token))
    return "".join(out)


def glob(pattern: str, text: str, fold_case: bool = False) -> bool:
    """Whether the whole of ``text`` matches ``pattern`` (``*``, ``?``, ``\\`` escapes)."""
    if fold_case:
        pattern, text = pattern.lower(), text.lower()
    return re.fullmatch(glob_regex(pattern), text, re.DOTALL) is not None


def arn_fields(pattern: str) -> list[str]:
    """Split an ARN pattern at unescaped colons into at most six fields."""
    fields = [""]
    for token in tokens(pattern):
        if token == ":" and len(fields) < 6:
            fields.append("")
        else:
            fields[-1] += token
    return fields


def arn_match(pattern: str, text: str) -> bool:
    """Whether the ARN pattern matches ``text``, field by field, case-sensitively."""
    if pattern != "" and set(pattern) == {"*"}:
        return True
    pattern_fields = arn_fields(pattern)
    text_fields = text.split(":", 5)
    if len(pattern_fields) != 6 or len(text_fields) != 6:
        return False
    return all(glob(p, t) for p, t in zip(pattern_fields, text_fields, strict=True))


def first_index(predicate_results: Iterable[bool]) -> int:
    """Position of the first true value, or -1."""
    for index, result in enumerate(predicate_results):
        if result:
            return index
    return -1


def ip_contains(blocks: Iterable[tuple[int, int, int]], version: int, address: int) -> bool:
    """Whether some block of the same IP version holds ``address``, by ``ipaddress``."""
    if version == 4:
        if not 0 <= address < 2**32:
            return False
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv4Address(address)
    elif version == 6:
        if not 0 <= address < 2**128:
            return False
        ip = ipaddress.IPv6Address(address)
    else:
        return False
    for block_version, network, prefix in blocks:
        if block_version != version:
            continue
        net: ipaddress.IPv4Network | ipaddress.IPv6Network
        if block_version == 4:
            net = ipaddress.IPv4Network((network, prefix), strict=False)
        else:
            net = ipaddress.IPv6Network((network, prefix), strict=False)
        if ip in net:
            return True
    return False


def _outside_strings(text: str | bytes) -> list[str]:
    """The characters outside JSON strings, found by walking the text one character at a time."""
    chars = [chr(b) for b in text] if isinstance(text, bytes) else list(text)
    outside = []
    in_string = False
    skip_next = False
    for char in chars:
        if skip_next:
            skip_next = False
        elif in_string:
            if char == "\\":
                skip_next = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        else:
            outside.append(char)
    return outside


def member_count(text: str | bytes) -> int:
    """Colons outside JSON strings."""
    return _outside_strings(text).count(":")


def whitespace_count(text: str | bytes) -> int:
    """JSON whitespace outside JSON strings."""
    return sum(char in " \t\n\r" for char in _outside_strings(text))


def dict_members(value: object) -> int:
    """Total number of members of all the dicts nested in ``value``."""
    if isinstance(value, dict):
        return len(value) + sum(dict_members(v) for v in value.values())
    if isinstance(value, list):
        return sum(dict_members(v) for v in value)
    return 0
