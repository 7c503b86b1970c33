"""The JSON layer of qiam's policy readers, held to JSONTestSuite (tests/data/jsontestsuite).

qiam reads a policy's text on two paths: ``qiam.parse_policy`` (UTF-8, then orjson,
then the repeated-key check), and the compiler's document reader
(``Compiler.compile`` on bytes: ``qiam._front.compile_document``, whose compiled twin
scans the usual policy text itself, checking the JSON as it goes, and leaves any other
text to ``parse_policy``). Each file of the suite is read by ``parse_policy`` and by
the document reader of every engine, as it is and set into a policy (at each place the
compiled scanner reads JSON itself: the Statement value, a statement, Action,
Resource, Sid, Effect, a Condition block and a condition value, the Version, and
after the document).

- ``y_`` (valid JSON): no reader raises anything but a ``QiamError``, and never a
  JSON syntax error (a document that is no policy gets a validation error: fine).
- ``n_`` (not JSON): every reader raises a coded syntax error.
- ``i_`` (either): every reader accepts exactly when ``orjson.loads`` does.
- Set into a policy, every file: every reader accepts exactly when ``orjson.loads``
  accepts the whole text, and then gives ``duplicate-key`` exactly when the text
  repeats a key (what ``parse_policy`` checks after orjson).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from qiam._impl import using
from qiam.compile import Compiler
from qiam.errors import PolicySyntaxError, QiamError
from qiam.parse import parse_policy
from qiam.validate import validate_policy

from .conftest import ENGINES

SUITE = Path(__file__).parent / "data" / "jsontestsuite"
FILES = sorted(p.name for p in SUITE.glob("[yni]_*.json"))

# The codes of text that does not read as JSON: not UTF-8, not JSON, nested deeper than orjson reads.
SYNTAX_CODES = frozenset({"json-syntax", "invalid-utf8", "nesting-too-deep"})

# Files that show a qiam bug: name -> reason (xfail, strict). None at present.
KNOWN_BUGS: dict[str, str] = {}


class FullCompiler(Compiler):
    """The reference compiler: the whole policy validated, then compiled (no document reader)."""

    __slots__ = ()
    _front_end = False


def _params(names: list[str]) -> list[Any]:
    return [pytest.param(name, marks=pytest.mark.xfail(reason=KNOWN_BUGS[name], strict=True))
            if name in KNOWN_BUGS else name for name in names]


def readers(data: bytes) -> dict[str, Any]:
    """What each reader makes of the text: ``("read", ...)`` or ``("error", code)``; anything but a
    QiamError propagates."""
    out: dict[str, Any] = {}
    try:
        policy = parse_policy(data, name="suite.json")
    except QiamError as exc:
        out["parse_policy"] = ("error", exc.code, exc)
    else:
        validate_policy(policy)  # never raises
        out["parse_policy"] = ("read", None, None)
    for engine in ENGINES:
        with using(engine):
            for label, compiler in (("document reader", Compiler), ("validate then compile", FullCompiler)):
                try:
                    compiler().compile(data, name="suite.json")
                except QiamError as exc:
                    out[f"{engine}, {label}"] = ("error", exc.code, exc)
                else:
                    out[f"{engine}, {label}"] = ("read", None, None)
    return out


def accepted(outcome: tuple[Any, ...]) -> bool:
    """Whether a reader took the text for JSON (whatever it then made of it as a policy)."""
    return outcome[0] == "read" or outcome[1] not in SYNTAX_CODES


def orjson_reads(data: bytes) -> bool:
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    return True


@pytest.mark.parametrize("name", _params([n for n in FILES if n.startswith("y_")]))
def test_valid_json_is_never_a_syntax_error(name: str) -> None:
    for reader, outcome in readers((SUITE / name).read_bytes()).items():
        assert accepted(outcome), f"{reader}: {outcome[1]}: {outcome[2]}"


@pytest.mark.parametrize("name", _params([n for n in FILES if n.startswith("n_")]))
def test_invalid_json_is_a_coded_syntax_error(name: str) -> None:
    data = (SUITE / name).read_bytes()
    try:
        data.decode("utf-8")
        expected = {"json-syntax", "nesting-too-deep"}
    except UnicodeDecodeError:
        expected = {"invalid-utf8"}
    for reader, (kind, code, exc) in readers(data).items():
        assert kind == "error" and code in expected, f"{reader}: {kind} {code}, not {sorted(expected)}"
        assert isinstance(exc, PolicySyntaxError)
        found = exc.to_dict()  # a coded error says where: line and column
        assert found["line"] is not None and found["column"] is not None, (reader, found)


@pytest.mark.parametrize("name", _params([n for n in FILES if n.startswith("i_")]))
def test_implementation_defined_json_is_read_as_orjson_reads_it(name: str) -> None:
    data = (SUITE / name).read_bytes()
    expected = orjson_reads(data)
    for reader, outcome in readers(data).items():
        assert accepted(outcome) == expected, f"{reader}: {outcome[1]}, orjson {'reads' if expected else 'refuses'}"


STATEMENT = b'{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}'
PLACES = {
    "statement": b'{"Version":"2012-10-17","Statement":%s}',
    "statements": b'{"Version":"2012-10-17","Statement":[' + STATEMENT + b",%s]}",
    "action": b'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":%s,"Resource":"*"}]}',
    "resource": b'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":%s}]}',
    "sid": b'{"Version":"2012-10-17","Statement":{"Sid":%s,"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}',
    "effect": b'{"Version":"2012-10-17","Statement":{"Effect":%s,"Action":"s3:GetObject","Resource":"*"}}',
    "condition": b'{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",'
                 b'"Condition":%s}}',
    "condition value": b'{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject",'
                       b'"Resource":"*","Condition":{"StringEquals":{"aws:username":%s}}}}',
    "version": b'{"Version":%s,"Statement":' + STATEMENT + b"}",
    "after the document": b'{"Version":"2012-10-17","Statement":' + STATEMENT + b"}%s",
}


def repeats_a_key(data: bytes) -> bool:
    """Whether a text orjson reads holds a key twice in one object (orjson keeps the last one), found by
    the standard library's reader, apart from qiam's own count."""
    repeated = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        repeated = repeated or len({key for key, _ in items}) != len(items)
        return dict(items)

    json.loads(data.decode("utf-8"), object_pairs_hook=pairs)
    return repeated


@pytest.mark.parametrize("name", _params(FILES))
def test_set_into_a_policy_every_reader_reads_the_json_as_orjson_does(name: str) -> None:
    content = (SUITE / name).read_bytes()
    wrong = []
    for place, template in PLACES.items():
        data = template.replace(b"%s", content)
        reads = orjson_reads(data)
        duplicate = reads and repeats_a_key(data)
        for reader, outcome in readers(data).items():
            if accepted(outcome) != reads or (reads and (outcome[1] == "duplicate-key") != duplicate):
                wrong.append(f"{place}: {reader}: {outcome[1] or 'read'}, where orjson "
                             f"{'reads it' + (' (a repeated key)' if duplicate else '') if reads else 'refuses it'}")
    assert not wrong, "\n".join(wrong)
