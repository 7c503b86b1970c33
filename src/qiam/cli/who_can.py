"""``qiam who-can ACTION [on RESOURCE] --inventory PATH...``: every principal allowed, with the deciding
statements; without ``on``, on every inventory resource the action applies to (``*`` for actions
without resource types)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from qiam.cli._common import EXIT_NO, EXIT_YES, UsageError
from qiam.cli._inventory import (
    add_chain_options,
    add_inventory_options,
    answer_key,
    answer_line,
    asker_of,
    depth_of,
    diagnostics_json,
    load_inventory,
    marked,
    overlay_changes,
)


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "who-can", help="which principals of an inventory may do an action",
        description="Every principal of the inventory allowed to do ACTION on RESOURCE (default: every resource "
                    "of the inventory the action applies to, or * for actions without resource types), with the "
                    "statements that allow it, under the whole decision flow: identity policies, boundaries, "
                    "SCPs and RCPs from the organisation, resource and trust policies, cross-account.",
        epilog="examples:\n"
               "  qiam who-can kms:Decrypt on arn:aws:kms:eu-west-1:111122223333:key/abcd --inventory inventory/\n"
               "  qiam who-can iam:PassRole --inventory account.json --json\n"
               "exit codes: 0 someone is allowed, 1 no one is, 2 could not answer",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("question", nargs="+", metavar="ACTION [on RESOURCE]", help="e.g. kms:Decrypt on ARN")
    p.add_argument("--all", action="store_true", help="list the principals not allowed too")
    add_chain_options(p, "also list who reaches the permission by assuming roles (sts:AssumeRole: the identity "
                         "side and the trust policy both allowing), by the shortest chain")
    add_inventory_options(p)
    p.set_defaults(run=run)


def parse_question(words: list[str]) -> tuple[str, str | None]:
    """``ACTION`` or ``ACTION on RESOURCE``."""
    if len(words) == 1:
        return words[0], None
    if len(words) == 3 and words[1] == "on":
        return words[0], words[2]
    raise UsageError(f"`{' '.join(words)}` is not ACTION or ACTION on RESOURCE",
                     hint="e.g. qiam who-can kms:Decrypt on arn:aws:kms:eu-west-1:111122223333:key/abcd")


def run(args: argparse.Namespace) -> int:
    action, resource = parse_question(args.question)
    if args.scheduler:
        return _on_cluster(args, action, resource)
    inventory = load_inventory(args)
    asker = asker_of(args, inventory)
    answers = asker.who_can(action, resource)
    changes = overlay_changes(args, answers, lambda other: other.who_can(action, resource))
    return _report(args, action, resource, answers, changes, len(inventory.principals),
                   lambda: diagnostics_json(inventory), asker)


def _on_cluster(args: argparse.Namespace, action: str, resource: str | None) -> int:
    from qiam import distributed
    from qiam.cli._cluster import question_of, refuse

    refuse(args, "--via-assume-role", "--overlay")
    with distributed.connect(args.scheduler) as client:
        answers, total, diagnostics = distributed.who_can(question_of(args), action, resource, client=client)
    return _report(args, action, resource, answers, {}, total, lambda: diagnostics, None)


def _report(args: argparse.Namespace, action: str, resource: str | None, answers: list[Any],
            changes: dict[Any, str], principal_count: int, diagnostics: Any, asker: Any) -> int:
    allowed = [a for a in answers if a.allowed]
    broken = [a for a in answers if a.status == "broken"]
    chains = []
    if args.via_assume_role:
        from qiam.queries import chains_to

        chains = chains_to(asker, answers, depth_of(args))
    if args.json:
        shown = answers if args.all else [a for a in answers
                                           if a.allowed or a.status == "broken" or answer_key(a) in changes]
        out: dict[str, object] = {"action": action, "resource": resource, "allowed": len(allowed),
                                  "broken": len(broken), "asked": len(answers),
                                  "answers": [marked(a, changes) for a in shown]}
        if args.via_assume_role:
            out["via_assume_role"] = [c.to_dict() for c in chains]
        out["diagnostics"] = diagnostics()
        print(json.dumps(out, indent=2))
    else:
        for answer in answers:
            change = changes.get(answer_key(answer))
            if args.all or answer.allowed or answer.status == "broken" or change:
                print(answer_line(answer) + (f"  [overlay: {change}]" if change else ""))
        if not answers:
            print(f"# no resource of the inventory is of a type {action} applies to: name one with `on`")
        for chain in chains:
            print(f"via      {chain.principal.arn} -> {' -> '.join(chain.roles)} on {chain.answer.resource}")
        principals = len({a.principal.arn for a in allowed})
        print(f"# {principals} of {principal_count} principals allowed ({len(allowed)} of "
              f"{len(answers)} questions); {len(broken)} could not be answered (broken)")
    if chains and not args.json:
        print(f"# {len({c.principal.arn for c in chains})} more reach it by assuming roles")
    return EXIT_YES if allowed or chains else EXIT_NO

