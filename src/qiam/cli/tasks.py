"""``qiam tasks``: are the Amazon Q Developer administrator tasks allowed? The project's main job.

Without policies it checks every task against the bundled policies of the AWS
page and a few AWS managed policies, and prints a matrix. With ``-p`` it checks
your own policies.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.resources import files
from typing import Any

from qiam.cli._common import EXIT_ERROR, EXIT_NO, EXIT_YES, UsageError, print_error, read_policy_arg
from qiam.errors import PolicyError, PolicySyntaxError, QiamError
from qiam.parse import parse_policy
from qiam.tasks import DEFAULT_ACCOUNT, DEFAULT_REGION, Checker, TaskCatalog, TaskResult

DATA = files("qiam") / "data"
MANAGED = ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "AmazonQDeveloperAccess",
           "AmazonQFullAccess")


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "tasks", help="are the Amazon Q Developer administrator tasks allowed? (the main job)",
        description="Check administrative tasks against policies. Without -p: every task against the "
                    "policies of the AWS page and some AWS managed policies, as a matrix.")
    p.add_argument("-p", "--policy", action="append", default=[], metavar="POLICY",
                   help="an identity-based policy of the principal (repeatable): a file or inline JSON")
    p.add_argument("--boundary", metavar="POLICY", help="the principal's permissions boundary")
    p.add_argument("--scp", action="append", metavar="POLICY[,POLICY]",
                   help="one organization level of SCPs, root first (repeat for each level)")
    p.add_argument("--task", action="append", metavar="NAME", help="check only this task (repeatable)")
    p.add_argument("--catalog", action="append", default=[], metavar="FILE",
                   help="more tasks, in the task catalog format (repeatable)")
    p.add_argument("--account", default=DEFAULT_ACCOUNT, help=f"the account (default {DEFAULT_ACCOUNT})")
    p.add_argument("--region", default=DEFAULT_REGION, help=f"the region (default {DEFAULT_REGION})")
    p.add_argument("--partition", default="aws", help="the partition (default aws)")
    p.add_argument("--list", action="store_true", help="list the tasks and their requirements")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        catalog = TaskCatalog.bundled()
        for path in args.catalog:
            catalog = catalog.merged(TaskCatalog.from_path(path))
        checker = Checker(catalog, account=args.account, region=args.region, partition=args.partition)
        names = args.task or list(catalog)
        for name in names:
            checker.catalog.task(name, account=args.account, region=args.region, partition=args.partition)
        if args.list:
            return _list(checker, names, args)
        if not args.policy:
            return _matrix(checker, names, args)
        return _own(checker, names, args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except QiamError as exc:
        print_error(exc)
        return EXIT_ERROR


def _list(checker: Checker, names: list[str], args: argparse.Namespace) -> int:
    tasks = [checker.catalog.task(n, account=args.account, region=args.region, partition=args.partition)
             for n in names]
    if args.json:
        print(json.dumps([{"name": t.name, "title": t.title, "section": t.section,
                           "requirements": [r.to_dict() for r in t.requirements],
                           "dropped": [{"requirement": d.written, "reason": d.reason} for d in t.dropped]}
                          for t in tasks], indent=2))
        return EXIT_YES
    for t in tasks:
        print(f"{t.name}: {t.title} ({len(t.requirements)} requirements)")
        for r in t.requirements:
            context = " ".join(f"{k}={v}" for k, v in r.context.items())
            print(f"    {r.action} on {r.resource}" + (f" with {context}" if context else ""))
        for d in t.dropped:
            print(f"    left out: {d.written}: {d.reason}")
    return EXIT_YES


def _matrix(checker: Checker, names: list[str], args: argparse.Namespace) -> int:
    sets: dict[str, list[Any]] = {}
    published = (DATA / "seed" / "q-subscription-console.txt").read_bytes()
    try:
        parse_policy(published, name="q-subscription-console.txt")
        broken = None
    except PolicySyntaxError as exc:
        broken = exc
    for name in checker.catalog:
        task = checker.catalog.task(name, account=args.account, region=args.region, partition=args.partition)
        if task.policy and (DATA / "seed" / task.policy).is_file():
            sets[task.policy] = [parse_policy((DATA / "seed" / task.policy).read_bytes(), name=task.policy)]
    for name in MANAGED:
        sets[name] = [parse_policy((DATA / "managed" / f"{name}.json").read_bytes(), name=f"{name}.json")]
    results = checker.check_many(sets, names)
    if args.json:
        print(json.dumps({"account": args.account, "region": args.region,
                          "results": {s: {t: r.to_dict() for t, r in row.items()} for s, row in results.items()}},
                         indent=2))
        return EXIT_YES

    print(f"Amazon Q Developer administrator tasks (account {args.account}, region {args.region}):")
    for i, name in enumerate(names, 1):
        print(f"  T{i}  {name}: {checker.catalog.task(name, account=args.account, region=args.region).title}")
    width = max(len(s) for s in sets)
    print("\n" + " " * (width + 2) + "".join(f"{f'T{i}':>10}" for i in range(1, len(names) + 1)))
    for label, row in results.items():
        cells = "".join(f"{_cell(row[n]):>10}" for n in names)
        print(f"  {label:{width}}{cells}")
    print("\n  allowed = every permission the task needs is allowed; -N = N actions missing")
    if broken is not None:
        print(f"\n  The page's first policy does not read as published: {broken} [{broken.code}];")
        print("  the matrix uses the corrected copy (q-subscription-console.json).")
    dropped = {(d.written, d.reason) for n in names
               for d in checker.catalog.task(n, account=args.account, region=args.region).dropped}
    for written, reason in sorted(dropped):
        print(f"  Left out of the requirements: {written}: {reason}.")

    print("\nWhat the AWS managed policies lack:")
    for label in MANAGED:
        for name in names:
            result = results[label][name]
            if not result.allowed and result.missing_actions and len(result.missing_actions) <= 8:
                print(f"  {label} / {name}: missing {', '.join(result.missing_actions)}")
            elif not result.allowed:
                print(f"  {label} / {name}: missing {len(result.missing_actions)} actions, e.g. "
                      f"{', '.join(result.missing_actions[:4])}")
    print("\nAsk about your own policies:")
    print("  qiam tasks -p my-policy.json [--task NAME] [--account ID --region REGION] [--json]")
    print("  qiam tasks --list      (every task and the requests it needs)")
    return EXIT_YES


def _cell(result: TaskResult) -> str:
    return "allowed" if result.allowed else f"-{len(result.missing_actions)}"


def _own(checker: Checker, names: list[str], args: argparse.Namespace) -> int:
    from qiam.compile import compile_policy
    from qiam.evaluate import PolicySet

    try:
        identity = []
        for value in args.policy:
            name, document = read_policy_arg(value)
            identity.append(checker.compile(parse_policy(document, name=name)))
        boundary = None
        if args.boundary:
            name, document = read_policy_arg(args.boundary)
            boundary = compile_policy(parse_policy(document, name=name), "permissions-boundary")
        scps = None
        if args.scp:
            scps = tuple(tuple(compile_policy(parse_policy(read_policy_arg(v)[1], name=v), "scp")
                               for v in level.split(",") if v) for level in args.scp)
    except PolicyError as exc:
        print_error(exc)
        return EXIT_ERROR
    policies = PolicySet(identity=tuple(identity), boundary=boundary, scps=scps)
    results = {name: checker.check(policies, name) for name in names}
    if args.json:
        print(json.dumps({"account": args.account, "region": args.region,
                          "results": [r.to_dict() for r in results.values()]}, indent=2))
    else:
        for name, result in results.items():
            _report(name, result)
    return EXIT_YES if all(r.allowed for r in results.values()) else EXIT_NO


def _report(name: str, result: TaskResult) -> None:
    if result.allowed:
        print(f"{name}: allowed ({len(result.requirements)} permissions)")
        return
    print(f"{name}: NOT allowed: {len(result.missing_actions)} of "
          f"{len({r.requirement.action for r in result.requirements})} actions missing")
    missing = result.missing
    if missing:
        print("  missing (an Allow would grant these):")
        for r in missing:
            context = " ".join(f"{k}={v}" for k, v in r.requirement.context.items())
            print(f"    {r.requirement.action} on {r.requirement.resource}" + (f" with {context}" if context else ""))
    for r in result.blocked:
        print(f"  blocked: {r.requirement.action} on {r.requirement.resource}: {', '.join(r.result.reasons)}")
    for blocker in result.blockers:
        if isinstance(blocker, str):
            print(f"  what blocks: {blocker} (an Allow in your policies cannot fix this)")
        else:
            print(f"  what blocks: {blocker.effect} {blocker.policy} statement {blocker.index}"
                  f"{f' ({blocker.sid})' if blocker.sid else ''} at {blocker.location.render()}")
    suggestion = result.suggestion()
    if suggestion:
        print("  the smallest statements that grant what is missing:")
        for line in json.dumps(suggestion, indent=2).splitlines():
            print("    " + line)

