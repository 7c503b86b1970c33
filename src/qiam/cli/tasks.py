"""``qiam tasks``: are the Amazon Q Developer administrator tasks allowed? The project's main job.

Without policies it checks every task against the bundled policies of the AWS
page and a few AWS managed policies, and prints a matrix. With ``-p`` (and
the other policy options) it checks your own policies, as AWS would decide
them for the principal, account and region given.
"""

from __future__ import annotations

import argparse
import json
from importlib.resources import files
from typing import Any

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
from qiam.errors import PolicySyntaxError
from qiam.evaluate import PolicySet, StatementRef
from qiam.kinds import PolicyKind
from qiam.parse import parse_policy
from qiam.tasks import DEFAULT_ACCOUNT, DEFAULT_REGION, Checker, RequirementResult, TaskCatalog, TaskResult

DATA = files("qiam") / "data"
MANAGED = ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "AmazonQDeveloperAccess",
           "AmazonQFullAccess")


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "tasks", help="are the Amazon Q Developer administrator tasks allowed? (the main job)",
        description="Check administrative tasks against policies. Without -p: every task against the "
                    "policies of the AWS page and some AWS managed policies, as a matrix.",
        epilog="examples:\n"
               "  qiam tasks\n"
               "  qiam tasks -p policy.json --task plugins --principal "
               "arn:aws:sts::111122223333:assumed-role/QAdmin/me --region eu-west-1\n"
               "  qiam tasks -p policy.json --scp root-scp.json --scp ou-scp.json --json\n"
               "exit codes: 0 every task checked is allowed, 1 one is not, 2 could not answer",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_policy_options(p)
    p.add_argument("--resource-policy", action="append", default=[], metavar="NAME=POLICY",
                   help="a resource policy: NAME is one of the task catalog's resource policies "
                        "(default-kms-key-policy) or an ARN pattern of the resources that have it (repeatable)")
    p.add_argument("--task", action="append", metavar="NAME", help="check only this task (repeatable)")
    p.add_argument("--catalog", action="append", default=[], metavar="FILE",
                   help="more tasks, in the task catalog format (repeatable)")
    p.add_argument("--account", default=DEFAULT_ACCOUNT, help=f"the account (default {DEFAULT_ACCOUNT})")
    p.add_argument("--region", default=DEFAULT_REGION, help=f"the region (default {DEFAULT_REGION})")
    p.add_argument("--partition", default="aws", help="the partition (default aws)")
    p.add_argument("--name", action="append", default=[], metavar="NAME=VALUE",
                   help="bind a name: an ARN placeholder (ApplicationId=apl-1) or a resource type's name "
                        "(application=apl-1), making requirements concrete (repeatable)")
    add_context_options(p)
    p.add_argument("--inventory", action="append", default=[], metavar="PATH",
                   help="check every principal of an inventory (docs/inventory.md), each in its own account")
    p.add_argument("--html", metavar="FILE", help="with --inventory: write the matrix as one self-contained page")
    add_overlay_option(p)
    from qiam.cli._cluster import add_scheduler_option

    add_scheduler_option(p)
    p.add_argument("--list", action="store_true", help="list the tasks and their requirements")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_account(args.account, "--account")
    catalog = TaskCatalog.bundled()
    for path in args.catalog:
        catalog = catalog.merged(TaskCatalog.from_path(path))
    names = {k: str(v) for k, v in pairs_of(args.name, "--name").items()}
    checker = Checker(catalog, account=args.account, region=args.region, partition=args.partition,
                      principal=args.principal, context=pairs_of(args.context, "--context"), names=names,
                      environment=environment_of(args, args.region), derive_context=args.derive_context,
                      resource_policies=_resource_policies(args))
    chosen = args.task or list(catalog)
    for name in chosen:
        checker.task(name)
    if args.list:
        return _list(checker, chosen, args)
    if args.inventory:
        return _inventory_matrix(catalog, chosen, args)
    if args.html:
        raise UsageError("--html writes the matrix of an inventory: give --inventory too")

    if not _own_policies_given(args):
        return _matrix(checker, chosen, args)
    return _own(checker, chosen, args)


def _own_policies_given(args: argparse.Namespace) -> bool:
    return bool(args.policy or args.boundary or args.session or args.scp or args.rcp or args.resource_policy)


def _resource_policies(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in args.resource_policy:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise UsageError(f"--resource-policy takes NAME=POLICY, not `{item}`")
        label, document = read_policy_arg(value)
        out[name] = parse_policy(document, name=label)
    return out


def _list(checker: Checker, names: list[str], args: argparse.Namespace) -> int:
    tasks = [checker.task(n) for n in names]
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
            every = "  (every resource it names)" if r.pattern else ""
            print(f"    {r.action} on {r.resource}" + (f" with {context}" if context else "") + every)
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
        task = checker.task(name)
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
        print(f"  T{i}  {name}: {checker.task(name).title}")
    width = max(len(s) for s in sets)
    print("\n" + " " * (width + 2) + "".join(f"{f'T{i}':>10}" for i in range(1, len(names) + 1)))
    for label, row in results.items():
        cells = "".join(f"{_cell(row[n]):>10}" for n in names)
        print(f"  {label:{width}}{cells}")
    print("\n  allowed = every permission the task needs is allowed; -N = N actions missing")
    if broken is not None:
        print(f"\n  The page's first policy does not read as published: {broken} [{broken.code}];")
        print("  the matrix uses the corrected copy (q-subscription-console.json).")
    dropped = {(d.written, d.reason) for n in names for d in checker.task(n).dropped}
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
    print("  qiam tasks -p my-policy.json [--task NAME] [--principal ARN] [--account ID --region REGION] [--json]")
    print("  qiam tasks --list      (every task and the requests it needs)")
    return EXIT_YES


def _cell(result: TaskResult) -> str:
    return "allowed" if result.allowed else f"-{len(result.missing_actions)}"


def _own(checker: Checker, names: list[str], args: argparse.Namespace) -> int:
    def load(value: str, kind: PolicyKind) -> Any:
        label, document = read_policy_arg(value)
        return checker.compile(parse_policy(document, name=label), kind.profile)

    policies = PolicySet(**policies_of(args, load))
    results = {name: checker.check(policies, name) for name in names}
    if args.json:
        print(json.dumps({"account": args.account, "region": args.region, "principal": args.principal,
                          "results": [r.to_dict() for r in results.values()]}, indent=2))
    else:
        for name, result in results.items():
            _report(name, result)
    return EXIT_YES if all(r.allowed for r in results.values()) else EXIT_NO


def describe_blocker(blocker: StatementRef | str) -> str:
    """A blocker for people: a Deny statement with its place, or what a reason means."""
    if isinstance(blocker, StatementRef):
        sid = f" ({blocker.sid})" if blocker.sid else ""
        return f"{blocker.policy} statement {blocker.index}{sid} at {blocker.location.render()}"
    return _REASONS.get(blocker.split("[", 1)[0], blocker).format(blocker)


_REASONS = {
    "scp": "{} (no SCP of that organization level allows it)",
    "rcp": "{} (no RCP of that organization level allows it)",
    "boundary": "the permissions boundary (it does not allow it)",
    "session_policy": "the session policy (it does not allow it)",
    "resource_policy_required": "the resource policy (it must allow this principal itself, and does not)",
    "cross_account_resource_side": "the resource's account (its resource policy does not allow this principal)",
    "cross_partition": "the partition (resource policies never delegate across partitions)",
    "federated_user_without_session_policy": "a federated user without a session policy has no permissions",
    "scope-too-large": "too many kinds of resource to decide (read as refused)",
}


def _line(r: RequirementResult) -> str:
    context = " ".join(f"{k}={v}" for k, v in r.requirement.context.items())
    scope = ""
    if r.scope is not None and not r.allowed:
        scope = "  [allowed on none of these resources]" if r.scope == "none" else \
            "  [allowed only on some of these resources]"
    return f"{r.requirement.action} on {r.requirement.resource}" + (f" with {context}" if context else "") + scope


def _report(name: str, result: TaskResult) -> None:
    if result.allowed:
        print(f"{name}: allowed ({len(result.requirements)} permissions)")
        _missing_keys(result)
        return
    blockers = result.blockers
    headline = f"{name}: NOT allowed"
    if blockers:
        headline += ", blocked by " + "; ".join(describe_blocker(b) for b in blockers)
    print(headline)
    total = len({r.requirement.action for r in result.requirements})
    print(f"  {len(result.missing_actions)} of {total} actions are not allowed")
    missing = result.missing
    if missing:
        print("  missing (an Allow would grant these):")
        for r in missing:
            print(f"    {_line(r)}")
            _scope_detail(r)
    for r in result.blocked:
        print(f"  blocked: {_line(r)}")
        print(f"      by {'; '.join(describe_blocker(b) for b in r.blocked_by)}")
        _scope_detail(r)
    suggestion = result.suggestion()
    if suggestion:
        print("  the smallest statements that grant what is missing:")
        for line in json.dumps(suggestion, indent=2).splitlines():
            print("    " + line)
    elif result.blocked:
        print("  no Allow statement would help: what blocks must change")
    _missing_keys(result)


def _scope_detail(r: RequirementResult) -> None:
    if r.scope == "none" and r.considered:
        print(f"      the policies allow it only on: {', '.join(r.considered)}")
    if r.scope == "some":
        if r.patterns:
            print(f"      allowed by: {', '.join(r.patterns)}")
        for ref in r.carving:
            print(f"      denied on some by {describe_blocker(ref)}")


def _missing_keys(result: TaskResult) -> None:
    keys = result.missing_context_keys
    if keys:
        print(f"  the answer depends on context keys nobody gave: {', '.join(keys)} (give them with --context)")


__all__ = ["add_parser", "describe_blocker", "json_ready", "run"]


def _inventory_matrix(catalog: TaskCatalog, names: list[str], args: argparse.Namespace) -> int:
    """Every principal of the inventory × the tasks: text, JSON, or an HTML page."""
    import sys

    from qiam.cli._inventory import load_inventory
    from qiam.queries import task_matrix

    if _own_policies_given(args) or args.principal:
        raise UsageError("with --inventory the policies and principals are the inventory's",
                         hint="drop -p, --scp, --rcp, --boundary, --session, --resource-policy and --principal")
    if args.scheduler:
        matrix, before = _matrix_on_cluster(args, catalog, names)
    else:
        inventory = load_inventory(args)
        options: dict[str, Any] = dict(region=args.region, catalog=catalog,
                                       environment=environment_of(args, args.region),
                                       context=pairs_of(args.context, "--context"), derive_context=args.derive_context)
        matrix = task_matrix(inventory, names, **options)
        before = task_matrix(load_inventory(args, overlaid=False), names, **options) if args.overlay else None
    if before is not None:  # mark the cells the overlay changed, with what the inventory alone answers
        was = {p["arn"]: row for p, row in zip(before["principals"], before["cells"], strict=True)}
        for principal, row in zip(matrix["principals"], matrix["cells"], strict=True):
            for cell, old in zip(row, was.get(principal["arn"], row), strict=True):
                if cell["status"] != old["status"]:
                    cell["overlay"] = {"changed_from": old["status"]}
    if args.html:
        from qiam.report import write_matrix_html

        write_matrix_html(matrix, args.html)
        print(f"qiam: wrote {args.html}", file=sys.stderr)
    if args.json:
        print(json.dumps(matrix, indent=2))
    elif args.html:
        summary_only: dict[str, dict[str, int]] = matrix["summary"]
        for name, counts in summary_only.items():
            print(f"{name}: {counts['allowed']} allowed, {counts['denied']} denied, {counts['broken']} broken")
    else:
        principals: list[Any] = matrix["principals"]
        cells: list[list[dict[str, Any]]] = matrix["cells"]
        print(f"Administrator tasks over {len(principals)} principals in {matrix['account_count']} accounts:")
        tasks: list[dict[str, str]] = matrix["tasks"]
        for i, task in enumerate(tasks, 1):
            print(f"  T{i}  {task['name']}: {task['title']}")
        labels = [_label(p) for p in principals]
        width = max((len(label) for label in labels), default=10)
        print("\n  " + " " * width + "".join(f"{f'T{i}':>10}" for i in range(1, len(names) + 1)))
        for label, row in zip(labels, cells, strict=True):
            marks = "".join(f"{_mark(c):>10}" for c in row)
            print(f"  {label:{width}}{marks}")
        summary: dict[str, dict[str, int]] = matrix["summary"]
        print("\n  allowed = every permission the task needs is allowed; -N = N actions missing; "
              "broken = the inventory could not say" + ("; * = the overlay changed it" if args.overlay else ""))
        for i, name in enumerate(names, 1):
            counts = summary[name]
            print(f"  T{i}: {counts['allowed']} allowed, {counts['denied']} denied, {counts['broken']} broken")
    everyone = all(c["status"] == "allowed" for row in matrix["cells"] for c in row)
    return EXIT_YES if everyone else EXIT_NO


def _matrix_on_cluster(args: argparse.Namespace, catalog: TaskCatalog, names: list[str]
                       ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The matrix (and, with --overlay, the one without it) on a Dask cluster: a partition per account."""
    import dataclasses
    import sys

    from qiam import distributed
    from qiam.cli._cluster import question_of

    question = question_of(args)
    with distributed.connect(args.scheduler) as client:
        matrix: dict[str, Any] = distributed.task_matrix(question, names, client=client, catalog=catalog)
        before: dict[str, Any] | None = distributed.task_matrix(
            dataclasses.replace(question, overlays=()), names, client=client, catalog=catalog) if args.overlay else None
    if not args.json:
        for d in matrix["diagnostics"]:
            where = f"{d['file']}:{d['line']}:{d['column']}" if d.get("line") else str(d.get("file"))
            print(f"qiam: {where}: {d['severity']}: {d['message']} [{d['code']}]", file=sys.stderr)
    return matrix, before


def _label(principal: dict[str, str]) -> str:
    """``ACCOUNT kind/name``, the name cut to keep the matrix readable."""
    name = principal["name"] if len(principal["name"]) <= 48 else principal["name"][:47] + "…"
    return f"{principal['account']} {principal['kind']}/{name}"


def _mark(cell: dict[str, Any]) -> str:
    changed = "*" if "overlay" in cell else ""  # (the overlay changed it)
    if cell["status"] != "denied":
        return str(cell["status"]) + changed
    return (f"-{len(cell['missing_actions'])}" if cell["missing_actions"] else "blocked") + changed
