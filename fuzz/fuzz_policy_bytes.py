#!/usr/bin/env python3
"""Fuzz target: arbitrary bytes read as a policy document, then validated.

Rules: reading (``qiam.parse_policy``) raises nothing but qiam's own coded errors
(``QiamError``), and the error renders (``to_dict``, ``str``); the validator (as an
identity policy and as one other kind, by the input's checksum) never raises, and its
findings render. The same input read as bytes and as text (decoded
with ``surrogateescape``, as the command line gets its arguments) gives the same
code; a document that reads, read again as its decoded JSON object, gives the same
findings (codes and severities). Anything else, and any crash, is a finding.

    python fuzz/fuzz_policy_bytes.py -dict=fuzz/dicts/fuzz_policy_bytes.dict fuzz/corpus/fuzz_policy_bytes
"""

from __future__ import annotations

import sys
import zlib

import _common
import atheris
import orjson

with atheris.instrument_imports(include=["qiam"]):
    _common.import_qiam()
    from qiam.errors import QiamError
    from qiam.parse import parse_policy
    from qiam.validate import validate_policy

Finding = _common.Finding
# Every input is validated as an identity policy, and as one other kind of policy, picked by its
# checksum (the profiles not named differ from these only in their quota).
OTHER_PROFILES = ("session", "resource", "role-trust", "scp", "rcp", "vpce")
# Findings about the size of the text: a decoded object is measured by its rendering, not by the text.
_SIZED = frozenset({"policy-too-large"})


def _read(document: bytes | str) -> tuple[object, ...]:
    try:
        policy = parse_policy(document, name="fuzz.json")
    except QiamError as exc:
        return _common.error_outcome(exc)[:3]
    return ("read", policy)


def _findings(policy: object, profile: str, **options: object) -> list[tuple[str, str, str]]:
    report = validate_policy(policy, profile, **options)  # type: ignore[arg-type]
    out = []
    for diagnostic in report.diagnostics:
        rendered = diagnostic.to_dict()
        str(diagnostic)
        if diagnostic.code not in _SIZED:
            out.append((diagnostic.code, diagnostic.severity.value, rendered["path"]))
    return out


def TestOneInput(data: bytes) -> None:
    read = _read(data)
    as_text = _read(data.decode("utf-8", "surrogateescape"))
    if read[0] != as_text[0] or (read[0] == "error" and read[1:] != as_text[1:]):
        raise Finding(f"bytes and text read differently: {read!r} vs {as_text!r}")
    if read[0] == "error":
        return
    policy = read[1]
    found = {profile: _findings(policy, profile)
             for profile in ("identity", OTHER_PROFILES[zlib.crc32(data) % len(OTHER_PROFILES)])}
    # The decoded object is the same document: the same findings, at the same places.
    again = _read(orjson.loads(data))
    if again[0] != "read":
        raise Finding(f"the decoded JSON of a policy does not read: {again!r}")
    # (A text's finding may point at a character of the text where an object's points at a path.)
    from_object = [finding[:2] for finding in _findings(again[1], "identity")]
    from_text = [finding[:2] for finding in found["identity"]]
    if from_object != from_text:
        raise Finding(f"text and decoded JSON validate differently:\n  text:   {from_text!r}\n"
                      f"  object: {from_object!r}")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
