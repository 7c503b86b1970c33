"""One statement: its elements, Sid, Effect, Action and Principal (semantics.md §1.2, §1.3, §1.5)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qiam import findings, shapes
from qiam.errors import Path
from qiam.model import ABSENT, STATEMENT_ELEMENTS
from qiam.validate.conditions import check_condition
from qiam.validate.resources import check_resources
from qiam.validate.shortcuts import _PLAIN_ACTIONS
from qiam.validate.values import VARIABLE, WILDCARD

if TYPE_CHECKING:
    from qiam.validate.checker import _Checker

PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")

_VENDOR = shapes.VENDOR
_SID = re.compile(r"[0-9A-Za-z]*")


def check_statement(checker: _Checker, st: Mapping[str, object], path: Path) -> None:
    """Every element of one statement."""
    for key in st:
        if key not in STATEMENT_ELEMENTS:
            checker.add(findings.unknown_element(key, STATEMENT_ELEMENTS, level="statement"), path + (key,),
                        key=True)
    sid = st.get("Sid", ABSENT)
    if sid is not ABSENT:
        if not isinstance(sid, str):
            checker.add(findings.wrong_type("`Sid`", "a string"), path + ("Sid",))
        elif checker.profile.iam_document and not _SID.fullmatch(sid):
            checker.add(findings.invalid_sid(sid), path + ("Sid",))
    effect = check_effect(checker, st.get("Effect", ABSENT), path)
    check_actions(checker, st, path, effect)
    check_resources(checker, st, path)
    check_principals(checker, st, path, effect)
    condition = st.get("Condition", ABSENT)
    if condition is not ABSENT:
        check_condition(checker, condition, path + ("Condition",))


def check_effect(checker: _Checker, effect: object, path: Path) -> str | None:
    """The statement's Effect, if it is Allow or Deny."""
    if effect is ABSENT:
        checker.add(findings.missing_effect(), path)
        return None
    if effect in ("Allow", "Deny"):
        return str(effect)
    checker.add(findings.invalid_effect(effect), path + ("Effect",))
    return None


def check_actions(checker: _Checker, st: Mapping[str, object], path: Path, effect: str | None) -> None:
    """Action or NotAction: each entry `*` or service:action (and an RCP's own rules)."""
    found = checker.pair(st, path, "Action", findings.action_and_notaction)
    if found is None:
        checker.add(findings.missing_action(), path)
        return
    element, value = found
    epath = path + (element,)
    rcp = checker.profile.kind == "rcp"
    if value == []:
        checker.add(findings.empty_action(element), epath)
    if rcp and element == "NotAction":
        checker.add(findings.rcp_notaction(), epath, key=True)
    if not rcp and checker.plain(value, _PLAIN_ACTIONS):
        return  # every entry is `*` or vendor:name: nothing to report
    for i, action in checker.strings(value, epath, element):
        apath = epath if i is None else epath + (i,)
        if action == "*":
            if rcp and not _is_rcp_full_access(st):
                checker.add(findings.rcp_action_star(), apath)
            continue
        if checker.reads_variables and "${" in action:
            checker.add(findings.variable_not_allowed("Action"), apath)
        colons = action.count(":")
        if colons == 0:
            checker.add(findings.action_missing_vendor(action), apath)
        elif colons > 1:
            checker.add(findings.action_too_many_colons(action), apath)
        else:
            vendor = action.split(":", 1)[0]
            if not _VENDOR.fullmatch(vendor):
                checker.add(findings.invalid_vendor(vendor), apath)


def check_principals(checker: _Checker, st: Mapping[str, object], path: Path, effect: str | None) -> None:
    """Principal or NotPrincipal: present where the profile wants it, each a principal AWS can name."""
    found = checker.pair(st, path, "Principal", findings.principal_and_notprincipal)
    profile = checker.profile
    if not profile.principal:
        if found is not None:
            checker.add(findings.principal_not_allowed(profile.name, found[0]), path + (found[0],), key=True)
        return
    if found is None:
        checker.add(findings.missing_principal(profile.name), path)
        return
    element, value = found
    epath = path + (element,)
    if element == "NotPrincipal":
        if profile.kind in ("role-trust", "rcp"):
            checker.add(findings.principal_not_allowed(profile.name, element, only_negated=True), epath, key=True)
        elif effect == "Allow":
            checker.add(findings.allow_with_notprincipal(storage=checker.storage), epath, key=True)
    if profile.kind == "rcp":
        if value != "*" and value != {"AWS": "*"}:
            checker.add(findings.rcp_principal(), epath)
        if effect == "Allow" and not _is_rcp_full_access(st):
            checker.add(findings.rcp_allow(), path + ("Effect",))
        return
    if value == "*":
        return
    if not isinstance(value, Mapping):
        checker.add(findings.wrong_type(f"`{element}`", "`*` or an object"), epath)
        return
    if not value:
        checker.add(findings.empty_principal(element, is_list=False), epath)
    for kind, names in value.items():
        kpath = epath + (kind,)
        if kind not in PRINCIPAL_TYPES:
            checker.add(findings.unknown_principal_type(kind, PRINCIPAL_TYPES), kpath, key=True)
            continue
        if names == []:
            checker.add(findings.empty_principal(kind, is_list=True), kpath)
        for i, name in checker.strings(names, kpath, kind):
            npath = kpath if i is None else kpath + (i,)
            if "${" in name and VARIABLE.search(name):
                checker.add(findings.variable_not_allowed("Principal"), npath)
            elif name != "*" and WILDCARD.search(name):
                checker.add(findings.partial_wildcard_principal(name), npath)


def _is_rcp_full_access(st: Mapping[str, Any]) -> bool:
    """The AWS managed RCPFullAWSAccess statement, recognised by its content."""
    return (
        st.get("Effect") == "Allow"
        and st.get("Principal") == "*"
        and st.get("Action") == "*"
        and st.get("Resource") == "*"
        and "Condition" not in st
    )
