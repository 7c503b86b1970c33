"""The ``qiam`` command line: ``main(argv) -> int``; one module per subcommand.

Exit codes, for every command: 0 yes (allowed, valid), 1 no (denied,
invalid), 2 could not answer (bad usage, unreadable input).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from qiam._version import __version__
from qiam.cli import batch, check, expand, tasks, validate

EXIT_YES, EXIT_NO, EXIT_ERROR = 0, 1, 2

_COMMANDS = (tasks, check, batch, validate, expand)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="qiam", description="Local, exact and fast AWS IAM policy evaluation.")
    parser.add_argument("--version", action="version", version=f"qiam {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _COMMANDS:
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        code: int = args.run(args)
    except BrokenPipeError:
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    return code
