"""Hostile inputs at every core entry point.

Each call must either raise TypeError or ValueError with the same text in both
twins, or return the same answer in both; it must never crash the interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from .conftest import COMPILED, TWIN, TWINS, outcome, twin_id


class StrSubclass(str):
    """A str subclass, as an ``enum.StrEnum`` member or a framework's safe string is."""


MEGABYTE = 1_000_000


def megabyte_of(unit: str) -> str:
    return (unit * (MEGABYTE // len(unit) + 1))[:MEGABYTE]


BAD_VALUES = {
    "None": None,
    "bytes": b"arn:aws:s3:::b",
    "int": 42,
    "negative-int": -1,
    "huge-int": 2**200,
    "list": ["a"],
    "1MB-plain": "a" * MEGABYTE,
    "1MB-wild": megabyte_of("x" * 994 + "ab*?:/\\"),
    "1MB-json": megabyte_of('{"k:\\"": [":", {"x": 1}]}'),
    "lone-surrogate": "\ud800",
    "surrogates-in-text": "a\udfff*\ud800:b",
    "astral": "\U0001f600\U00010000\U0010ffff",
    "empty": "",
    "str-subclass": StrSubclass("a*"),
}

ARN = "arn:aws:s3:::b/k"

ENTRY_POINTS = {
    "escape": lambda m, v: m.escape(v),
    "Glob(v).matches": lambda m, v: m.Glob(v).matches("abc"),
    "Glob(v).matches(v)": lambda m, v: m.Glob(v).matches(v),
    "Glob(v, fold).matches(v)": lambda m, v: m.Glob(v, fold_case=True).matches(v),
    "Glob(fold_case=v)": lambda m, v: m.Glob("A*", fold_case=v).matches("abc"),
    "Glob.matches": lambda m, v: m.Glob("a*b?").matches(v),
    "Glob.matches-fold": lambda m, v: m.Glob("a*?İ", fold_case=True).matches(v),
    "Glob.pattern": lambda m, v: m.Glob(v).pattern,
    "GlobSet(v)": lambda m, v: m.GlobSet(v).matches_any("a"),
    "GlobSet([v])": lambda m, v: m.GlobSet(["x", v]).first_match("abc"),
    "GlobSet([v]).matches_any(v)": lambda m, v: m.GlobSet([v], fold_case=True).matches_any(v),
    "GlobSet(fold_case=v)": lambda m, v: m.GlobSet(["A"], fold_case=v).matches_any("a"),
    "GlobSet.matches_any": lambda m, v: m.GlobSet(["a", "b*", "*c?"]).matches_any(v),
    "GlobSet.matches_any-fold": lambda m, v: m.GlobSet(["a", "*c?"], fold_case=True).matches_any(v),
    "GlobSet.first_match": lambda m, v: m.GlobSet(["a", "b*", "*c?"]).first_match(v),
    "GlobSet.any_of(v)": lambda m, v: m.GlobSet(["a*"]).any_of(v),
    "GlobSet.any_of([v])": lambda m, v: m.GlobSet(["a*"]).any_of(["x", v]),
    "GlobSet.all_of(v)": lambda m, v: m.GlobSet(["a*"]).all_of(v),
    "GlobSet.all_of([v])": lambda m, v: m.GlobSet(["*"]).all_of(["x", v]),
    "ArnPatternSet(v)": lambda m, v: m.ArnPatternSet(v).matches_any(ARN),
    "ArnPatternSet([v])": lambda m, v: m.ArnPatternSet(["arn:::::x", v]).first_match(ARN),
    "ArnPatternSet([v]).matches_any(v)": lambda m, v: m.ArnPatternSet([v]).matches_any(v),
    "ArnPatternSet.matches_any": lambda m, v: m.ArnPatternSet(["arn:*:s3:::b/*"]).matches_any(v),
    "ArnPatternSet.first_match": lambda m, v: m.ArnPatternSet(["arn:*:*:*:*:*"]).first_match(v),
    "ArnPatternSet.any_of(v)": lambda m, v: m.ArnPatternSet(["*"]).any_of(v),
    "ArnPatternSet.any_of([v])": lambda m, v: m.ArnPatternSet([ARN]).any_of(["x", v]),
    "ArnPatternSet.all_of(v)": lambda m, v: m.ArnPatternSet([ARN]).all_of(v),
    "ArnPatternSet.all_of([v])": lambda m, v: m.ArnPatternSet(["*"]).all_of([ARN, v]),
    "IpNetworkSet(v)": lambda m, v: len(m.IpNetworkSet(v)),
    "IpNetworkSet([v])": lambda m, v: len(m.IpNetworkSet([v])),
    "IpNetworkSet(version=v)": lambda m, v: len(m.IpNetworkSet([(v, 0, 0)])),
    "IpNetworkSet(network=v)": lambda m, v: m.IpNetworkSet([(4, v, 24)]).contains(4, 0),
    "IpNetworkSet(prefix=v)": lambda m, v: m.IpNetworkSet([(6, 0, v)]).contains(6, 1),
    "IpNetworkSet.contains(version=v)": lambda m, v: m.IpNetworkSet([(4, 0, 0)]).contains(v, 1),
    "IpNetworkSet.contains(address=v)": lambda m, v: m.IpNetworkSet([(4, 0, 0)]).contains(4, v),
    "json_member_count": lambda m, v: m.json_member_count(v),
}


@pytest.mark.parametrize("value_name", list(BAD_VALUES))
@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_hardening_entry_point_fails_alike_or_agrees(entry, value_name):
    value = BAD_VALUES[value_name]
    call = ENTRY_POINTS[entry]
    compiled = outcome(lambda: call(COMPILED, value))
    twin = outcome(lambda: call(TWIN, value))
    if twin[0] == "raised":
        assert twin[1] in (TypeError, ValueError), twin
    if compiled[0] == "raised":
        assert compiled[1] in (TypeError, ValueError), compiled
    assert compiled == twin


@pytest.mark.parametrize(
    ("label", "call"),
    [
        ("Glob-positional-fold_case", lambda m: m.Glob("a", True)),
        ("Glob-unknown-keyword", lambda m: m.Glob("a", fold=True)),
        ("Glob-no-pattern", lambda m: m.Glob()),
        ("Glob.matches-no-text", lambda m: m.Glob("a").matches()),
        ("Glob.matches-two-texts", lambda m: m.Glob("a").matches("a", "b")),
        ("GlobSet-positional-fold_case", lambda m: m.GlobSet(["a"], True)),
        ("ArnPatternSet-no-patterns", lambda m: m.ArnPatternSet()),
        ("IpNetworkSet.contains-one-arg", lambda m: m.IpNetworkSet([]).contains(4)),
        ("escape-no-text", lambda m: m.escape()),
        ("json_member_count-two-args", lambda m: m.json_member_count("{}", "{}")),
    ],
)
def test_hardening_wrong_arguments_raise_type_error(label, call):
    # Only the type is compared: the texts of CPython's and Cython's arity errors differ.
    for core in TWINS:
        with pytest.raises(TypeError):
            call(core)


UNINITIALISED = {
    "Glob.matches": "Glob.__new__(Glob).matches('x')",
    "Glob.pattern": "Glob.__new__(Glob).pattern",
    "Glob-subclass-skipping-init": """
        class G(Glob):
            def __init__(self):
                pass
        G().matches('abc')
    """,
    "GlobSet.matches_any": "GlobSet.__new__(GlobSet).matches_any('x')",
    "GlobSet.first_match": "GlobSet.__new__(GlobSet).first_match('x')",
    "GlobSet.all_of": "GlobSet.__new__(GlobSet).all_of(['x'])",
    "ArnPatternSet.matches_any": "ArnPatternSet.__new__(ArnPatternSet).matches_any('a:b:c:d:e:f')",
    "ArnPatternSet.first_match": "ArnPatternSet.__new__(ArnPatternSet).first_match('x')",
    "IpNetworkSet.contains": "IpNetworkSet.__new__(IpNetworkSet).contains(4, 1)",
    "Glob-reinit": "g = Glob('a*b?'); g.__init__('x'); assert g.matches('x')",
}


@pytest.mark.parametrize("core", TWINS, ids=twin_id)
@pytest.mark.parametrize("label", list(UNINITIALISED))
def test_hardening_uninitialised_object_does_not_crash(core, label):
    # Run in a child: a crash there is a failed assertion here, not a dead test run.
    body = textwrap.indent(textwrap.dedent(UNINITIALISED[label]).strip(), "    ")
    script = (
        f"from {core.__name__} import ArnPatternSet, Glob, GlobSet, IpNetworkSet\n"
        "try:\n"
        f"{body}\n"
        "except Exception as exc:\n"
        "    print('raised', type(exc).__name__)\n"
        "else:\n"
        "    print('returned')\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    child = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 0, (child.returncode, child.stderr[-2000:])
    assert child.stdout.split()[0] in ("raised", "returned")


# The worst cases of the hardening issue: a matcher that tries every alignment pays m x n here.
_WORST = [
    ("*a" + "?" * 4000 + "b*c", "a" * 400_000 + "c"),
    ("*" + "a" * 3000 + "?b*", "a" * 400_000),
    ("*" + "ab?" * 1300 + "*", "ab" * 200_000),
]


@pytest.mark.parametrize(("pattern", "text"), _WORST, ids=["gap", "literal-run", "periodic"])
def test_matching_stays_within_a_bound_of_a_linear_scan(pattern: str, text: str) -> None:
    """The compiled core on the worst cases, against a linear scan of the same text in the same run (a
    regular expression that reads every character): a ratio, not a time, so that a loaded machine
    cannot fail it, and far below what m x n work would take (over a thousand times the scan)."""
    import re
    import time

    scan = re.compile(r"[^\x00]*\x00")  # reads every character, finds nothing

    def best(call: object) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            call()  # type: ignore[operator]
            times.append(time.perf_counter() - started)
        return min(times)

    glob = COMPILED.Glob(pattern)
    assert glob.matches(text) is False
    ratio = best(lambda: glob.matches(text)) / best(lambda: scan.match(text))
    assert ratio < 200, f"{ratio:.0f}x a linear scan"
