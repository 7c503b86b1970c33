"""``qiam collect [--out DIR]``: write an inventory of the accounts the caller's AWS credentials reach."""

from __future__ import annotations

import argparse
import json
from typing import Any

from qiam.cli._common import EXIT_YES


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "collect", help="write an inventory of the accounts your AWS credentials reach",
        description="Read the caller's account (get-account-authorization-details), its organisation's tree and "
                    "SCPs and RCPs when it may, and the resource policies of S3 buckets, KMS keys, SQS queues, SNS "
                    "topics, Lambda functions and Secrets Manager secrets, into the files --inventory reads. "
                    "Needs boto3: pip install 'qiam[collect]'. The permissions it needs: docs/collect.md.",
        epilog="examples:\n"
               "  qiam collect --out inventory/ --region eu-west-1 --region us-east-1\n"
               "  qiam who-can kms:Decrypt --inventory inventory/\n"
               "exit codes: 0 written, 2 could not collect",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="inventory", metavar="DIR", help="the folder to write (default inventory)")
    p.add_argument("--region", action="append", default=[], metavar="REGION",
                   help="a region whose resources to read (repeatable; default the session's region)")
    p.add_argument("--profile", metavar="NAME", help="the AWS CLI profile to use")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from qiam.collect import CollectError, collect

    session = None
    if args.profile:
        try:
            import boto3  # type: ignore[import-untyped]
        except ImportError:
            raise CollectError("collecting needs boto3, which is not installed",
                               hint="pip install 'qiam[collect]'") from None
        from botocore.exceptions import ProfileNotFound  # type: ignore[import-untyped]

        try:
            session = boto3.session.Session(profile_name=args.profile)
        except ProfileNotFound:
            raise CollectError(f"there is no AWS profile `{args.profile}`", code="collect-no-credentials",
                               hint="aws configure list-profiles lists them") from None
    summary = collect(args.out, session=session, regions=args.region or None)
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2))
    else:
        for path in summary.files:
            print(f"wrote {path}")
        print("found " + ", ".join(f"{n} {k}" for k, n in summary.counts.items()) + f" in account {summary.account}")
        for warning in summary.warnings:
            print(f"warning: {warning}")
    return EXIT_YES
