"""The compiler's statement loop (qiam._front) is invisible: it compiles what the full path compiles.

The full path (validate the whole policy, then compile each statement) is the
reference. With the loop, every policy must give the same diagnostics, the same
error, and statements that are the same in every field, on real policies and on
policies built to sit at the edge of what the loop vouches for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qiam._front
import qiam._front_py
from qiam._impl import current, engine
from qiam.compile import CompiledPolicy, Compiler, _Tables
from qiam.errors import PolicyInvalidError, PolicySyntaxError
from qiam.validate import get_profile

from ..conftest import shared_path

FRONTS = [qiam._front, qiam._front_py]


def engine_of(module: Any) -> Any:
    """The engine whose reader ``module`` is: its tables must hold that engine's matchers."""
    return engine("cython" if module is qiam._front else "python")


class FullCompiler(Compiler):
    """The reference: every policy validated whole, then compiled statement by statement."""

    __slots__ = ()
    _front_end = False


def _values(values: Any) -> Any:
    static = getattr(values, "static", None)
    templates = getattr(values, "templates", None)
    return (type(values).__name__, _matcher(static) if static is not None else None,
            tuple(t.text for t in templates) if templates else templates,
            values if isinstance(values, tuple) else None)


def _matcher(matcher: Any) -> Any:
    if isinstance(matcher, frozenset):
        return sorted(matcher)
    patterns = getattr(matcher, "patterns", None)
    return (type(matcher).__name__, patterns, getattr(matcher, "fold_case", None))


def describe_statement(s: Any) -> tuple[Any, ...]:
    """Every field of a compiled statement, down to the patterns its matchers were built from."""
    resources = s.resources
    return (
        s.index, s.sid, s.allow, s.effect, s.not_action, s.not_resource, s.not_principal,
        None if s.principal is None else tuple(repr(getattr(s.principal, name)) for name in s.principal.__slots__),
        s.path, s.services, tuple(v.key for v in s.variables),
        _matcher(s.actions),
        None if resources is None else (resources.entries, resources.static_positions,
                                        _matcher(resources.static),
                                        tuple((i, t.text) for i, t in resources.templates)),
        tuple((c.key, c.key_text, c.null, c.negated, c.if_exists, c.set_prefix, c.operator, c.texts,
               None if c.exact is None else sorted(c.exact), _values(c.values)) for c in s.conditions),
    )


def outcome(compiler: Compiler, policy: Any, profile: str) -> Any:
    """What compiling gave: the statements and diagnostics, or the error and its diagnostics."""
    try:
        compiled = compiler.compile(policy, profile)
    except PolicyInvalidError as exc:
        return ("invalid", [(d.code, d.severity, d.location.pointer, d.message) for d in exc.diagnostics])
    except PolicySyntaxError as exc:
        return ("syntax", exc.code)
    return ("compiled", [describe_statement(s) for s in compiled.statements],
            [(d.code, d.severity, d.location.pointer, d.message) for d in compiled.diagnostics])


def vouched(policy: dict[str, Any], profile: str = "identity") -> bool:
    """Whether the loop vouches for the policy's statements (rather than leaving them to the full path)."""
    prof = get_profile(profile)
    reads_variables = policy.get("Version") == "2012-10-17"
    tables = _Tables(Compiler(), prof, reads_variables)
    return current().front.compile_statements(policy.get("Statement"), tables) is not None


MANAGED = sorted(shared_path("corpus", "aws-managed").glob("*.json"))


@pytest.mark.parametrize("profile", ["identity", "scp", "session"])
def test_the_managed_policies_compile_the_same_with_the_loop(profile: str) -> None:
    fast, full = Compiler(), FullCompiler()
    files = MANAGED if profile == "identity" else MANAGED[::7]
    for path in files:
        data = path.read_bytes()
        assert outcome(fast, data, profile) == outcome(full, data, profile), path.name


def test_the_loop_vouches_for_most_managed_policies() -> None:
    """Not a speed test: the loop must actually serve the common shape, or it is dead code."""
    import orjson

    served = sum(vouched(orjson.loads(path.read_bytes())) for path in MANAGED)
    assert served > 0.9 * len(MANAGED)


def test_the_seed_policies_compile_the_same_with_the_loop() -> None:
    folder = Path(shared_path("corpus", "seed"))
    files = sorted(p for p in folder.rglob("*.json"))
    assert files
    for path in files:
        data = path.read_bytes()
        for profile in ("identity", "iam-role-inline", "permissions-boundary"):
            assert outcome(Compiler(), data, profile) == outcome(FullCompiler(), data, profile), path.name


# ----- policies at the edge of what the loop vouches for -----

# Each element is drawn from what the validator passes, and now and then from what it does not.
ACTIONS = ["*", "s3:GetObject", "s3:Get*", "kms:GenerateDataKey*", "iam: asdf ", "EC2:Run*", "s3:Put\\*"]
ACTION_DEFECTS = ["s3GetObject", "s3:a:b", "kms:${x}", "a\nb:c", "", "s3*:x"]
RESOURCES = ["*", "arn:aws:s3:::b/*", "arn:aws:s3:::b", "arn:aws:ec2:us-east-1:111122223333:instance/*",
             "arn:aws:iam::111122223333:role/${aws:username}", "arn:aws:kms:*:*:key/k",
             "arn:aws:s3:::${aws:PrincipalTag/team}/*", "arn:aws:dynamodb:*:*:table/t", "arn:aws:sqs:*:*:q"]
RESOURCE_DEFECTS = ["arn:aws:ec2:region:123456789012:x", "arn:aws:sqs", "nocolon",
                    "arn:aws:logs:*:*:log-group:${x", "arn:aws:iam::111122223333:thing/x", None, 1]
CONDITION_VALUES = ["x", "true", "false", "${aws:username}", "a*", "arn:aws:iam::*:role/R", "10",
                    "10.0.0.0/8", "2020-01-01T00:00:00Z", ["a", "b"], ["${aws:PrincipalTag/x}"]]
CONDITION_DEFECTS = ["", "*", True, 10, None, [], ["x", 1], {"a": "b"}, "${x", "not a date"]
OPERATORS = ["StringEquals", "StringLike", "StringNotEquals", "ForAnyValue:StringEquals",
             "ForAllValues:StringLike", "Null", "Bool", "ArnLike", "ArnEquals", "NumericLessThan",
             "IpAddress", "DateGreaterThan", "StringEqualsIgnoreCase", "StringLikeIfExists", "BinaryEquals"]
OPERATOR_DEFECTS = ["Nope", "ForAnyValue:Bool", "StringEquals:", "stringequals"]
KEYS = ["aws:PrincipalTag/team", "aws:SourceIp", "aws:TagKeys", "s3:prefix", "kms:ViaService",
        "aws:SecureTransport", "aws:CurrentTime", "iam:PassedToService", "aws:RequestTag/${aws:username}"]
KEY_DEFECTS = ["nokey", "AWS:principaltag/team"]
SIDS = ["", "S1", "S2", "Sid3", "A"]
SID_DEFECTS = ["Sid-1", "Ünï", 7, None]


def mostly(good: list[Any], defects: list[Any]) -> Any:
    """A draw from ``good``, and one time in sixteen from ``defects``."""
    return st.integers(0, 15).flatmap(lambda n: st.sampled_from(defects if n == 0 else good))


def _one_or_many(strategy: Any) -> Any:
    return st.integers(0, 15).flatmap(
        lambda n: st.just([]) if n == 0 else st.one_of(strategy, st.lists(strategy, min_size=1, max_size=3)))


condition_values = st.one_of(mostly(CONDITION_VALUES, CONDITION_DEFECTS),
                             st.lists(mostly(CONDITION_VALUES, CONDITION_DEFECTS), min_size=1, max_size=2))
# Blocks the validator passes, to mix in; the random blocks mostly draw a finding.
CLEAN_CONDITIONS = [
    {"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}},
    {"StringLike": {"s3:prefix": ["home/", "home/${aws:username}/*"]}},
    {"Null": {"aws:RequestTag/team": "false"}},
    {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}},
    {"ForAllValues:StringLike": {"aws:TagKeys": "x*"}},
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/R"}},
    {"Bool": {"aws:SecureTransport": "false"}},
    {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}, "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
    {"StringEqualsIgnoreCase": {"kms:ViaService": "S3.us-east-1.amazonaws.com"}},
    {"StringNotEqualsIfExists": {"iam:PassedToService": "ec2.amazonaws.com"}},
    {"NumericLessThan": {"s3:max-keys": "10"}},
]
random_conditions = st.integers(0, 15).flatmap(
    lambda n: st.sampled_from([{}, [], "x", {"StringEquals": "x"}, {"StringEquals": {}}]) if n == 0 else
    st.dictionaries(mostly(OPERATORS, OPERATOR_DEFECTS),
                    st.dictionaries(mostly(KEYS, KEY_DEFECTS), condition_values, min_size=1, max_size=2),
                    min_size=1, max_size=2))
conditions = st.integers(0, 3).flatmap(lambda n: random_conditions if n == 0 else st.sampled_from(CLEAN_CONDITIONS))


@st.composite
def statements(draw: Any) -> Any:
    if draw(st.integers(0, 31)) == 0:
        return draw(st.sampled_from([None, "x", [], 1]))
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["Sid"] = draw(mostly(SIDS, SID_DEFECTS))
    out["Effect"] = draw(mostly(["Allow", "Deny"], ["allow", None, "Both"]))
    action = draw(mostly(["Action", "NotAction"], ["both", "none"]))
    for element in (["Action", "NotAction"] if action == "both" else [] if action == "none" else [action]):
        out[element] = draw(_one_or_many(mostly(ACTIONS, ACTION_DEFECTS)))
    resource = draw(mostly(["Resource", "NotResource"], ["both", "none"]))
    for element in (["Resource", "NotResource"] if resource == "both" else [] if resource == "none"
                    else [resource]):
        out[element] = draw(_one_or_many(mostly(RESOURCES, RESOURCE_DEFECTS)))
    if draw(st.booleans()):
        out["Condition"] = draw(conditions)
    extra = draw(mostly([None], ["Principal", "NotPrincipal", "Effects"]))
    if extra:
        out[extra] = "*"
    return out


policies = st.fixed_dictionaries(
    {"Version": st.sampled_from(["2012-10-17", "2012-10-17", "2008-10-17"]),
     "Statement": st.one_of(statements(), st.lists(statements(), min_size=0, max_size=3))},
)


@settings(max_examples=300, deadline=None)
@given(policy=policies, profile=st.sampled_from(["identity", "iam-user-inline", "scp", "session",
                                                 "permissions-boundary", "resource", "rcp"]))
def test_the_loop_changes_nothing(policy: dict[str, Any], profile: str) -> None:
    # A fresh pair of compilers per example: nothing one example left in the tables helps another.
    assert outcome(Compiler(), policy, profile) == outcome(FullCompiler(), policy, profile)


@settings(max_examples=100, deadline=None)
@given(policies=st.lists(policies, min_size=2, max_size=6))
def test_the_loop_changes_nothing_when_tables_are_shared(policies: list[dict[str, Any]]) -> None:
    # One compiler across many policies, as a bulk job runs: entries met before are reused.
    fast, full = Compiler(), FullCompiler()
    for policy in policies:
        assert outcome(fast, policy, "identity") == outcome(full, policy, "identity")


def test_a_typical_policy_is_vouched_for() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"},
        {"Effect": "Deny", "NotAction": "iam:*", "NotResource": ["arn:aws:s3:::b/*"],
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}},
    ]}
    assert vouched(policy)
    compiled = Compiler().compile(policy)
    assert isinstance(compiled, CompiledPolicy) and [s.variables[0].key for s in compiled.statements[1:]] == \
        ["aws:username"]


@pytest.mark.parametrize("statement", [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Principal": "*"},  # an element it does not serve
    {"Effect": "allow", "Action": "s3:*", "Resource": "*"},
    {"Effect": "Allow", "Action": "s3GetObject", "Resource": "*"},  # the validator has something to say
    {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b", "Sid": "a-b"},
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": 1.5}}},
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {}},
    {"Effect": "Allow", "Action": [], "Resource": "*"},
])
def test_the_loop_leaves_what_it_cannot_vouch_for(statement: dict[str, Any]) -> None:
    assert not vouched({"Version": "2012-10-17", "Statement": [statement]})


def test_json_true_and_numbers_are_read_as_their_text() -> None:
    def compiled(value: Any) -> Any:
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": value}}}]}
        assert vouched(policy)
        return outcome(Compiler(), policy, "identity")

    assert compiled(False) == compiled("false") == outcome(FullCompiler(), {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": False}}}]},
        "identity")
    assert compiled([True]) == compiled(["true"])


def test_the_loop_leaves_repeated_sids() -> None:
    st_ = {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    assert vouched({"Version": "2012-10-17", "Statement": [st_]})
    assert not vouched({"Version": "2012-10-17", "Statement": [st_, dict(st_)]})


# ----- the compiled loop and its twin -----

@settings(max_examples=200, deadline=None)
@given(policy=policies, profile=st.sampled_from(["identity", "scp"]))
def test_the_compiled_loop_agrees_with_its_twin(policy: dict[str, Any], profile: str) -> None:
    prof = get_profile(profile)
    found = []
    for module in FRONTS:
        tables = _Tables(Compiler(engine=engine_of(module)), prof, policy["Version"] == "2012-10-17")
        result = module.compile_statements(policy["Statement"], tables)
        found.append(None if result is None else [describe_statement(s) for s in result])
    assert found[0] == found[1]


@pytest.mark.parametrize("value", ["s", ["a", "b"], [], ["a", 1], None, ("a",), {"a": 1}, ["a", None]])
def test_element_keys_agree(value: Any) -> None:
    assert qiam._front.element_key(value) == qiam._front_py.element_key(value)


def test_the_twins_document_the_same_names() -> None:
    import inspect

    for name in qiam._front_py.__all__:
        assert inspect.getdoc(getattr(qiam._front, name)) == inspect.getdoc(getattr(qiam._front_py, name)), name


# ----- the shortcuts: plain lists are clean without asking the validator -----

from qiam import validate as validate_module  # noqa: E402

ARN_PIECES = ["arn", "aws", "aws-cn", "aws-us-gov", "aws-iso", "*", "", "ec2", "iam", "s3", "s3x", "iam2", "kms",
              "Ec2", "a.b-c", "-x", "us-east-1", "us-gov-west-1", "us-east", "us-1", "us-east-1a", "US-EAST-1",
              "region", "111122223333", "123456789012", "1111222233334", "aws", "x", "b/*", "role/R", "a:b",
              "${aws:username}", "é", "x\ny", "$", "{", "user/é", "rooté", "*é", "thing/x", "root", "policy/",
              "*", "é/role/"]
ACTION_PIECES = ["s3", "S3", "a.b-c", "*", "", "é", "Get*", "x\ny", "${x}", "$", "{", ":", " ", "a?b"]


@st.composite
def arn_texts(draw: Any) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(alphabet="arnws:*-19é\n${}/", max_size=24))
    return ":".join(draw(st.lists(st.sampled_from(ARN_PIECES), min_size=1, max_size=7)))


@st.composite
def action_texts(draw: Any) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(alphabet="s3:*Ga.-é\n${}", max_size=16))
    return "".join(draw(st.lists(st.sampled_from(ACTION_PIECES), min_size=1, max_size=4)))


@pytest.mark.parametrize("module", FRONTS, ids=["compiled", "python"])
@settings(max_examples=500, deadline=None)
@given(entries=st.lists(action_texts(), min_size=1, max_size=4))
def test_plain_actions_is_the_validators_shortcut(module: Any, entries: list[str]) -> None:
    expected = validate_module._all_plain(entries, validate_module._PLAIN_ACTIONS)
    assert module.plain_actions(tuple(entries)) is expected


@pytest.mark.parametrize("module", FRONTS, ids=["compiled", "python"])
@settings(max_examples=500, deadline=None)
@given(entries=st.lists(arn_texts(), min_size=1, max_size=3))
def test_plain_resources_is_the_validators_shortcut(module: Any, entries: list[str]) -> None:
    expected = validate_module._all_plain(entries, validate_module._PLAIN_ARNS)
    assert module.plain_resources(tuple(entries)) is expected


@pytest.mark.parametrize("module", FRONTS, ids=["compiled", "python"])
@pytest.mark.parametrize(("resource", "plain"), [
    ("*", True),
    ("arn:aws:ec2:us-east-1:111122223333:instance/*", True),
    ("arn:aws-us-gov:kms:us-gov-west-1:aws:key/é", True),
    ("arn:aws:ec2:us-east-1:123456789012:x", False),
    ("arn:aws:ec2:us-east:111122223333:x", False),
    ("arn:aws:s3:::b", True),
    ("arn:aws:iam::111122223333:role/R", True),
    ("arn:aws:iam::111122223333:thing/R", False),
    ("arn:aws:iam:us-east-1:111122223333:role/R", False),
    ("arn:aws:s3:us-east-1::b", False),
    ("arn:aws:ec2:::${aws:username}", False),
    ("arn:aws:sqs", False),
])
def test_plain_resources_examples(module: Any, resource: str, plain: bool) -> None:
    assert module.plain_resources((resource,)) is plain
    assert validate_module._all_plain(resource, validate_module._PLAIN_ARNS) is plain


def test_plain_lists_are_clean() -> None:
    """What the shortcut passes, the validator passes: checked on every list of the managed policies."""
    import orjson

    from qiam.validate import ElementVerdicts

    verdicts = ElementVerdicts(get_profile("identity"), True)
    seen = 0
    for path in MANAGED[::5]:
        document = orjson.loads(path.read_bytes())
        items = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        for statement in items:
            for element, plain, verdict in (("Action", current().front.plain_actions, verdicts.actions),
                                            ("Resource", current().front.plain_resources, verdicts.resources)):
                value = statement.get(element)
                key = current().front.element_key(value)
                if key is not None and plain((key,) if isinstance(key, str) else key):
                    seen += 1
                    assert verdict(value), value
    assert seen > 500


@pytest.mark.parametrize("module", FRONTS, ids=["compiled", "python"])
@settings(max_examples=300, deadline=None)
@given(entries=st.lists(action_texts(), min_size=1, max_size=4))
def test_action_services_are_the_heads_before_the_colon(module: Any, entries: list[str]) -> None:
    found = module.action_services(tuple(entries))
    if "*" in entries:
        assert found is None
    else:
        assert found == {e.split(":", 1)[0].lower() for e in entries}


@settings(max_examples=300, deadline=None)
@given(entries=st.lists(arn_texts(), min_size=1, max_size=3),
       profile=st.sampled_from(["identity", "scp", "resource"]), reads_variables=st.booleans(),
       short_arns=st.booleans())
def test_resources_written_as_patterns_compile_as_each_entry_would(entries: list[str], profile: str,
                                                                   reads_variables: bool, short_arns: bool) -> None:
    from qiam.compile import _compile_each_resource, _compile_resources

    prof = get_profile(profile)
    made = [_compile_resources(tuple(entries), prof, reads_variables, short_arns, current()),
            _compile_each_resource(tuple(entries), prof, reads_variables, short_arns, current())]
    found = [(m.entries, m.static_positions, m.static.patterns, tuple((i, t.text) for i, t in m.templates))
             for m in made]
    assert found[0] == found[1]


SHORTCUT_OPERATORS = [p + o + s for p in ("", "ForAnyValue:", "ForAllValues:")
                      for o in ("StringEquals", "StringNotEquals", "StringLike", "StringEqualsIgnoreCase", "ArnLike",
                                "ArnEquals", "Bool", "Null", "NumericLessThan")
                      for s in ("", "IfExists")]
SHORTCUT_KEYS = ["aws:PrincipalTag/team", "aws:TagKeys", "aws:PrincipalOrgPaths", "aws:SourceArn", "s3:prefix",
                 "kms:EncryptionContextKeys", "nokey", "aws:CalledVia", "AWS:TAGKEYS", "aws:RequestTag/x"]
SHORTCUT_VALUES = ["x", "a*", "a?", "${aws:username}", "${x", "", "true", "FALSE", "yes", "arn:aws:iam::*:role/R", "10",
                   "é"]


@settings(max_examples=1000, deadline=None)
@given(operator=st.sampled_from(SHORTCUT_OPERATORS), key=st.sampled_from(SHORTCUT_KEYS),
       values=st.one_of(st.sampled_from(SHORTCUT_VALUES),
                        st.lists(st.sampled_from(SHORTCUT_VALUES), max_size=3).map(tuple)),
       reads_variables=st.booleans())
def test_plain_condition_keys_are_clean(operator: str, key: str, values: Any, reads_variables: bool) -> None:
    from qiam.operators import Operator, parse_operator
    from qiam.validate import ElementVerdicts, plain_condition_key

    parsed = parse_operator(operator)
    if not isinstance(parsed, Operator) or not plain_condition_key(parsed, key, values):
        return
    value = values if isinstance(values, str) else list(values)
    for profile in ("identity", "scp"):
        assert ElementVerdicts(get_profile(profile), reads_variables).condition({operator: {key: value}})


@settings(max_examples=500, deadline=None)
@given(operator=st.sampled_from(SHORTCUT_OPERATORS), key=st.sampled_from(SHORTCUT_KEYS),
       values=st.one_of(st.sampled_from(SHORTCUT_VALUES),
                        st.lists(st.sampled_from(SHORTCUT_VALUES), max_size=3).map(tuple)))
def test_the_twins_condition_shortcut_is_the_full_path(operator: str, key: str, values: Any) -> None:
    """What the statement loop's twin makes of a plain key is what judging and compiling it makes."""
    from qiam.validate import ElementVerdicts

    tables = _Tables(Compiler(engine=engine("python")), get_profile("identity"), True)
    made = qiam._front_py._plain_condition(tables, operator, key, values)
    if made is None:
        return
    value = values if isinstance(values, str) else list(values)
    assert ElementVerdicts(get_profile("identity"), True).condition({operator: {key: value}})
    full = tables.condition_key((operator, key, values))
    assert full is not False
    statement = tables.statement(0, None, True, tables.globs(["*"]), False, None, False, None, False,
                                 (made[0],), ("Statement", 0), None, ())
    twin = tables.statement(0, None, True, tables.globs(["*"]), False, None, False, None, False,
                            (full[0],), ("Statement", 0), None, ())
    assert describe_statement(statement) == describe_statement(twin) and made[1] == full[1]


def test_plain_condition_keys_serve_most_managed_conditions() -> None:
    import orjson

    from qiam.operators import Operator, parse_operator
    from qiam.validate import plain_condition_key

    plain = total = 0
    for path in MANAGED[::3]:
        document = orjson.loads(path.read_bytes())
        items = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        for statement in items:
            for operator, body in statement.get("Condition", {}).items():
                for key, value in body.items():
                    parsed = parse_operator(operator)
                    total += 1
                    plain += isinstance(parsed, Operator) and isinstance(value, (str, list)) and \
                        plain_condition_key(parsed, key, value if isinstance(value, str) else tuple(value))
    assert plain > 0.6 * total


@settings(max_examples=300, deadline=None)
@given(top=st.dictionaries(st.sampled_from(["Version", "Statement", "Id", "Other"]),
                           st.sampled_from(["2012-10-17", "2008-10-17", "x", 1, None, [], {}]), max_size=4),
       filler=st.sampled_from(["", "a" * 2100, "a" * 6200, "é", "\u20ac", "\\u0041", "\t"]),
       as_text=st.booleans(), indent=st.sampled_from([None, 2]),
       profile=st.sampled_from(["identity", "iam-user-inline", "scp", "session"]))
def test_the_outline_shortcut_says_what_the_checks_say(top: dict[str, Any], filler: str, as_text: bool,
                                                      indent: int | None, profile: str) -> None:
    import json

    from qiam import parse_policy
    from qiam.validate import _Checker, validate_outline

    top = dict(top)
    top["Statement"] = [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::" + filler}]
    if as_text:
        text = json.dumps(top, indent=indent, ensure_ascii=False).replace("\\\\u0041", "\\u0041")
        policy = parse_policy(text)
    else:
        policy = parse_policy(top)
    checker = _Checker(policy, get_profile(profile), False)
    checker.run(statements=False)
    expected = [(d.code, d.severity, d.location.pointer, d.message) for d in checker.found]
    found = [(d.code, d.severity, d.location.pointer, d.message)
             for d in validate_outline(policy, profile).diagnostics]
    assert found == expected


@pytest.mark.parametrize("module", FRONTS, ids=["compiled", "python"])
def test_the_scans_know_the_validators_iam_resource_types(module: Any) -> None:
    # One list (qiam.shapes), read by the validator, the twin's regex and the compiled scan.
    for kind in validate_module.IAM_RESOURCE_TYPES:
        arn = f"arn:aws:iam::111122223333:{kind}x"
        assert module.plain_resources((arn,)) is True, kind
        assert validate_module._all_plain(arn, validate_module._PLAIN_ARNS), kind


# ----- the document: policy text read straight into statements -----

def _render(policy: Any, style: str) -> str:
    import json

    if style == "compact":
        return json.dumps(policy, separators=(",", ":"))
    if style == "tabs":
        return json.dumps(policy, indent="\t") + "\r\n"
    return json.dumps(policy, indent=int(style))


# Edits of a rendered text, each aimed at one thing the document reader must notice or let pass.
EDITS = [
    lambda t: t,
    lambda t: t.replace('"Effect"', '"Effect": "Allow", "Effect"', 1),  # a repeated key in a statement
    lambda t: t.replace('"Version"', '"Version": "2012-10-17", "Version"', 1),  # ... at the top
    lambda t: t.replace('"StringEquals": {', '"StringEquals": {"s3:x": "a", "s3:x": "a", ', 1),  # ... in a block
    lambda t: t.replace('"StringLike": {', '"StringLike": {"s3:x": "a", "S3:X": "a", ', 1),
    lambda t: t.replace("s3:", "s\\u0033:", 1),  # an escape that changes nothing
    lambda t: t.replace('"Sid": "', '"Sid": "\\u00e9', 1),
    lambda t: t.replace("arn:aws:", "arn:aws:\u00e9", 1),  # a character outside ASCII
    lambda t: t.replace('"*"', '"*\t"', 1),  # a raw tab in a string
    lambda t: t.replace('"Version"', '"Id": "x", "Version"', 1),
    lambda t: t.replace("2012-10-17", "2008-10-17", 1),
    lambda t: t[: len(t) // 2],
    lambda t: t + ",",
    lambda t: t + " {}",
    lambda t: "\ufeff" + t,
    lambda t: t.replace("]", ",]", 1),
    lambda t: t.replace('"Action": "', '"Action": ["', 1).replace('", "Resource"', '"], "Resource"', 1),
    lambda t: t.replace(": ", " :\n ", 3),
    lambda t: t.replace('"Statement": [', '"Statement": [\n{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}, ', 1),
    lambda t: t.replace('"Condition": {', '"Condition": {"NumericLessThan": {"s3:max-keys": 10}, ', 1),
    lambda t: t.replace('"Condition": {', '"Condition": {"Bool": {"aws:SecureTransport": [false]}, ', 1),
    lambda t: t.replace('"Condition": {', '"Condition": {"StringEquals": {"s3:x": [[]]}, ', 1),
    lambda t: t.replace('"Condition": {', '"Condition": {"StringEquals": {"s3:x": {"a": "}"}}, ', 1),
]


@settings(max_examples=400, deadline=None)
@given(policy=policies, style=st.sampled_from(["compact", "2", "4", "tabs"]), edit=st.sampled_from(EDITS),
       profile=st.sampled_from(["identity", "scp", "session", "resource"]), as_bytes=st.booleans())
def test_reading_the_text_changes_nothing(policy: dict[str, Any], style: str, edit: Any, profile: str,
                                          as_bytes: bool) -> None:
    text = edit(_render(policy, style))
    document: Any = text.encode("utf-8", "surrogatepass") if as_bytes else text
    assert outcome(Compiler(), document, profile) == outcome(FullCompiler(), document, profile)


@settings(max_examples=100, deadline=None)
@given(policies=st.lists(st.tuples(policies, st.sampled_from(["compact", "4"]), st.sampled_from(EDITS[:8])),
                         min_size=2, max_size=6))
def test_reading_the_text_changes_nothing_when_tables_are_shared(policies: list[Any]) -> None:
    fast, full = Compiler(), FullCompiler()
    for policy, style, edit in policies:
        text = edit(_render(policy, style)).encode("utf-8", "surrogatepass")
        assert outcome(fast, text, "identity") == outcome(full, text, "identity")


@settings(max_examples=300, deadline=None)
@given(policy=policies, style=st.sampled_from(["compact", "2", "tabs"]), edit=st.sampled_from(EDITS))
def test_the_compiled_document_reader_agrees_with_its_twin(policy: dict[str, Any], style: str, edit: Any) -> None:
    data = edit(_render(policy, style)).encode("utf-8", "surrogatepass")
    found = []
    for module in FRONTS:
        tables = _Tables(Compiler(engine=engine_of(module)), get_profile("identity"), True)
        result = module.compile_document(data, tables)
        found.append(None if result is None else ([describe_statement(s) for s in result[0]], result[1]))
    assert found[0] == found[1]


def test_the_document_reader_serves_every_managed_policy() -> None:
    """Not a speed test: the usual text must take the document path, or it is dead code."""
    for module in FRONTS:
        tables = _Tables(Compiler(engine=engine_of(module)), get_profile("identity"), True)
        assert all(module.compile_document(path.read_bytes(), tables) is not None for path in MANAGED[::4])


def test_the_whitespace_count_is_what_the_size_quota_leaves_out() -> None:
    from qiam._match import json_whitespace_count

    tables = _Tables(Compiler(engine=engine("cython")), get_profile("identity"), True)
    for path in MANAGED[::9]:
        data = path.read_bytes()
        result = qiam._front.compile_document(data, tables)
        assert result is not None and result[1] == json_whitespace_count(data)


def test_a_policy_read_from_its_text_keeps_the_text_not_the_tree() -> None:
    import orjson

    data = MANAGED[0].read_bytes()
    compiled = Compiler().compile(data, name="first")
    reference = FullCompiler().compile(data, name="first")
    assert compiled.policy._raw is None  # nothing decoded is kept
    assert compiled.name == "first"
    assert compiled.policy.raw == orjson.loads(data) == reference.policy.raw
    assert compiled.policy.source.text == reference.policy.source.text
    for statement in compiled.statements:
        assert compiled.policy.source.position(statement.path) == reference.policy.source.position(statement.path)


def test_a_large_policy_read_from_its_text_is_warned_about_as_the_checks_warn() -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * 7000}
    text = _render({"Version": "2012-10-17", "Statement": [statement]}, "4")
    for profile in ("identity", "iam-user-inline", "session"):
        found = outcome(Compiler(), text, profile)
        assert found == outcome(FullCompiler(), text, profile)
        assert found[0] == "compiled" and [d[0] for d in found[2]] == ["policy-too-large"]


@pytest.mark.parametrize("style", ["compact", "tabs"])
def test_managed_policies_written_otherwise_read_the_same(style: str) -> None:
    import orjson

    fast, full = Compiler(), FullCompiler()
    for path in MANAGED[::11]:
        text = _render(orjson.loads(path.read_bytes()), style)
        assert current().front.compile_document(text.encode(), fast._tables_of(get_profile("identity"), True))
        assert outcome(fast, text, "identity") == outcome(full, text, "identity"), path.name


# ----- the compiled loop's condition shortcut: judged and compiled as the full path does -----

@settings(max_examples=1500, deadline=None)
@given(operator=st.sampled_from(SHORTCUT_OPERATORS), key=st.sampled_from(SHORTCUT_KEYS),
       values=st.one_of(st.sampled_from(SHORTCUT_VALUES + ["a$", "{b}", "A*\\\\*"]),
                        st.lists(st.sampled_from(SHORTCUT_VALUES + ["a$", "{b}"]), max_size=3)),
       version=st.sampled_from(["2012-10-17", "2008-10-17"]), profile=st.sampled_from(["identity", "scp"]))
def test_condition_keys_compile_as_the_full_path_compiles_them(operator: str, key: str, values: Any, version: str,
                                                               profile: str) -> None:
    policy = {"Version": version, "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {operator: {key: values}}}]}
    assert outcome(Compiler(), policy, profile) == outcome(FullCompiler(), policy, profile)


def test_the_condition_shortcut_serves_most_managed_condition_keys() -> None:
    """Not a speed test: most keys must be judged and compiled by the compiled loop, or it is dead code."""
    import orjson

    class Counting(_Tables):
        __slots__ = ("asked",)

        def condition_key(self, key: Any) -> Any:
            self.asked += 1
            return super().condition_key(key)

    tables = Counting(Compiler(engine=engine("cython")), get_profile("identity"), True)
    tables.asked = 0
    for path in MANAGED[::3]:
        qiam._front.compile_statements(orjson.loads(path.read_bytes())["Statement"], tables)
    assert len(tables.condition_keys) > 400 and tables.asked < 0.2 * len(tables.condition_keys)


def test_policies_read_from_text_are_shared_between_threads_from_their_first_match() -> None:
    """Pattern sets sort their patterns at their first match: threads that meet them first together
    still decide as one thread does."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from qiam import Request, compile_policies

    documents = [path.read_bytes() for path in MANAGED[::30]]
    requests = [Request(action, resource) for action in ("s3:GetObject", "ec2:RunInstances", "iam:PassRole",
                                                         "kms:Decrypt", "logs:PutLogEvents", "sts:AssumeRole")
                for resource in ("*", "arn:aws:s3:::bucket/key", "arn:aws:iam::111122223333:role/R",
                                 "arn:aws:logs:us-east-1:111122223333:log-group:g")]

    def decisions(psets: list[Any]) -> list[str]:
        return [pset.evaluate(request).decision.value for pset in psets for request in requests]

    expected = decisions([compile_policies([document]) for document in documents])
    shared = [compile_policies([document]) for document in documents]  # nothing matched yet
    start = threading.Barrier(6)

    def run(_: int) -> list[str]:
        start.wait()
        return decisions(shared)

    with ThreadPoolExecutor(6) as pool:
        found = list(pool.map(run, range(6)))
    assert "allowed" in expected and all(result == expected for result in found)
