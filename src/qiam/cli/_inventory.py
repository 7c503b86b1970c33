"""What the inventory commands share: the --inventory option, loading with its diagnostics, the asker."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from qiam.cli._common import add_context_options, environment_of, pairs_of

if TYPE_CHECKING:
    from qiam.inventory import Inventory
    from qiam.queries import Answer, Asker


def add_inventory_options(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    """--inventory, the region and the context options, --json."""
    p.add_argument("--inventory", action="append", default=[], metavar="PATH", required=required,
                   help="an inventory file or folder (repeatable): get-account-authorization-details output, "
                        "an organisation and resources (docs/inventory.md)")
    p.add_argument("--region", metavar="REGION",
                   help="the region called (default: the resource ARN's region, else us-east-1)")
    add_context_options(p, principal=False)
    p.add_argument("--json", action="store_true", help="print JSON")


def load_inventory(args: argparse.Namespace) -> Inventory:
    """Load the inventory; its diagnostics go to standard error (in JSON output too, under `diagnostics`)."""
    from qiam.inventory import load

    inventory = load(args.inventory)
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
