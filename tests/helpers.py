"""Helpers shared by the unit tests: find one diagnostic and assert on it; build policies.

``assert_diagnostic`` looks a finding up by its stable ``code`` and its JSON
pointer, and insists there is exactly one such finding, so a test can neither
pass on a look-alike elsewhere in the document nor miss a duplicate report.
It checks what a caller relies on first (code, pointer, severity) and the
human text second (message, hint).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from qiam.errors import Diagnostic, QiamError, Severity


def _diagnostics(report_or_list: Any) -> list[Diagnostic]:
    if isinstance(report_or_list, QiamError):
        found = getattr(report_or_list, "diagnostics", None)
        return list(found) if found is not None else [report_or_list]  # type: ignore[list-item]
    found = getattr(report_or_list, "diagnostics", None)
    if found is not None:
        return list(found)
    if isinstance(report_or_list, Diagnostic):
        return [report_or_list]
    if isinstance(report_or_list, Iterable):
        return list(report_or_list)
    raise TypeError(f"not a report or a list of diagnostics: {report_or_list!r}")


def describe(diagnostics: Iterable[Any]) -> str:
    """One line per diagnostic: severity, code, pointer, message (for failure messages)."""
    lines = []
    for d in diagnostics:
        severity = getattr(getattr(d, "severity", None), "value", "-")
        lines.append(f"  {severity} {d.code} {d.location.pointer!r}: {d.message}")
    return "\n".join(lines) or "  (none)"


def _severity(value: Severity | str | None) -> Severity | None:
    if value is None or isinstance(value, Severity):
        return value
    return Severity(value.lower())


def assert_diagnostic(
    report_or_list: Any,
    *,
    code: str,
    pointer: str,
    severity: Severity | str | None,
    message_contains: str | None = None,
    hint_contains: str | None = None,
) -> Any:
    """The one diagnostic with ``code`` at ``pointer``; fails unless there is exactly one.

    ``report_or_list`` is a ValidationReport, a sequence of Diagnostics, or a
    QiamError (a PolicySyntaxError has a code and a location but no severity:
    pass ``severity=None`` for it). Severity is an ``errors.Severity`` or its
    value (``"error"``, ``"warning"``, ``"suggestion"``).
    """
    diagnostics = _diagnostics(report_or_list)
    matches = [d for d in diagnostics if d.code == code and d.location.pointer == pointer]
    assert len(matches) == 1, (
        f"expected exactly one `{code}` at {pointer!r}, found {len(matches)}; all findings:\n"
        + describe(diagnostics)
    )
    found = matches[0]
    wanted = _severity(severity)
    if wanted is not None:
        assert found.severity is wanted, (
            f"`{code}` at {pointer!r} is a {found.severity.value}, expected {wanted.value}"
        )
    if message_contains is not None:
        assert message_contains in found.message, (
            f"message of `{code}` is {found.message!r}; expected it to contain {message_contains!r}"
        )
    if hint_contains is not None:
        assert found.hint is not None and hint_contains in found.hint, (
            f"hint of `{code}` is {found.hint!r}; expected it to contain {hint_contains!r}"
        )
    return found


def policy(*statements: Any, version: str | None = "2012-10-17", **top: Any) -> dict[str, Any]:
    """A policy document as a dict: ``Version`` (omitted when None), ``Statement`` list, extras.

    ``Statement=...`` among ``top`` replaces the list built from ``statements``
    (to write a single object, a string, an empty list ...).
    """
    document: dict[str, Any] = {}
    if version is not None:
        document["Version"] = version
    document["Statement"] = list(statements)
    document.update(top)
    return document
