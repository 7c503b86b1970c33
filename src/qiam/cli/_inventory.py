"""What the inventory commands share: the --inventory option, loading with its diagnostics, the asker."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from qiam.cli._common import add_context_options, environment_of, pairs_of

if TYPE_CHECKING:
    from qiam.inventory import Inventory
    from qiam.queries import Answer, Asker


def add_inventory_options(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    """--inventory, the region and the context options, --json."""
    p.add_argument("--inventory", action="append", default=[], metavar="PATH", required=required,
                   help="an inventory file or folder (repeatable): get-account-authorization-details output, "
                        "an organisation and resources (docs/inventory.md), CloudFormation templates, "
                        "Terraform plan JSON (docs/ci.md)")
    add_overlay_option(p)
    p.add_argument("--region", metavar="REGION",
                   help="the region called (default: the resource ARN's region, else us-east-1)")
    add_context_options(p, principal=False)
    p.add_argument("--json", action="store_true", help="print JSON")
    from qiam.cli._cluster import add_scheduler_option

    add_scheduler_option(p)


def add_chain_options(p: argparse.ArgumentParser, what: str) -> None:
    """--via-assume-role and --depth."""
    p.add_argument("--via-assume-role", action="store_true", help=what)
    p.add_argument("--depth", type=int, default=3, metavar="N", help="at most N roles in a chain (default 3)")


def depth_of(args: argparse.Namespace) -> int:
    """--depth, checked."""
    if args.depth < 1:
        from qiam.cli._common import UsageError

        raise UsageError("--depth must be at least 1")
    return int(args.depth)


def add_parameter_option(p: argparse.ArgumentParser) -> None:
    """--parameter: a CloudFormation template's parameter or pseudo-parameter."""
    p.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                   help="a template parameter or pseudo-parameter for CloudFormation templates and Terraform plans "
                        "(repeatable): AWS::AccountId (default 123456789012), AWS::Region (us-east-1), "
                        "AWS::Partition, AWS::StackName (stack), or a parameter of the template")


def parameters_of(args: argparse.Namespace) -> dict[str, str]:
    """--parameter, as a mapping."""
    found = pairs_of(getattr(args, "parameter", []), "--parameter")
    if any(not isinstance(v, str) for v in found.values()):
        from qiam.cli._common import UsageError

        raise UsageError("--parameter values are single strings (a list parameter is `a,b`)")
    return {k: str(v) for k, v in found.items()}


def add_overlay_option(p: argparse.ArgumentParser) -> None:
    """--overlay: a what-if file applied in memory; and --parameter, for the templates an inventory holds."""
    add_parameter_option(p)
    p.add_argument("--overlay", action="append", default=[], metavar="FILE",
                   help="what if: add or replace principals' policies, managed policies, organisation policies or "
                        "resource policies for this question only (qiam-overlay/1, docs/inventory.md; repeatable); "
                        "the answer marks what it changed")


def load_inventory(args: argparse.Namespace, *, overlaid: bool = True) -> Inventory:
    """Load the inventory (with the overlays, unless ``overlaid`` is False); its diagnostics go to standard
    error (in JSON output, under `diagnostics`)."""
    from qiam.inventory import load

    inventory = load(args.inventory, overlays=args.overlay if overlaid else (), parameters=parameters_of(args))
    if not overlaid:
        return inventory
    if not args.json:
        for diagnostic in inventory.diagnostics:
            print(f"qiam: {diagnostic}", file=sys.stderr)
    return inventory


def asker_of(args: argparse.Namespace, inventory: Inventory) -> Asker:
    """The asker with the options' region, time, MFA and context."""
    from qiam.queries import Asker

    return Asker(inventory, environment=environment_of(args, args.region),
                 context=pairs_of(args.context, "--context"), derive_context=args.derive_context)


def diagnostics_json(inventory: Inventory) -> list[dict[str, object]]:
    """The inventory's diagnostics in JSON: code, message, file, path, line, column."""
    out: list[dict[str, object]] = []
    for d in inventory.diagnostics:
        rendered = d.to_dict()
        out.append({"code": d.code, "severity": d.severity.value, "message": d.message,
                    "file": rendered.get("policy"), "path": rendered.get("path"), "line": rendered.get("line"),
                    "column": rendered.get("column")})
    return out


def answer_line(answer: Answer) -> str:
    """One answer as a text line: status, principal, resource, and the deciding statements or why broken."""
    if answer.result is None:
        why = "; ".join(d.message for d in answer.broken)
        return f"broken   {answer.principal.arn} on {answer.resource}: {why}"
    statements = ", ".join(
        f"{m.name or m.policy}#{m.sid or m.index}" for m in answer.result.matched)
    head = "allowed" if answer.allowed else answer.result.decision.value
    return f"{head:8} {answer.principal.arn} on {answer.resource}" + (f"  ({statements})" if statements else "")


def overlay_changes(args: argparse.Namespace, answers: list[Answer],
                    ask: Callable[[Asker], list[Answer]]) -> dict[tuple[str, str, str], str]:
    """With --overlay: how each answer differs from the inventory's own, ``(principal, action, resource)`` ->
    ``newly allowed`` or ``no longer allowed`` (only the answers that changed)."""
    if not args.overlay:
        return {}
    before = {(a.principal.arn, a.action, a.resource): a.allowed for a in ask(asker_of(args, load_inventory(
        args, overlaid=False)))}
    out: dict[tuple[str, str, str], str] = {}
    for answer in answers:
        key = (answer.principal.arn, answer.action, answer.resource)
        if key in before and before[key] != answer.allowed:
            out[key] = "newly allowed" if answer.allowed else "no longer allowed"
    return out


def answer_key(answer: Answer) -> tuple[str, str, str]:
    """(principal, action, resource): what an overlay's changes are keyed by."""
    return (answer.principal.arn, answer.action, answer.resource)


def marked(answer: Answer, changes: dict[tuple[str, str, str], str]) -> dict[str, object]:
    """An answer's JSON form, with what the overlay changed (``overlay``) when it changed."""
    out = answer.to_dict()
    change = changes.get(answer_key(answer))
    if change:
        out["overlay"] = change
    return out
