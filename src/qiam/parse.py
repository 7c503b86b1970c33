"""text | bytes | dict → model.Policy. Reads JSON with orjson; raises PolicySyntaxError.

Only what stops reading is an exception here: bytes that are not UTF-8, text
that is not JSON, nesting deeper than orjson reads (1,024 levels), a document
that is not an object, and a repeated key. Everything else about the shape of
a policy is for ``validate`` to report.

orjson keeps the last of two equal keys without a word. Rather than give up
its speed for a hook, the members it kept are counted and compared with the
members the text holds (one per colon outside a string, counted by the core);
only a mismatch pays for a scan that finds the repeated key and its place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from qiam import findings
from qiam._impl import current
from qiam._source import Source
from qiam.errors import Location, PolicySyntaxError
from qiam.model import Policy

PolicyInput = str | bytes | Mapping[str, object] | Policy


def parse_policy(document: PolicyInput, *, name: str | None = None, origin: tuple[int, int] = (0, 0)) -> Policy:
    """Read a policy document.

    Parameters
    ----------
    document : str, bytes, Mapping or Policy
        The policy's JSON text (bytes must be UTF-8), an already-decoded JSON
        object, or a ``Policy`` (returned as is).
    name : str, optional
        What to call the policy in messages (a file name, a library name).
    origin : (int, int)
        Lines and columns before the text, when it is a piece of a larger file:
        positions are given in that file.

    Returns
    -------
    Policy

    Raises
    ------
    PolicySyntaxError
        The text is not UTF-8 or not JSON, nests too deeply, is not an object, or
        repeats a key (``code`` says which; the location has line and column).

    Examples
    --------
    >>> policy = parse_policy('{"Version": "2012-10-17", "Statement": {"Effect": "Allow",'
    ...                       ' "Action": "s3:GetObject", "Resource": "*"}}')
    >>> len(policy.statements)
    1
    >>> parse_policy('{"Statement": [], "Statement": []}')
    Traceback (most recent call last):
    ...
    qiam.errors.PolicySyntaxError: <policy>:1:19: duplicate key `Statement`
    """
    if isinstance(document, Policy):
        return document
    if isinstance(document, Mapping):
        source = Source(name, document=document)
        _check_json_shape(document, source)
        return Policy(document, source)
    if isinstance(document, str):
        text = document
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise PolicySyntaxError(
                "the text holds a lone surrogate, which is not a character",
                code="invalid-utf8",
                location=Location(Source(name, text), offset=exc.start),
                hint="the text was probably decoded from bytes that are not UTF-8",
            ) from None
    elif isinstance(document, (bytes, bytearray, memoryview)):
        data = bytes(document)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            before = data[: exc.start].decode("utf-8", errors="replace")
            raise PolicySyntaxError(
                f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid UTF-8",
                code="invalid-utf8",
                location=Location(Source(name, before), offset=len(before)),
                hint="save the policy as UTF-8",
            ) from None
    else:
        raise TypeError(f"a policy is text, bytes or a mapping, not {type(document).__name__}")

    source = Source(name, text, origin=origin)
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise _syntax_error(exc, data, source) from None
    if not isinstance(raw, dict):
        raise PolicySyntaxError(
            f"a policy is a JSON object, not {findings.json_type_name(raw)}",
            code="not-an-object",
            location=Location(source, ()),
            hint='write the policy as {"Version": "2012-10-17", "Statement": [...]}',
        )
    if current().match.json_member_count(data) != current().match.decoded_member_count(raw):
        duplicates = source.duplicates()
        path, offset = duplicates[0] if duplicates else ((), 0)
        raise PolicySyntaxError(
            f"duplicate key `{path[-1] if path else '?'}`",
            code="duplicate-key",
            location=Location(source, path, key=True, offset=offset),
            hint="JSON readers keep only one of the values, silently; write each key once",
        )
    return Policy(raw, source)


def policy_from_json(raw: Mapping[str, object], source: Source) -> Policy:
    """A policy from an already-decoded JSON object whose text ``source`` holds."""
    return Policy(raw, source)


_MAX_DEPTH = 1024  # what orjson reads from text


def _check_json_shape(document: Mapping[str, object], source: Source) -> None:
    """A policy given as an object must be what JSON can hold, and no deeper than text may be."""
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(document, 1, ())]
    while stack:
        item, depth, path = stack.pop()
        if depth > _MAX_DEPTH:
            raise PolicySyntaxError("the object nests deeper than 1,024 levels", code="nesting-too-deep",
                                    location=Location(None, path[:8]),
                                    hint="no policy nests that deep; the input is probably not a policy")
        if isinstance(item, Mapping):
            for key, value in item.items():
                if not isinstance(key, str):
                    raise PolicySyntaxError(f"key `{key!r}` is not a string", code="not-json",
                                            location=Location(None, path), hint="JSON keys are strings")
                stack.append((value, depth + 1, path + (key,)))
        elif isinstance(item, (list, tuple)):
            stack.extend((value, depth + 1, path + (i,)) for i, value in enumerate(item))
        elif not (item is None or isinstance(item, (str, int, float, bool))):
            raise PolicySyntaxError(f"a {type(item).__name__} is not a JSON value", code="not-json",
                                    location=Location(None, path),
                                    hint="a policy holds objects, arrays, strings, numbers, booleans and null")


def _syntax_error(exc: orjson.JSONDecodeError, data: bytes, source: Source) -> PolicySyntaxError:
    # orjson counts bytes; positions are reported in characters.
    offset = len(data[: exc.pos].decode("utf-8", errors="ignore"))
    message = exc.msg
    code = "json-syntax"
    hint = "check the JSON at this position"
    if "depth limit" in message or "recursion" in message:
        code = "nesting-too-deep"
        message = "the JSON nests deeper than 1,024 levels"
        hint = "no policy nests that deep; the input is probably not a policy"
    else:
        text = source.text or ""
        before = text[:offset].rstrip()
        at = text[offset : offset + 1]
        if at == '"' and before[-1:] in ("]", "}", '"') or before[-1:].isdigit() and at == '"':
            hint = "a comma is probably missing before this member"
        elif not text.strip():
            message = "the text is empty"
            hint = "a policy is a JSON object"
        elif text.startswith("\ufeff"):
            message = "the text starts with a byte-order mark"
            hint = "save the file as UTF-8 without a byte-order mark (JSON has none)"
        message = f"invalid JSON: {message}"
    return PolicySyntaxError(message, code=code, location=Location(source, offset=offset), hint=hint)
