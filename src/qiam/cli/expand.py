"""``qiam expand PATTERN...``: the real actions that action patterns cover, from the action catalog."""

from __future__ import annotations

import argparse
import json
from typing import Any

from qiam.cli._common import EXIT_NO, EXIT_YES


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "expand", help="list the real actions an action pattern covers",
        description="List the actions that IAM action patterns cover (kms:GenerateDataKey*, s3:Get*, "
                    "ec2:*Tag*), with their access levels, from the action catalog (offline).",
        epilog="examples:\n"
               "  qiam expand 'kms:GenerateDataKey*'\n"
               "  qiam expand --json 's3:Get*' 'ec2:*Tag*'\n"
               "exit codes: 0 some action matches, 1 none does, 2 could not answer",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("patterns", nargs="+", metavar="PATTERN", help="an action pattern, e.g. 'kms:GenerateDataKey*'")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from qiam.catalog import expand_actions, load_catalog

    catalog = load_catalog()
    found = expand_actions(*args.patterns, catalog=catalog)
    if args.json:
        print(json.dumps({"catalog": catalog.version, "actions": [a.to_dict() for a in found]}, indent=2))
    else:
        width = max((len(a.action) for a in found), default=0)
        for info in found:
            print(f"{info.action:{width}}  {info.access_level}")
        for pattern in args.patterns:
            if not catalog.expand(pattern):
                close = catalog.suggest_action(pattern) if "*" not in pattern else None
                hint = f" (did you mean {close}?)" if close else ""
                print(f"# {pattern} matches no action of the catalog{hint}")
    return EXIT_YES if found else EXIT_NO
