"""``qiam can PRINCIPAL [on RESOURCE | ACTION] --inventory PATH...``: what a principal may do.

``can PRINCIPAL``: every action of the catalog allowed on ``*`` (as the IAM
policy simulator asks when no resource is named), by service and access
level. ``can PRINCIPAL on RESOURCE``: the actions that apply to the
resource's type, on it. ``can PRINCIPAL ACTION``: the inventory's resources
the principal may do it on.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from qiam.cli._common import EXIT_ERROR, EXIT_NO, EXIT_YES, UsageError
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
        "can", help="what a principal of an inventory may do",
        description="What PRINCIPAL (an ARN, or a name only one principal has) may do: every action of the "
                    "catalog (on *), the actions on RESOURCE, or the inventory's resources it may do ACTION on.",
        epilog="examples:\n"
               "  qiam can arn:aws:iam::111122223333:role/QAdmin --inventory inventory/\n"
               "  qiam can QAdmin on arn:aws:s3:::reports --inventory inventory/\n"
               "  qiam can QAdmin kms:Decrypt --inventory inventory/ --json\n"
               "exit codes: 0 something is allowed, 1 nothing is, 2 could not answer",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("question", nargs="+", metavar="PRINCIPAL [on RESOURCE | ACTION]")
    add_chain_options(p, "also list the roles the principal reaches by assuming roles, with the chain")
    add_inventory_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    words = args.question
    if not (len(words) in (1, 2) or (len(words) == 3 and words[1] == "on")):
        raise UsageError(f"`{' '.join(words)}` is not PRINCIPAL, PRINCIPAL on RESOURCE or PRINCIPAL ACTION",
                         hint="e.g. qiam can QAdmin kms:Decrypt --inventory inventory/")
    if args.scheduler:
        return _on_cluster(args)
    inventory = load_inventory(args)
    asker = asker_of(args, inventory)
    reached = asker.reachable(words[0], depth_of(args)) if args.via_assume_role else {}

    def diagnostics() -> list[dict[str, object]]:
        return diagnostics_json(inventory)

    if len(words) == 2:
        answers = asker.can_act(words[0], words[1])
        changes = overlay_changes(args, answers, lambda other: other.can_act(words[0], words[1]))
        return _report_action(args, asker.principal(words[0]).arn, answers, changes, diagnostics)
    resource = words[2] if len(words) == 3 else None
    answers = asker.can(words[0], resource)
    changes = overlay_changes(args, answers, lambda other: other.can(words[0], resource))
    # The actions its policies grant on named resources only: where, in the inventory.
    somewhere = asker.can_somewhere(words[0], answers) if resource is None else []
    return _report(args, asker.principal(words[0]).arn, resource, answers, changes, somewhere, diagnostics,
                   reached)


def _on_cluster(args: argparse.Namespace) -> int:
    from qiam import distributed
    from qiam.cli._cluster import question_of, refuse

    refuse(args, "--via-assume-role", "--overlay")
    words = args.question
    with distributed.connect(args.scheduler) as client:
        if len(words) == 2:
            arn, answers, found = distributed.can_act(question_of(args), words[0], words[1], client=client)
            return _report_action(args, arn, answers, {}, lambda: found)
        resource = words[2] if len(words) == 3 else None
        arn, answers, somewhere, found = distributed.can(question_of(args), words[0], resource, client=client)
    return _report(args, arn, resource, answers, {}, somewhere, lambda: found, {})


def _report(args: argparse.Namespace, arn: str, resource: str | None, answers: list[Any],
            changes: dict[Any, str], found_somewhere: list[Any], diagnostics: Any,
            reached: dict[str, tuple[str, ...]]) -> int:
    from qiam.queries import group_by_service

    grouped = group_by_service(answers)
    somewhere: dict[str, list[str]] = {}
    for answer in found_somewhere:
        somewhere.setdefault(answer.action, []).append(answer.resource)
    broken = [a for a in answers if a.status == "broken"]
    if args.json:
        print(json.dumps({"principal": arn, "resource": resource or "*",
                          "allowed": sum(len(v) for s in grouped.values() for v in s.values()),
                          "asked": len(answers), "actions": grouped,
                          "broken": [f"{d.code}: {d.message}" for d in (broken[0].broken if broken else ())],
                          "on_inventory_resources": somewhere,
                          "reachable_roles": [{"role": r, "via": list(c)} for r, c in reached.items()],
                          "overlay": {key[1]: change for key, change in changes.items()},
                          "diagnostics": diagnostics()}, indent=2))
    elif broken:
        print(answer_line(broken[0]))
    else:
        for service, levels in grouped.items():
            for level, actions in levels.items():
                print(f"{service}  [{level or 'unknown'}]  {', '.join(a.split(':', 1)[1] for a in actions)}")
        total = sum(len(v) for s in grouped.values() for v in s.values())
        print(f"# {total} of {len(answers)} actions allowed on {resource or '*'}")
        for action, arns in somewhere.items():
            print(f"{action} on {len(arns)} resource{'s' if len(arns) > 1 else ''} of the inventory: "
                  + ", ".join(arns[:3]) + (", ..." if len(arns) > 3 else ""))
        for key, change in changes.items():
            print(f"# overlay: {key[1]} {change}")
    for role, chain in reached.items():
        if not args.json:
            print(f"# reaches {role} via {' -> '.join(chain)}: ask `qiam can {role}` for what it may do")
    if broken:
        return EXIT_ERROR
    return EXIT_YES if grouped or somewhere else EXIT_NO


def _report_action(args: argparse.Namespace, arn: str, answers: list[Any], changes: dict[Any, str],
                   diagnostics: Any) -> int:
    words = args.question
    allowed = [a for a in answers if a.allowed]
    if args.json:
        print(json.dumps({"principal": arn, "action": words[1],
                          "allowed": len(allowed), "asked": len(answers),
                          "answers": [marked(a, changes) for a in answers
                                      if a.allowed or a.status == "broken" or answer_key(a) in changes],
                          "diagnostics": diagnostics()}, indent=2))
    else:
        for answer in answers:
            mark = changes.get(answer_key(answer))
            if answer.allowed or answer.status == "broken" or mark:
                print(answer_line(answer) + (f"  [overlay: {mark}]" if mark else ""))
        print(f"# allowed on {len(allowed)} of {len(answers)} resources")
    return EXIT_YES if allowed else EXIT_NO
