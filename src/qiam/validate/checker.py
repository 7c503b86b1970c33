"""One validation run: the policy, its profile, the findings so far, and the reading of elements.

The checks themselves are functions of the run, one module per concern
(``document``, ``statement``, ``resources``, ``conditions``, ``catalog``);
``_Checker.run`` starts them at the document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from qiam import findings
from qiam import validate as _package
from qiam.errors import Diagnostic, Location, Path
from qiam.findings import Finding
from qiam.model import ABSENT, Policy
from qiam.validate import document
from qiam.validate.profiles import Profile


class _Checker:
    """One validation run: walks the policy and collects diagnostics."""

    def __init__(self, policy: Policy, profile: Profile, storage: bool) -> None:
        self.policy = policy
        self.profile = profile
        self.storage = storage
        self.source = policy.source
        self.found: list[Diagnostic] = []
        self.reads_variables = policy.reads_variables

    def add(self, finding: Finding, path: Path, *, key: bool = False) -> None:
        """Record a finding at ``path`` (at the member's key, with ``key``)."""
        self.found.append(finding.at(Location(self.source, path, key)))

    def run(self, *, statements: bool) -> None:
        """Check the document, and its statements too when ``statements``."""
        document.check_document(self, statements=statements)

    def plain(self, value: Any, pattern: re.Pattern[str]) -> bool:
        """Whether the per-entry checks of an Action or Resource value have nothing to say, at a glance.

        ``qiam.validate._all_plain``, read from the package at each call so a
        test can switch the shortcut off and see the same diagnostics.
        """
        return _package._all_plain(value, pattern)

    # ----- reading elements -----

    def pair(self, st: Mapping[str, Any], path: Path, name: str, both: Callable[[], Finding]
             ) -> tuple[str, Any] | None:
        """The one of ``name`` / ``Not{name}`` present; reports ``both()`` when both are."""
        plain, negated = st.get(name, ABSENT), st.get("Not" + name, ABSENT)
        if plain is not ABSENT and negated is not ABSENT:
            self.add(both(), path + ("Not" + name,), key=True)
        if plain is not ABSENT:
            return name, plain
        if negated is not ABSENT:
            return "Not" + name, negated
        return None

    def strings(self, value: Any, path: Path, element: str, *, allow_null: bool = False
                ) -> Iterator[tuple[int | None, str]]:
        """The strings of a string-or-list element, reporting items of other types."""
        if isinstance(value, str):
            yield None, value
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    yield i, item
                elif item is None and allow_null:
                    continue
                else:
                    self.add(findings.wrong_type(f"`{element}` entries", "strings"), path + (i,))
        else:
            self.add(findings.wrong_type(f"`{element}`", "a string or a list of strings"), path)
