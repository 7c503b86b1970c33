"""``--scheduler``: the commands that can run on a Dask cluster (qiam.distributed, imported only then)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from qiam.cli._common import UsageError, environment_of, pairs_of

if TYPE_CHECKING:
    from qiam.distributed import Question


def add_scheduler_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheduler", metavar="ADDRESS|local[:N]",
                   help="run on a Dask cluster (pip install 'qiam[dask]'): local:N starts N worker processes on "
                        "this machine (local: one per core), an address (tcp://HOST:8786) joins a running "
                        "scheduler; its dashboard shows the work")


def question_of(args: argparse.Namespace) -> Question:
    """The inventory question the options describe, with one instant for every shard's requests."""
    from qiam.cli._inventory import parameters_of
    from qiam.distributed import Question

    return Question.of(args.inventory, environment=environment_of(args, args.region), overlays=args.overlay,
                       parameters=parameters_of(args), region=args.region,
                       context=pairs_of(args.context, "--context"), derive_context=args.derive_context)


def refuse(args: argparse.Namespace, *options: str) -> None:
    """Options that do not run on a cluster yet: a usage error, not a silent local run."""
    for option in options:
        if getattr(args, option.lstrip("-").replace("-", "_"), None):
            raise UsageError(f"{option} is not run on a cluster: drop --scheduler or {option}")
