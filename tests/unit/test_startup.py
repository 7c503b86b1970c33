"""Start-up loads only what a command uses, and the short cut that lets it is the grammar's own answer.

Timing is the benchmarks' (``benchmarks/bench_startup.py``); here what is checked is which modules a
command reads, which cannot drift with the machine's load.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qiam.reqlang import ExpressionError, expression_of, parse_expression

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}]})
HEAVY = ("pyparsing", "difflib", "qiam.explain", "qiam.batch", "qiam.inventory", "qiam.tasks", "yaml")


def _loaded(*argv: str) -> tuple[int, set[str]]:
    script = ("import sys\nfrom qiam.cli import main\ncode = main(sys.argv[1:])\n"
              f"print('loaded:' + ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
              "sys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, check=False)
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("loaded:"), done.stderr
    return done.returncode, set(filter(None, last.removeprefix("loaded:").split(",")))


def test_version_loads_no_command() -> None:
    code, loaded = _loaded("--version")
    assert code == 0
    assert loaded == set()


def test_check_with_action_and_resource_reads_no_grammar() -> None:
    code, loaded = _loaded("check", "-p", POLICY, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k")
    assert code == 0
    assert loaded == set()


def test_check_with_an_expression_reads_the_grammar() -> None:
    code, loaded = _loaded("check", "-p", POLICY, "s3:GetObject on arn:aws:s3:::b/k")
    assert code == 0
    assert "pyparsing" in loaded
    assert loaded <= {"pyparsing", "difflib"}  # (pyparsing reads difflib itself)


_WORDS = st.sampled_from(["s3:GetObject", "arn:aws:s3:::b/k", "*", "on", "On-x", "as", "in", "account", "with",
                          "and", "withdraw", "asx", "a=b", "[x]", "'q'", '"q"', " s3:Get", "s3:", ":x",
                          "s3:Get Object", "x,y", "in:x", "on\tx", ""])
_TEXT = st.one_of(_WORDS, st.text(alphabet="as3:*=[]'\" ,onwithd-\t/", max_size=12))


@given(action=_TEXT, resource=_TEXT)
def test_expression_of_answers_as_the_grammar(action: str, resource: str) -> None:
    """The short cut for --action/--resource gives what parsing ``ACTION on RESOURCE`` gives, error or not."""
    try:
        expected = parse_expression(f"{action} on {resource}")
    except ExpressionError as exc:
        with pytest.raises(ExpressionError) as raised:
            expression_of(action, resource)
        assert (raised.value.code, str(raised.value)) == (exc.code, str(exc))
    else:
        assert expression_of(action, resource) == expected
