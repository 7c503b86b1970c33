"""``qiam check -p POLICY EXPRESSION``: one request, written in the request language.

The request carries the context AWS supplies (``qiam.context``) unless
``--no-derived-context``. A resource with ``*`` or ``?`` asks about every
resource the pattern names: allowed on all, some or none of them.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from qiam.batch import Library, LibraryError
from qiam.cli._common import (
    EXIT_ERROR,
    EXIT_NO,
    EXIT_YES,
    UsageError,
    add_context_options,
    add_policy_options,
    check_account,
    environment_of,
    json_ready,
    pairs_of,
    policies_of,
    print_error,
    read_policy_arg,
)
from qiam.compile import CompiledPolicy, Compiler
from qiam.errors import PolicyError, QiamError
from qiam.evaluate import PolicySet, Result
from qiam.kinds import PolicyKind, resource_kind
from qiam.reqlang import ExpressionError, parse_expression
from qiam.request import Request
from qiam.scope import ScopeResult


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "check", help="is one request allowed?",
        description="Decide one request, written as e.g. "
                    "'s3:GetObject on arn:aws:s3:::b/k as ARN with aws:SourceIp=10.0.0.1 and aws:TagKeys=[a,b]'. "
                    "Policies are files, inline JSON, or names in --library. A resource with * or ? names every "
                    "resource it matches: the answer is allowed on all, some or none of them.")
    p.add_argument("expression", help="the request")
    add_policy_options(p)
    p.add_argument("--resource-policy", metavar="POLICY", help="the resource's resource-based policy")
    p.add_argument("--library", metavar="PATH", help="named policies that POLICY may refer to")
    p.add_argument("--resource-account", metavar="ID", help="the account that owns the resource")
    p.add_argument("--region", metavar="REGION",
                   help="the region called (default: the resource ARN's region, else us-east-1)")
    add_context_options(p)
    p.add_argument("--match", choices=("all", "some"), default="all",
                   help="for a resource pattern: allowed on every resource it names (default), or on one")
    p.add_argument("--explain", action="store_true", help="report every statement's outcome")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def _request(args: argparse.Namespace) -> Request:
    parsed = parse_expression(args.expression)
    if args.principal and parsed.principal:
        raise UsageError("give the principal once: with --principal or with `as` in the expression")
    context = dict(parsed.context)
    for key, value in pairs_of(args.context, "--context").items():
        if key.lower() in (k.lower() for k in context):
            raise UsageError(f"`{key}` is given both in the expression and with --context")
        context[key] = value
    resource = parsed.resource
    pattern = resource != "*" and ("*" in resource or "?" in resource)
    return Request(parsed.action, resource, principal=args.principal or parsed.principal, context=context,
                   resource_account=check_account(args.resource_account, "--resource-account") or parsed.account,
                   derive_context=args.derive_context, environment=environment_of(args, args.region),
                   resource_match=args.match if pattern else None)


def run(args: argparse.Namespace) -> int:
    try:
        request = _request(args)
    except ExpressionError as exc:
        print(f"error: {exc.message} [{exc.code}]", file=sys.stderr)
        print("  " + exc.caret().replace("\n", "\n  "), file=sys.stderr)
        return EXIT_ERROR
    except UsageError as exc:
        print(f"error: {exc} [usage]", file=sys.stderr)
        return EXIT_ERROR
    except QiamError as exc:
        print_error(exc)
        return EXIT_ERROR
    try:
        library = Library.from_path(args.library) if args.library else None
        policies = _policy_set(args, library, request)
    except (UsageError, LibraryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except PolicyError as exc:
        print_error(exc)
        return EXIT_ERROR
    if request.resource_match is not None:
        return _scope(policies, request, args)
    if args.explain:
        explanation = policies.explain(request)
        result = explanation.result
        if args.json:
            out = explanation.to_dict()
            out["derived"] = json_ready(request.derived)
            print(json.dumps(out, indent=2))
        else:
            print(explanation.render())
            _context_notes(request, result)
    else:
        result = policies.evaluate(request)
        if args.json:
            out = result.to_dict()
            out["derived"] = json_ready(request.derived)
            print(json.dumps(out, indent=2))
        else:
            print(result.decision.value)
            _matched(result)
            _context_notes(request, result)
    return EXIT_YES if result.allowed else EXIT_NO


def _scope(policies: PolicySet, request: Request, args: argparse.Namespace) -> int:
    found: ScopeResult = policies.evaluate_scope(request)
    if args.json:
        out = found.to_dict()
        out["derived"] = json_ready(request.derived)
        print(json.dumps(out, indent=2))
        return EXIT_YES if found.allowed else EXIT_NO
    print(f"{found.decision.value}: allowed on {found.scope} of the resources `{request.resource}` names")
    for pattern in found.patterns:
        print(f"  allowed by Resource {pattern}")
    if found.scope == "none" and found.considered:
        print(f"  the policies allow it only on: {', '.join(found.considered)}")
    for ref in found.carving:
        sid = f" ({ref.sid})" if ref.sid else ""
        where = "on some " if found.scope == "some" else ""
        print(f"  denied {where}by {ref.effect} {ref.policy} statement {ref.index}{sid} at {ref.location.render()}")
    if not found.allowed:
        _matched(found.result)
    _context_notes(request, found.result)
    return EXIT_YES if found.allowed else EXIT_NO


def _matched(result: Result) -> None:
    for ref in result.matched:
        sid = f" ({ref.sid})" if ref.sid else ""
        print(f"  {ref.effect} {ref.policy} statement {ref.index}{sid} at {ref.location.render()}")
    if not result.allowed and not result.matched and result.reasons:
        print(f"  because: {', '.join(result.reasons)}")
    for d in result.warnings + result.diagnostics:
        print(f"  warning: {d.location.render()}: {d.message} [{d.code}]")


def _context_notes(request: Request, result: Result) -> None:
    if result.missing_context_keys:
        print(f"  missing context keys: {', '.join(result.missing_context_keys)}")
    if request.derived:
        shown = ", ".join(f"{k}={v}" for k, v in request.derived.items())
        print(f"  derived context: {shown}")


def _policy_set(args: argparse.Namespace, library: Library | None, request: Request) -> PolicySet:
    compiler = Compiler()

    def load(value: str, kind: PolicyKind) -> CompiledPolicy:
        name, document = read_policy_arg(value, library)
        if isinstance(document, tuple):
            assert library is not None
            return library.compiled(document[1], kind.profile)
        return compiler.compile(document, kind.profile, name=name)

    keywords = policies_of(args, load)
    if args.resource_policy:
        keywords["resource"] = load(args.resource_policy, resource_kind(request.action, request.resource))
    return PolicySet(**keywords)
