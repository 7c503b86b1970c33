"""The Condition block: operators, keys and values (semantics.md §1.4, §3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qiam import findings, variables
from qiam.errors import Path
from qiam.findings import Finding
from qiam.keys import KeyType, global_key
from qiam.operators import (
    FAMILY_RULES,
    NULL,
    Operator,
    OperatorNameError,
    condition_value_text,
    parse_operator,
)
from qiam.validate.values import VARIABLE, WILDCARD, check_variable_syntax, variable_in_old_version

if TYPE_CHECKING:
    from qiam.validate.checker import _Checker


def check_condition(checker: _Checker, condition: object, path: Path) -> None:
    """A Condition block: each operator's name and body, each key once."""
    if not isinstance(condition, Mapping):
        checker.add(findings.wrong_type("`Condition`", "an object"), path)
        return
    if not condition:
        checker.add(findings.empty_condition(), path)
    for op_text, body in condition.items():
        opath = path + (op_text,)
        operator = parse_operator(op_text)
        if not isinstance(operator, Operator):
            checker.add(_operator_name_finding(operator, body), opath, key=True)
            continue
        if not isinstance(body, Mapping):
            checker.add(findings.wrong_type(f"the body of `{op_text}`", "an object of keys and values"), opath)
            continue
        if not body:
            checker.add(findings.empty_condition(op_text), opath)
        seen: dict[str, str] = {}
        for key, value in body.items():
            folded = key.lower()
            if folded in seen:
                checker.add(findings.duplicate_condition_key(key, seen[folded]), opath + (key,), key=True)
            seen.setdefault(folded, key)
            check_condition_key(checker, operator, key, value, opath + (key,))


def _operator_name_finding(error: OperatorNameError, body: Any) -> Finding:
    """What an operator name that does not read is, in the words of ``parse_operator``."""
    if error.code == "invalid-set-prefix":
        return findings.invalid_set_prefix(error.message, error.hint)
    if error.code == "null-with-ifexists":
        return findings.null_with_ifexists(error.message, error.hint)
    return findings.unknown_operator(error.message, error.hint, empty_body=isinstance(body, Mapping) and not body)


def check_condition_key(checker: _Checker, operator: Operator, key: str, value: object, path: Path) -> None:
    """One key under one operator: the key, its values' types and texts, and the key's type."""
    spec = operator.spec
    if ":" not in key:
        checker.add(findings.invalid_condition_key(key), path, key=True)
    if "${" in key:
        checker.add(findings.variable_not_allowed("ConditionKey"), path, key=True)
    if isinstance(value, list):
        items = value
        if not items:
            checker.add(findings.empty_condition_values(key, operator.text), path)
    else:
        items = [value]
    texts: list[tuple[Path, str]] = []
    for i, item in enumerate(items):
        ipath = path + (i,) if isinstance(value, list) else path
        text = condition_value_text(item)
        if text is None:
            checker.add(findings.wrong_type("condition values", "strings, numbers or booleans", value=item), ipath)
            continue
        texts.append((ipath, text))
    if FAMILY_RULES[spec.family].one_value and len(texts) > 1:
        checker.add(findings.bool_multiple_values(key, spec.name), path)
    reads_variables = checker.reads_variables
    for ipath, text in texts:
        if not reads_variables and spec.variables and VARIABLE.search(text):
            variable_in_old_version(checker, ipath)
        if reads_variables and "${" in text:
            parts = check_variable_syntax(checker, text, ipath)
            if parts and any(isinstance(p, variables.Variable) for p in parts) and not spec.variables:
                checker.add(findings.variable_not_allowed("Condition", spec.name), ipath)
                continue
        check_condition_value(checker, operator, text, ipath)
    check_key_type(checker, operator, key, path)


def check_condition_value(checker: _Checker, operator: Operator, text: str, path: Path) -> None:
    """One value: one its operator can read, and no wildcard where the operator reads it literally."""
    rules = FAMILY_RULES[operator.spec.family]
    if rules.unreadable is not None and rules.read is not None and rules.read(text) is None:
        _severity, code, message, hint = rules.unreadable  # the constructors hold the severities (tests agree)
        words = message.format(text=text, operator=operator.spec.name)
        unreadable = findings.invalid_condition_value if code == "invalid-condition-value" else findings.type_mismatch
        checker.add(unreadable(words, hint), path)
    elif rules.literal and WILDCARD.search(text.replace("${*}", "").replace("${?}", "")):
        checker.add(findings.wildcard_without_like(operator.spec.name, text), path)


def check_key_type(checker: _Checker, operator: Operator, key: str, path: Path, key_type: KeyType | None = None
                   ) -> None:
    """A set prefix exactly on multivalued keys (global ones, or those of the catalog's ``key_type``)."""
    key_type = key_type or global_key(key)
    if key_type is None:
        return
    if operator.set_prefix and not key_type.multivalued:
        checker.add(findings.set_operator_single_valued_key(operator.set_prefix, key), path, key=True)
    elif not operator.set_prefix and key_type.multivalued and operator.spec.family is not NULL:
        checker.add(findings.plain_operator_multivalued_key(operator.spec.name, key), path, key=True)
