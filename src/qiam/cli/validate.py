"""``qiam validate FILE...``: check policies; text or ``--json`` output."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from qiam.cli._common import EXIT_ERROR, EXIT_NO, EXIT_YES
from qiam.errors import Diagnostic, PolicySyntaxError, Severity
from qiam.parse import parse_policy
from qiam.validate import PROFILES, ValidationReport, validate_policy


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "validate", help="check policies against the grammar and a profile",
        description="Check policies. Without --profile a policy is checked as an identity policy to be "
                    "evaluated (size quotas warn); with --profile it is checked for storing as that kind "
                    "of policy (quotas are errors).")
    p.add_argument("files", nargs="+", metavar="FILE", help="policy files")
    p.add_argument("--profile", choices=sorted(PROFILES), help="check for storing under this profile")
    p.add_argument("--json", action="store_true", help="one JSON report per file, as a JSON list")
    p.add_argument("--quiet", action="store_true", help="print only errors")
    p.add_argument("--no-catalog", action="store_true",
                   help="skip the checks against the action catalog (unknown actions, keys, resource types)")
    p.set_defaults(run=run)


def validate_file(path: str, profile: str | None, *, catalog: bool = True) -> ValidationReport:
    """The report of one file; a file that does not read becomes a report with that error."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        diag = Diagnostic(Severity.ERROR, "unreadable-file", f"cannot read {path}: {exc.strerror or exc}")
        return ValidationReport((diag,), profile or "identity")
    try:
        policy = parse_policy(data, name=path)
    except PolicySyntaxError as exc:
        diag = Diagnostic(Severity.ERROR, exc.code, exc.message, exc.location, exc.hint)
        return ValidationReport((diag,), profile or "identity")
    return validate_policy(policy, profile or "identity", storage=profile is not None, catalog=catalog)


def run(args: argparse.Namespace) -> int:
    reports = [(path, validate_file(path, args.profile, catalog=not args.no_catalog)) for path in args.files]
    unreadable = any(d.code == "unreadable-file" for _, r in reports for d in r.diagnostics)
    if args.json:
        out = [{"file": path, **report.to_dict()} for path, report in reports]
        json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        for path, report in reports:
            shown = report.errors if args.quiet else report.diagnostics
            for d in shown:
                print(f"{d.location.render() if d.location.source else path}: {d.severity.value}: "
                      f"{d.message} [{d.code}]")
                if d.hint:
                    print(f"  hint: {d.hint}")
            status = "valid" if report.valid else "INVALID"
            counts = f"{_count(len(report.errors), 'error')}, {_count(len(report.warnings), 'warning')}"
            if not args.quiet or not report.valid:
                print(f"{path}: {status} ({counts})")
    if unreadable:
        return EXIT_ERROR
    return EXIT_YES if all(r.valid for _, r in reports) else EXIT_NO


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
