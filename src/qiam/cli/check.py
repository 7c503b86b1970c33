"""``qiam check -p POLICY EXPRESSION``: one request, written in the request language (or several, with
``--action`` and ``--resource`` repeated, as the AWS CLI's simulator takes them).

The request carries the context AWS supplies (``qiam.context``) unless
``--no-derived-context``. A resource with ``*`` or ``?`` asks about every
resource the pattern names: allowed on all, some or none of them.
``--format aws`` prints the AWS policy simulator's result shape.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from qiam.cli._common import (
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
    read_policy_arg,
)
from qiam.cli._inventory import add_overlay_option
from qiam.compile import CompiledPolicy, Compiler
from qiam.errors import Diagnostic
from qiam.evaluate import PolicySet, Result
from qiam.kinds import PolicyKind, resource_kind
from qiam.reqlang import ParsedExpression, expression_of, parse_expression
from qiam.request import Request

if TYPE_CHECKING:
    from qiam.batch import Library
    from qiam.scope import ScopeResult


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "check", help="is one request allowed?",
        description="Decide one request, written as e.g. "
                    "'s3:GetObject on arn:aws:s3:::b/k as ARN with aws:SourceIp=10.0.0.1 and aws:TagKeys=[a,b]'. "
                    "Policies are files, inline JSON, or names in --library. A resource with * or ? names every "
                    "resource it matches: the answer is allowed on all, some or none of them.",
        epilog="examples:\n"
               "  qiam check -p policy.json 's3:GetObject on arn:aws:s3:::b/k with aws:SourceIp=10.0.0.1'\n"
               "  qiam check -p policy.json --scp scp.json --region eu-west-1 "
               "'q:CreatePlugin as arn:aws:sts::111122223333:assumed-role/QAdmin/me'\n"
               "  qiam check -p policy.json --format aws --action s3:GetObject --action s3:PutObject "
               "--resource arn:aws:s3:::b/k\n"
               "exit codes: 0 allowed, 1 denied, 2 could not answer",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("expression", nargs="?", help="the request (or give --action and --resource)")
    p.add_argument("--action", action="append", default=[], metavar="ACTION",
                   help="an action to check (repeatable; each against each --resource)")
    p.add_argument("--resource", action="append", default=[], metavar="ARN",
                   help="a resource to check the actions on (repeatable; default *)")
    add_policy_options(p)
    p.add_argument("--resource-policy", metavar="POLICY", help="the resource's resource-based policy")
    p.add_argument("--library", metavar="PATH", help="named policies that POLICY may refer to")
    p.add_argument("--resource-account", metavar="ID", help="the account that owns the resource")
    p.add_argument("--region", metavar="REGION",
                   help="the region called (default: the resource ARN's region, else us-east-1)")
    add_context_options(p)
    p.add_argument("--inventory", action="append", default=[], metavar="PATH",
                   help="take the principal's policies, boundary and organisation levels and the resource's "
                        "policy from an inventory (docs/inventory.md); name the principal with `as`")
    add_overlay_option(p)
    p.add_argument("--match", choices=("all", "some"), default="all",
                   help="for a resource pattern: allowed on every resource it names (default), or on one")
    p.add_argument("--explain", action="store_true", help="report every statement's outcome")
    p.add_argument("--format", choices=("text", "json", "aws"), default=None,
                   help="text (default), json, or aws: the AWS policy simulator's result shape")
    p.add_argument("--json", action="store_true", help="the same as --format json")
    p.set_defaults(run=run)


def _expressions(args: argparse.Namespace) -> list[ParsedExpression]:
    if args.expression and (args.action or args.resource):
        raise UsageError("give an expression, or --action and --resource, not both")
    if args.expression:
        return [parse_expression(args.expression)]
    if not args.action:
        raise UsageError("give the request: an expression, or --action (and --resource)",
                         hint="e.g. qiam check -p policy.json 's3:GetObject on arn:aws:s3:::b/k'")
    return [expression_of(action, resource) for action in args.action
            for resource in (args.resource or ["*"])]


def _request(args: argparse.Namespace, parsed: ParsedExpression) -> Request:
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
    form = "json" if args.json else args.format or "text"
    before: list[Result] | None = None
    if args.inventory:
        pairs = _from_inventory(args)
        requests = [r for _, r in pairs]
        policies = pairs[0][0]
        if args.overlay:  # what the inventory alone answers, to mark what the overlay changed
            before = [_result(pset, r) for pset, r in _from_inventory(args, overlaid=False)]
    else:
        requests = [_request(args, parsed) for parsed in _expressions(args)]
        library = None
        if args.library:
            from qiam.batch import Library  # only for a library: the command starts without it

            library = Library.from_path(args.library)
        policies = _policy_set(args, library, requests[0])
        pairs = [(policies, r) for r in requests]
    notes = _catalog_notes(requests)
    if form == "aws":
        from qiam.formats import simulation

        answers = [(r, _result(pset, r)) for pset, r in pairs]
        print(json.dumps(simulation(answers, policies), indent=2))
        return EXIT_YES if all(result.allowed for _, result in answers) else EXIT_NO
    allowed = True
    outputs = []
    for number, (policies, request) in enumerate(pairs):
        was = before[number].decision.value if before is not None else None
        if request.resource_match is not None:
            found = policies.evaluate_scope(request)
            allowed = allowed and found.allowed
            outputs.append(_scope_output(found, request, form, notes))
            continue
        explanation = policies.explain(request) if args.explain else None
        result = explanation.result if explanation is not None else policies.evaluate(request)
        allowed = allowed and result.allowed
        if form == "json":
            out = explanation.to_dict() if explanation is not None else result.to_dict()
            out["derived"] = json_ready(request.derived)
            out["notes"] = [d.to_dict() for d in notes]
            if was is not None and was != result.decision.value:
                out["overlay"] = {"changed_from": was}
            outputs.append(out)
        elif explanation is not None:
            print(explanation.render())
            _context_notes(request, result, notes)
        else:
            changed = f"  [overlay: changed from {was}]" if was is not None and was != result.decision.value else ""
            print(result.decision.value + changed)
            _matched(result)
            _context_notes(request, result, notes)
    if form == "json":
        print(json.dumps(outputs[0] if len(outputs) == 1 else outputs, indent=2))
    return EXIT_YES if allowed else EXIT_NO


def _from_inventory(args: argparse.Namespace, *, overlaid: bool = True) -> list[tuple[PolicySet, Request]]:
    """Each request as the inventory's principal makes it: its policies, boundary, organisation levels and
    the resource's policy from the inventory, with the context AWS supplies for it."""
    from qiam.cli._inventory import load_inventory
    from qiam.queries import Asker, QueryError

    if _own_policies(args):
        raise UsageError("with --inventory the policies are the inventory's",
                         hint="drop -p, --boundary, --session, --scp, --rcp and --resource-policy")
    inventory = load_inventory(args, overlaid=overlaid)
    out = []
    for parsed in _expressions(args):
        name = args.principal or parsed.principal
        if not name:
            raise UsageError("with --inventory, say who asks: `as PRINCIPAL` or --principal",
                             hint="an ARN, or a name only one principal of the inventory has")
        context = dict(parsed.context)
        context.update(pairs_of(args.context, "--context"))
        asker = Asker(inventory, environment=environment_of(args, args.region), context=context,
                      derive_context=args.derive_context)
        principal = asker.principal(name)
        broken = asker.broken(principal, parsed.action, parsed.resource)
        if broken:
            raise QueryError(f"the inventory cannot answer for `{principal.arn}`: {broken[0].message}",
                             code="inventory-broken", hint=f"fix the inventory ({broken[0].code})")
        resource = parsed.resource
        pattern = resource != "*" and ("*" in resource or "?" in resource)
        out.append((asker.policy_set(principal, parsed.action, resource),
                    asker.request(principal, parsed.action, resource, resource_match=args.match if pattern else None)))
    return out


def _own_policies(args: argparse.Namespace) -> bool:
    return bool(args.policy or args.boundary or args.session or args.scp or args.rcp or args.resource_policy)


def _result(policies: PolicySet, request: Request) -> Result:
    if request.resource_match is not None:
        return policies.evaluate_scope(request).result
    return policies.evaluate(request)


def _scope_output(found: ScopeResult, request: Request, form: str, notes: list[Diagnostic]) -> dict[str, Any]:
    out = found.to_dict()
    out["derived"] = json_ready(request.derived)
    if form != "json":
        print(f"{found.decision.value}: allowed on {found.scope} of the resources `{request.resource}` names")
        for pattern in found.patterns:
            print(f"  allowed by Resource {pattern}")
        if found.scope == "none" and found.considered:
            print(f"  the policies allow it only on: {', '.join(found.considered)}")
        for ref in found.carving:
            sid = f" ({ref.sid})" if ref.sid else ""
            where = "on some " if found.scope == "some" else ""
            print(f"  denied {where}by {ref.effect} {ref.policy} statement {ref.index}{sid} "
                  f"at {ref.location.render()}")
        if not found.allowed:
            _matched(found.result)
        _context_notes(request, found.result, notes)
    return out


def _matched(result: Result) -> None:
    for ref in result.matched:
        sid = f" ({ref.sid})" if ref.sid else ""
        print(f"  {ref.effect} {ref.policy} statement {ref.index}{sid} at {ref.location.render()}")
    if not result.allowed and not result.matched and result.reasons:
        print(f"  because: {', '.join(result.reasons)}")
    seen = set()
    by_code: dict[str, int] = {}
    for d in sorted(result.warnings + result.diagnostics, key=_position):
        line = f"  warning: {d.location.render()}: {d.message} [{d.code}]"
        if line in seen:  # the same finding about the same place, said once
            continue
        seen.add(line)
        by_code[d.code] = by_code.get(d.code, 0) + 1
        if by_code[d.code] <= _SAME_CODE:
            print(line)
    for code, count in by_code.items():
        if count > _SAME_CODE:  # a finding met many times is named a few times, then counted
            print(f"  ... and {count - _SAME_CODE} more [{code}] (qiam validate lists them all)")


_SAME_CODE = 2  # findings of one code shown before the rest are counted


def _position(d: Diagnostic) -> tuple[str, int, int]:
    pos = d.location.position()
    name = d.location.source.name if d.location.source is not None else None
    return (name or "", *(pos or (0, 0)))


def _catalog_notes(requests: list[Request]) -> list[Diagnostic]:
    """Warnings about the requests themselves: an action the catalog does not know (a typo answers
    `allowed` to a wildcard policy, but no such call exists)."""
    from qiam.catalog import load_catalog
    from qiam.errors import Severity

    catalog = load_catalog()
    notes = []
    for request in requests:
        if catalog.action(request.action) is not None:
            continue
        if catalog.service(request.service) is None:
            message = f"`{request.service}` is not a service of the action catalog"
            close = catalog.suggest_service(request.service)
        else:
            message = f"`{request.action}` is not an action of the catalog"
            close = catalog.suggest_action(request.action)
        notes.append(Diagnostic(Severity.WARNING, "unknown-action", message,
                                hint=f"did you mean `{close}`?" if close else "no real request names it"))
    return notes


def _context_notes(request: Request, result: Result, notes: list[Diagnostic]) -> None:
    for note in notes:
        hint = f" ({note.hint})" if note.hint else ""
        print(f"  warning: {note.message}{hint} [{note.code}]", file=sys.stdout)
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
