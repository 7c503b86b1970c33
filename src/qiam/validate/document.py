"""The document as a whole: its elements, Version, Id, the Statement list and its Sids, its characters
and its size (semantics.md §1.1, §1.8)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qiam import findings
from qiam._impl import current
from qiam._source import Source
from qiam.errors import Diagnostic, Location, Path
from qiam.model import ABSENT, POLICY_ELEMENTS, VERSION_2008, VERSION_2012
from qiam.validate.profiles import Profile
from qiam.validate.shortcuts import escapes_may_refuse
from qiam.validate.statement import check_statement

if TYPE_CHECKING:
    from qiam.validate.checker import _Checker

_BAD_CHAR = re.compile(r"[^\t\n\r\x20-\xff]")


def check_document(checker: _Checker, *, statements: bool) -> None:
    """The policy's elements, Version and Id, its statements when ``statements``, and its text."""
    raw = checker.policy.raw
    for key in raw:
        if key not in POLICY_ELEMENTS:
            checker.add(findings.unknown_element(key, POLICY_ELEMENTS, level="policy"), (key,), key=True)
    check_version(checker, raw.get("Version", ABSENT))
    policy_id = raw.get("Id", ABSENT)
    if policy_id is not ABSENT:
        if not isinstance(policy_id, str):
            checker.add(findings.wrong_type("`Id`", "a string"), ("Id",))
        elif checker.profile.identity_like:
            checker.add(findings.id_in_identity_policy(), ("Id",), key=True)
    if statements:
        check_statements(checker, raw.get("Statement", ABSENT))
    check_text(checker)


def check_version(checker: _Checker, version: object) -> None:
    """Version: 2012-10-17 or 2008-10-17, and 2012-10-17 where the profile requires it."""
    profile = checker.profile
    if version is ABSENT:
        if profile.version_required:
            checker.add(findings.version_required(profile.name, present=False), ())
        else:
            checker.add(findings.missing_version(), ())
        return
    if not isinstance(version, str) or version not in (VERSION_2012, VERSION_2008):
        checker.add(findings.invalid_version(version), ("Version",))
    elif version == VERSION_2008 and profile.version_required:
        checker.add(findings.version_required(profile.name, present=True), ("Version",))


def check_statements(checker: _Checker, statements: object) -> None:
    """The Statement element's shape, then each statement, and their Sids unique."""
    if statements is ABSENT:
        checker.add(findings.missing_statement(), ())
        return
    if isinstance(statements, list):
        if not statements:
            checker.add(findings.empty_statement(), ("Statement",))
        for i, item in enumerate(statements):
            if not isinstance(item, Mapping):
                checker.add(findings.wrong_type("a statement", "a JSON object"), ("Statement", i))
    elif not isinstance(statements, Mapping):
        checker.add(findings.wrong_type("`Statement`", "an object or a list of objects"), ("Statement",))
    sids: dict[str, Path] = {}
    for statement in checker.policy.statements:
        check_statement(checker, statement.raw, statement.path)
        sid = statement.raw.get("Sid")
        if isinstance(sid, str) and sid:
            if sid in sids:
                checker.add(findings.duplicate_sid(sid, iam=checker.profile.iam_document), statement.path + ("Sid",))
            else:
                sids[sid] = statement.path


def check_text(checker: _Checker) -> None:
    """The text as a whole: characters IAM stores (for IAM documents), and the profile's size quota."""
    profile = checker.profile
    source = checker.source
    text = source.text or ""
    inside = bool(source.base)  # a policy inside a larger text (a template's): its size is its JSON's
    if inside:
        import orjson

        text = orjson.dumps(checker.policy.raw).decode()
    if profile.iam_document:
        bad = _first_bad_char(text if not (source.rendered or inside) else None, checker.policy.raw)
        if bad is not None:
            char, where = bad
            location = Location(source, offset=where) if isinstance(where, int) else Location(source, where)
            checker.found.append(findings.invalid_character(char).at(location))
    if profile.quota is None or len(text) <= profile.quota:
        return
    whitespace = current().match.json_whitespace_count(text)
    finding = size_finding(source, profile, len(text), whitespace, storage=checker.storage)
    if finding is not None:
        checker.found.append(finding)


def size_finding(source: Source, profile: Profile, length: int, whitespace: int, *, storage: bool = False
                 ) -> Diagnostic | None:
    """What the profile's size quota says of a policy text of ``length`` characters, ``whitespace`` of
    them JSON whitespace between tokens (which the quota may leave out; whitespace inside strings
    counts): None, or a warning (an error when checking for storing)."""
    if profile.quota is None:
        return None
    size = length if profile.quota_counts_whitespace else length - whitespace
    if size <= profile.quota:
        return None
    too_large = findings.policy_too_large(size, profile.name, profile.quota, storage=storage,
                                          counts_whitespace=profile.quota_counts_whitespace)
    return too_large.at(Location(source, ()))


def _first_bad_char(text: str | None, raw: Mapping[str, Any]) -> tuple[str, int | Path] | None:
    """The first character IAM does not store, with its offset in the text or its path."""
    if text is not None:
        if not text.isascii():
            found = _BAD_CHAR.search(text)
            if found:
                return found.group(), found.start()
        if not escapes_may_refuse(text):
            return None
    # Escapes (or a document given as an object): look at the decoded strings.
    stack: list[tuple[Path, Any]] = [((), raw)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            found = _BAD_CHAR.search(item)
            if found:
                return found.group(), path
        elif isinstance(item, Mapping):
            for key, value in item.items():
                found = _BAD_CHAR.search(key)
                if found:
                    return found.group(), path + (key,)
                stack.append((path + (key,), value))
        elif isinstance(item, list):
            stack.extend((path + (i,), v) for i, v in enumerate(item))
    return None
