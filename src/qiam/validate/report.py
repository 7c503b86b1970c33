"""ValidationReport: the findings of one validation, split by severity."""

from __future__ import annotations

from dataclasses import dataclass

from qiam.errors import Diagnostic, Severity
from qiam.types import JSONObject


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Every finding of a validation, in document order."""

    diagnostics: tuple[Diagnostic, ...]
    profile: str

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Findings that make the policy unusable."""
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """Findings that inform; evaluation proceeds."""
        return tuple(d for d in self.diagnostics if d.severity is Severity.WARNING)

    @property
    def suggestions(self) -> tuple[Diagnostic, ...]:
        """Findings about style."""
        return tuple(d for d in self.diagnostics if d.severity is Severity.SUGGESTION)

    @property
    def valid(self) -> bool:
        """Whether there is no error."""
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)

    def to_dict(self) -> JSONObject:
        """The JSON form used by ``qiam validate --json``."""
        return {
            "profile": self.profile,
            "valid": self.valid,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }
