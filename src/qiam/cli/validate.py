"""``qiam validate FILE...``: check policies; text, ``--format json`` or ``--format sarif`` output.

Findings are listed by position. ``--strict`` makes warnings fail too (exit
1). ``-`` reads a policy from standard input. SARIF 2.1.0 output is what
GitHub code scanning reads: a rule per qiam code, a region per finding.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from qiam._version import __version__
from qiam.cli._common import EXIT_ERROR, EXIT_NO, EXIT_YES
from qiam.errors import CODES, Diagnostic, PolicySyntaxError, Severity
from qiam.limits import InputTooLarge, max_policy_bytes, read_bounded
from qiam.parse import parse_policy
from qiam.validate import PROFILES, ValidationReport, validate_policy

_STDIN = "-"


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "validate", help="check policies against the grammar and a profile",
        description="Check policies. Without --profile a policy is checked as an identity policy to be "
                    "evaluated (size quotas warn); with --profile it is checked for storing as that kind "
                    "of policy (quotas are errors).",
        epilog="examples:\n"
               "  qiam validate policy.json\n"
               "  qiam validate --profile scp --strict scp.json\n"
               "  qiam validate --format sarif policies/*.json > qiam.sarif\n"
               "  qiam validate --parameter AWS::AccountId=111122223333 template.yaml plan.json\n"
               "exit codes: 0 valid, 1 invalid (or, with --strict, a warning), 2 a file could not be read",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="policy files (- for standard input), CloudFormation templates (JSON or YAML) and "
                        "Terraform plan JSON: every policy they hold, each checked as its kind")
    from qiam.cli._inventory import add_parameter_option

    add_parameter_option(p)
    p.add_argument("--profile", choices=sorted(PROFILES), help="check for storing under this profile")
    p.add_argument("--format", choices=("text", "json", "sarif"), default=None,
                   help="text (default), json (one report per file, as a list) or sarif (SARIF 2.1.0)")
    p.add_argument("--json", action="store_true", help="the same as --format json")
    p.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    p.add_argument("--quiet", action="store_true", help="print only errors")
    p.add_argument("--no-catalog", action="store_true",
                   help="skip the checks against the action catalog (unknown actions, keys, resource types)")
    p.set_defaults(run=run)


def _read(path: str) -> bytes:
    limit = max_policy_bytes()
    if path == _STDIN:
        data = sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise InputTooLarge(f"standard input holds over {limit:,} bytes",
                                hint="raise the limit with QIAM_MAX_POLICY_BYTES")
        return data
    return read_bounded(path, limit, "the policy", "QIAM_MAX_POLICY_BYTES")


def validate_file(path: str, profile: str | None, *, catalog: bool = True,
                  parameters: dict[str, str] | None = None) -> ValidationReport:
    """The report of one file; a file that does not read becomes a report with that error. A template or
    plan is reported whole: every policy it holds, checked as its kind for storing, and what it leaves
    unknown before deployment."""
    name = "<stdin>" if path == _STDIN else path
    try:
        data = _read(path)
    except OSError as exc:
        diag = Diagnostic(Severity.ERROR, "unreadable-file", f"cannot read {path}: {exc.strerror or exc}")
        return ValidationReport((diag,), profile or "identity")
    except InputTooLarge as exc:
        diag = Diagnostic(Severity.ERROR, exc.code, exc.message, hint=exc.hint)
        return ValidationReport((diag,), profile or "identity")
    if path != _STDIN and _is_template(path, data):
        return _validate_template(path, data, parameters or {}, catalog=catalog)
    try:
        policy = parse_policy(data, name=name)
    except PolicySyntaxError as exc:
        diag = Diagnostic(Severity.ERROR, exc.code, exc.message, exc.location, exc.hint)
        return ValidationReport((diag,), profile or "identity")
    return validate_policy(policy, profile or "identity", storage=profile is not None, catalog=catalog)


def _is_template(path: str, data: bytes) -> bool:
    from pathlib import Path

    from qiam import iac

    if Path(path).suffix.lower() in iac.TEMPLATE_SUFFIXES:
        return True
    if b"Resources" not in data and b"planned_values" not in data and b"terraform_version" not in data:
        return False
    import orjson

    try:
        return iac.is_template(Path(path), orjson.loads(data))
    except orjson.JSONDecodeError:
        return False


def _validate_template(path: str, data: bytes, parameters: dict[str, str], *, catalog: bool) -> ValidationReport:
    from qiam import iac
    from qiam.model import Policy

    try:
        template = iac.read(path, parameters, data=data)
    except iac.IacError as exc:
        return ValidationReport((Diagnostic(Severity.ERROR, exc.code, exc.message, hint=exc.hint),), "template")
    found = list(template.diagnostics)
    for document in template.documents.values():
        if document.document is not None:
            report = validate_policy(Policy(document.document, document.source), document.profile, storage=True,
                                     catalog=catalog)
            found.extend(report.diagnostics)
    return ValidationReport(tuple(found), "template")


def _sorted(diagnostics: tuple[Diagnostic, ...]) -> list[Diagnostic]:
    def key(d: Diagnostic) -> tuple[int, int]:
        return d.location.position() or (0, 0)

    return sorted(diagnostics, key=key)


def _profile_hint(report: ValidationReport, args: argparse.Namespace) -> str | None:
    """A resource-based policy (a key policy, a bucket policy) checked as an identity policy says so."""
    if args.profile is None and any(d.code == "principal-not-allowed" for d in report.errors):
        return "this looks like a resource-based policy: validate it with --profile resource (or role-trust)"
    return None


def run(args: argparse.Namespace) -> int:
    form = "json" if args.json else args.format or "text"
    from qiam.cli._inventory import parameters_of

    parameters = parameters_of(args)
    reports = [(path, validate_file(path, args.profile, catalog=not args.no_catalog, parameters=parameters))
               for path in args.files]
    unreadable = any(d.code in ("unreadable-file", "input-too-large", "bad-setting")
                     for _, r in reports for d in r.diagnostics)
    if form == "json":
        out = []
        for path, report in reports:
            entry = {"file": path, **report.to_dict()}
            entry["diagnostics"] = [d.to_dict() for d in _sorted(report.diagnostics)]
            hint = _profile_hint(report, args)
            if hint:
                entry["hint"] = hint
            out.append(entry)
        json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif form == "sarif":
        json.dump(sarif(reports), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        for path, report in reports:
            _print_report(path, report, args)
    if unreadable:
        return EXIT_ERROR
    if not all(r.valid for _, r in reports):
        return EXIT_NO
    return EXIT_NO if args.strict and any(r.warnings for _, r in reports) else EXIT_YES


def _print_report(path: str, report: ValidationReport, args: argparse.Namespace) -> None:
    shown = report.errors if args.quiet else report.diagnostics
    for d in _sorted(shown):
        print(f"{d.location.render() if d.location.source else path}: {d.severity.value}: "
              f"{d.message} [{d.code}]")
        if d.hint:
            print(f"  hint: {d.hint}")
    hint = _profile_hint(report, args)
    if hint:
        print(f"  hint: {hint}")
    status = "valid" if report.valid else "INVALID"
    counts = f"{_count(len(report.errors), 'error')}, {_count(len(report.warnings), 'warning')}"
    if not args.quiet or not report.valid:
        print(f"{path}: {status} ({counts})")


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.SUGGESTION: "note"}


def sarif(reports: list[tuple[str, ValidationReport]]) -> dict[str, Any]:
    """The reports as one SARIF 2.1.0 log: a rule per qiam code used, a result per finding, its region the
    finding's line and column."""
    results = []
    used: dict[str, None] = {}
    for path, report in reports:
        for d in _sorted(report.diagnostics):
            used[d.code] = None
            location: dict[str, Any] = {"artifactLocation": {"uri": "stdin" if path == _STDIN else path}}
            position = d.location.position()
            if position is not None:
                location["region"] = {"startLine": position[0], "startColumn": position[1]}
            message = d.message + (f" (hint: {d.hint})" if d.hint else "")
            results.append({"ruleId": d.code, "level": _SARIF_LEVEL[d.severity], "message": {"text": message},
                            "locations": [{"physicalLocation": location}]})
    rules = [{"id": code, "name": code, "shortDescription": {"text": CODES.get(code, code)}} for code in used]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "qiam", "version": __version__, "informationUri":
                                      "https://pypi.org/project/qiam/", "rules": rules}},
                  "results": results}],
    }
