"""What the checks of ARNs and of condition values share: wildcards and policy variables in a text."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from qiam import findings, variables
from qiam.errors import Path

if TYPE_CHECKING:
    from qiam.validate.checker import _Checker

WILDCARD = re.compile(r"[*?]")
VARIABLE = re.compile(r"\$\{[^}]*\}")


def check_variable_syntax(checker: _Checker, text: str, path: Path) -> list[variables.Part] | None:
    """The parts of a text that reads variables; None, reporting why, when a variable is malformed."""
    parts = variables.tokenize(text)
    if isinstance(parts, variables.VariableSyntaxError):
        checker.add(findings.variable_syntax(parts.message, parts.hint), path)
        return None
    return parts


def variable_in_old_version(checker: _Checker, path: Path) -> None:
    """A ``${...}`` in a policy that does not read variables (Version 2008-10-17 or none)."""
    checker.add(findings.variable_unsupported_version(storage=checker.storage), path)
