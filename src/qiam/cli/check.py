"""``qiam check -p POLICY EXPRESSION``: one request, written in the request language."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from qiam.batch import Library, LibraryError
from qiam.cli._common import EXIT_ERROR, EXIT_NO, EXIT_YES, UsageError, print_error, read_policy_arg
from qiam.compile import CompiledPolicy, compile_policies, compile_policy
from qiam.errors import PolicyError, QiamError
from qiam.reqlang import ExpressionError, parse_request
from qiam.request import Request


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "check", help="is one request allowed?",
        description="Decide one request, written as e.g. "
                    "'s3:GetObject on arn:aws:s3:::b/k as ARN with aws:SourceIp=10.0.0.1 and aws:TagKeys=[a,b]'. "
                    "Policies are files, inline JSON, or names in --library.")
    p.add_argument("expression", help="the request")
    p.add_argument("-p", "--policy", action="append", default=[], metavar="POLICY",
                   help="an identity-based policy of the principal (repeatable)")
    p.add_argument("--resource-policy", metavar="POLICY", help="the resource's resource-based policy")
    p.add_argument("--boundary", metavar="POLICY", help="the principal's permissions boundary")
    p.add_argument("--session", action="append", metavar="POLICY", help="a session policy (repeatable)")
    p.add_argument("--scp", action="append", metavar="POLICY[,POLICY]",
                   help="one organization level of SCPs, root first (repeat for each level)")
    p.add_argument("--rcp", action="append", metavar="POLICY[,POLICY]",
                   help="one organization level of RCPs, root first (repeat for each level)")
    p.add_argument("--library", metavar="PATH", help="named policies that POLICY may refer to")
    p.add_argument("--principal", metavar="ARN", help="who asks (or write `as ARN` in the expression)")
    p.add_argument("--resource-account", metavar="ID", help="the account that owns the resource")
    p.add_argument("--explain", action="store_true", help="report every statement's outcome")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        request = parse_request(args.expression)
    except ExpressionError as exc:
        print(f"error: {exc.message} [{exc.code}]", file=sys.stderr)
        print("  " + exc.caret().replace("\n", "\n  "), file=sys.stderr)
        return EXIT_ERROR
    except QiamError as exc:
        print_error(exc)
        return EXIT_ERROR
    if args.principal or args.resource_account:
        request = Request(request.action, request.resource, principal=args.principal or request.principal,
                          context=request.context,
                          resource_account=args.resource_account or request.resource_account)
    try:
        library = Library.from_path(args.library) if args.library else None
        policies = _policy_set(args, library, request)
    except (UsageError, LibraryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except PolicyError as exc:
        print_error(exc)
        return EXIT_ERROR
    if args.explain:
        explanation = policies.explain(request)
        result = explanation.result
        if args.json:
            print(json.dumps(explanation.to_dict(), indent=2))
        else:
            print(explanation.render())
    else:
        result = policies.evaluate(request)
        if args.json:
            print(json.dumps(result.to_dict(), indent=2))
        else:
            print(result.decision.value)
            for ref in result.matched:
                sid = f" ({ref.sid})" if ref.sid else ""
                print(f"  {ref.effect} {ref.policy} statement {ref.index}{sid} at {ref.location.render()}")
            for d in result.warnings + result.diagnostics:
                print(f"  warning: {d.location.render()}: {d.message} [{d.code}]")
    return EXIT_YES if result.allowed else EXIT_NO


def _policy_set(args: argparse.Namespace, library: Library | None, request: Request) -> Any:
    def load(value: str, profile: str) -> CompiledPolicy:
        name, document = read_policy_arg(value, library)
        if isinstance(document, tuple):
            assert library is not None
            return library.compiled(document[1], profile)
        return compile_policy(document, profile, name=name)

    def levels(values: list[str] | None, profile: str) -> list[list[CompiledPolicy]] | None:
        if not values:
            return None
        return [[load(v, profile) for v in value.split(",") if v] for value in values]

    trust = request.action.lower().startswith("sts:assumerole") and ":role/" in request.resource
    resource_profile = "role-trust" if trust else "resource"
    return compile_policies(
        [load(v, "identity") for v in args.policy],
        resource=load(args.resource_policy, resource_profile) if args.resource_policy else None,
        boundary=load(args.boundary, "permissions-boundary") if args.boundary else None,
        session=[load(v, "session") for v in args.session] if args.session else None,
        scps=levels(args.scp, "scp"),
        rcps=levels(args.rcp, "rcp"),
        resource_profile=resource_profile,
    )
